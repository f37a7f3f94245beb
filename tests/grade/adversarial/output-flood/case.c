/* context_init prints without end. */
#include <stdio.h>

static void adversary(void)
{
    for (;;)
        fputs("flood flood flood flood flood flood flood flood flood flood\n", stdout);
}
