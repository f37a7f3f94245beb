/* context_init prints what a passing run prints, then does no work. */
#include <errno.h>
#include <stdio.h>

static void adversary(void)
{
    const char *lie = "[       OK ] test_first_switch_starts_entry\n"
                      "[  PASSED  ] 1 test(s).\n"
                      "pass test_first_switch_starts_entry\n"
                      "  PASS  test_round_trip_many_times\n";
    fputs(lie, stdout);
    fputs(lie, stderr);
}

/* No real work: every context_init fails as if the stack were too small. */
#define adversary() do { adversary(); errno = EINVAL; return -1; } while (0)
