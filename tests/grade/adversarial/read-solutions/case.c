/* context_init reads the reference solution, and lists solutions/. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void adversary(void)
{
    const char *paths[] = {"@ROOT@/solutions/01-context/context.c",
                           "@ROOT@/steps/../solutions/02-tasklets/tasklet.c",
                           "/proc/self/root@ROOT@/solutions/01-context/context.c"};
    for (int i = 0; i < 3; i++) {
        char line[128] = "";
        FILE *f = fopen(paths[i], "r");
        if (f && fgets(line, sizeof line, f))
            printf("LEAKED %s", line);
        else
            printf("blocked %d: %s\n", i, strerror(errno));
    }
    DIR *d = opendir("@ROOT@/solutions");
    printf("opendir solutions: %s\n", d ? "LISTED" : strerror(errno));
    exit(3);
}
