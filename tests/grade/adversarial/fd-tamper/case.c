/* context_init closes every inherited descriptor past stderr, then puts
 * stderr where the harness's result descriptor was, so that the harness
 * writes its record where the grader does not read it. */
#include <unistd.h>

static void adversary(void)
{
    for (int fd = 3; fd < 64; fd++)
        close(fd);
    dup2(STDERR_FILENO, 3);
}
