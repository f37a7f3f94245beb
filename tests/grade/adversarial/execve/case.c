/* context_init runs a shell. */
#include <stdio.h>
#include <unistd.h>

static void adversary(void)
{
    execl("/bin/sh", "sh", "-c", "echo pwned > @ROOT@/build/adversary-exec", (char *)NULL);
    perror("execl /bin/sh");
}
