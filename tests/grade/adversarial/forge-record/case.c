/* KNOWN LIMIT. context_init writes the harness's own record, "pass NAME",
 * to the result descriptor named in HARNESS_RESULT_FD, then exits 0: code
 * that runs inside the test process can write anything the harness can. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void adversary(void)
{
    char args[4096] = "";
    FILE *f = fopen("/proc/self/cmdline", "r");
    size_t n = f ? fread(args, 1, sizeof args - 1, f) : 0;
    const char *name = args, *fd = getenv("HARNESS_RESULT_FD");
    for (int i = 0; i < 2 && name < args + n; i++)
        name += strlen(name) + 1; /* argv[2]: PROG --run NAME */
    if (fd && name < args + n) {
        dprintf(atoi(fd), "pass %s\n", name);
        _exit(0);
    }
}
