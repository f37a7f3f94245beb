/* context_init writes outside its scratch folder: into the workbook, /tmp,
 * and the grader's output folder (to forge another student's report). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void adversary(void)
{
    const char *paths[] = {"@ROOT@/build/adversary-wrote-here",
                           "/tmp/adversary-wrote-here",
                           "@OUT@/adversary-wrote-here",
                           "@OUT@/read-peer/report.txt"};
    for (int i = 0; i < 4; i++) {
        FILE *f = fopen(paths[i], "w");
        printf("write %d: %s\n", i, f ? "WROTE" : strerror(errno));
    }
    FILE *f = fopen("inside-scratch", "w");
    printf("scratch: %s\n", f ? "written" : strerror(errno));
    exit(3);
}
