/* context_init ends the process with status 0, as a passing program does. */
#include <stdio.h>
#include <stdlib.h>

static void adversary(void)
{
    printf("[  PASSED  ] 1 test(s).\n");
    exit(0);
}
