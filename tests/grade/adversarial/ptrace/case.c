/* context_init tries to trace its parent (the grader) and itself. */
#include <stdio.h>
#include <sys/ptrace.h>
#include <unistd.h>

static void adversary(void)
{
    if (ptrace(PTRACE_ATTACH, getppid(), 0, 0) < 0)
        perror("ptrace attach");
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
        perror("ptrace traceme");
}
