/* context_init reads another student's submission in the same batch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void adversary(void)
{
    char line[128] = "";
    FILE *f = fopen("@PEER@/01-context/context.c", "r");
    if (f && fgets(line, sizeof line, f))
        printf("LEAKED %s", line);
    else
        printf("peer blocked: %s\n", strerror(errno));
    exit(3);
}
