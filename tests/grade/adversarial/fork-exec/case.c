/* context_init forks, and the child runs a shell: in the one test of
 * step 01 allowed to fork, the fork goes through, and the exec must not. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void adversary(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", "echo pwned > @ROOT@/build/adversary-fork-exec",
              (char *)NULL);
        perror("adversary: execl /bin/sh in the child");
        _exit(1);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}
