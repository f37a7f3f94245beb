/*
 * harness.h - what every test file of the workbook includes.
 *
 * A test file is a list of cmocka tests plus one line naming them:
 *
 *     HARNESS_TESTS("chapters/02-tasklets.md",
 *                   cmocka_unit_test(test_spawn_runs_fifo),
 *                   cmocka_unit_test(test_yield_interleaves))
 *
 * harness.c supplies main(). It runs every test in a process of its own,
 * so a crash or a hang costs one test, and it records each result through
 * a pipe of its own, never from what the test prints. The grader runs one
 * test per sandboxed process through the same main (`--run NAME`).
 *
 * Failures teach: check() says what was expected, what happened, and which
 * section of the step's chapter to reread.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define HARNESS_TESTS(chapter, ...)                                      \
    const char harness_chapter[] = chapter;                              \
    const struct CMUnitTest harness_tests[] = {__VA_ARGS__};             \
    const size_t harness_ntests = sizeof harness_tests / sizeof harness_tests[0];

extern const char harness_chapter[];
extern const struct CMUnitTest harness_tests[];
extern const size_t harness_ntests;

/* Fails the running test unless cond holds. section names the chapter
 * section to reread; the format says what was expected and what happened. */
#define check(cond, section, ...)                                        \
    do {                                                                 \
        if (!(cond))                                                     \
            harness_fail(__FILE__, __LINE__, section, __VA_ARGS__);      \
    } while (0)

/* The common case: an integer that should equal another. */
#define check_eq(got, want, section, what)                               \
    do {                                                                 \
        long long got_ = (long long)(got), want_ = (long long)(want);    \
        if (got_ != want_)                                               \
            harness_fail(__FILE__, __LINE__, section,                    \
                         "%s: expected %lld, got %lld", what, want_,     \
                         got_);                                          \
    } while (0)

_Noreturn void harness_fail(const char *file, int line, const char *section,
                            const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A trace records what tasklets did, in order, as words separated by single
 * spaces ("a1 b1 a2"); tests compare it with the order the chapter promises. */
void trace_reset(void);
void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *trace_text(void);
#define check_trace(want, section)                                       \
    check(harness_streq(trace_text(), want), section,                   \
          "expected the order \"%s\"\n  but the tasklets ran \"%s\"",   \
          want, trace_text())
bool harness_streq(const char *a, const char *b);

/* Skips the running test, saying why (the tool it runs under changes what
 * it checks, say). A skipped test is reported as SKIP, never as a pass. */
_Noreturn void harness_skip(const char *why);

/* Runs fn(arg) in a child process and waits for it, so a test can watch a
 * program end (a stack overflow, a deadlock report) without ending itself.
 * The child's stderr is captured, at most sizeof err - 1 bytes, and it
 * starts with the default action for every crash signal. Where the test
 * runs with HARNESS_NO_FORK set (under qemu-user, whose fork hangs here),
 * the test is skipped instead. */
struct harness_child {
    int exited;       /* 1 if the child called exit, with `status` */
    int status;
    int signal;       /* the signal that ended it, or 0 */
    char err[8192];   /* what it wrote to stderr, NUL-terminated */
};
void harness_run_child(void (*fn)(void *), void *arg, struct harness_child *out);

/* Whether the tests run under valgrind or a sanitizer, for the few checks
 * those tools change (they catch SIGSEGV themselves, and run slower). */
bool harness_under_valgrind(void);
bool harness_under_asan(void);

#endif
