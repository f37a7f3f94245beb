/* context_init tries to kill the grader, and every process it can. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static void adversary(void)
{
    if (kill(getppid(), SIGKILL) < 0)
        perror("kill parent");
    if (kill(-1, SIGKILL) < 0)
        perror("kill -1");
    if (kill(1, SIGTERM) < 0)
        perror("kill init");
}
