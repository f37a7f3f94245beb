/*
 * harness.c - main() for every test program of the workbook.
 *
 *   test_x               run every test, each in a child process
 *   test_x -q            the same, printing only failures and the summary
 *   test_x --list        print the test names, one per line
 *   test_x --run NAME    run one test in this process (the grader's way,
 *                        and the way to run a test under gdb)
 *
 * A result counts only when it comes through the harness's own channel: in
 * the forking mode a pipe the child writes after cmocka returns; with --run,
 * the descriptor named by HARNESS_RESULT_FD. A test that exits, aborts or is
 * killed before the harness writes its record has failed, whatever it printed.
 *
 * HARNESS_TIMEOUT sets the seconds a test may take (default 10).
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

enum { OUTPUT_CAP = 64 * 1024 };

_Noreturn void harness_fail(const char *file, int line, const char *section,
                            const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_error("%s\n  reread %s, section \"%s\"\n", msg, harness_chapter,
                section);
    _fail(file, line);
    abort(); /* _fail longjmps back into cmocka; it never returns */
}

static const char *skip_reason;

_Noreturn void harness_skip(const char *why)
{
    skip_reason = why;
    skip();
    abort(); /* skip longjmps back into cmocka; it never returns */
}

bool harness_streq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

bool harness_under_valgrind(void)
{
    return RUNNING_ON_VALGRIND != 0;
}

bool harness_under_asan(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int timeout_seconds(void)
{
    const char *s = getenv("HARNESS_TIMEOUT");
    int t = s ? atoi(s) : 0;
    return t > 0 ? t : 10;
}

/* Writes "pass NAME", "fail NAME" or "skip NAME: why" to fd; a short write
 * is a failure the reader will see as a missing record. */
static void write_record(int fd, const char *name, int failed)
{
    char line[512];
    int n;
    if (failed)
        n = snprintf(line, sizeof line, "fail %s\n", name);
    else if (skip_reason)
        n = snprintf(line, sizeof line, "skip %s: %s\n", name, skip_reason);
    else
        n = snprintf(line, sizeof line, "pass %s\n", name);
    if (n > 0 && write(fd, line, (size_t)n) != n)
        fprintf(stderr, "harness: could not record the result of %s\n", name);
}

static int run_one(const struct CMUnitTest *t, int record_fd)
{
    int failed = _cmocka_run_group_tests(t->name, t, 1, NULL, NULL);
    fflush(stdout);
    fflush(stderr);
    if (record_fd >= 0)
        write_record(record_fd, t->name, failed);
    return failed ? 1 : 0;
}

/* cmocka prints a banner around every run; keep only what explains a
 * failure, shortened to read well under the test's name. */
static void print_filtered(const char *out)
{
    static const char *prefixes[] = {"[  ERROR   ] --- ", "[   LINE   ] --- ",
                                     "ERROR: "};
    const char *line = out;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[4096];
        if (len >= sizeof buf)
            len = sizeof buf - 1;
        memcpy(buf, line, len);
        buf[len] = '\0';
        line = end ? end + 1 : line + len;

        char *show = buf;
        for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
            if (strncmp(show, prefixes[i], strlen(prefixes[i])) == 0) {
                show += strlen(prefixes[i]);
                i = (size_t)-1; /* they can follow each other */
            }
        if (show == buf && (buf[0] == '[' || strstr(buf, "FAILED TEST(S)")))
            continue; /* the banner */
        char *where = strstr(show, ": error: Failure!");
        if (where) {
            *where = '\0';
            printf("        (at %s)\n", show);
        } else if (*show) {
            printf("        %s\n", show);
        }
    }
}

/* Reads the child's output until it closes or the deadline passes.
 * Returns 0, or -1 on timeout. */
static int drain(int fd, char *buf, size_t cap, size_t *len, double deadline)
{
    for (;;) {
        double left = deadline - seconds_now();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        char chunk[4096];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        size_t keep = (size_t)n;
        if (*len + keep > cap - 1)
            keep = cap - 1 - *len;
        memcpy(buf + *len, chunk, keep);
        *len += keep;
        buf[*len] = '\0';
    }
}

/* Waits for pid until the deadline; kills it past the deadline. */
static int reap(pid_t pid, int *status, double deadline)
{
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        if (seconds_now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, status, 0);
            return -1;
        }
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

enum outcome { FAILED, PASSED, SKIPPED };

/* Runs test t in a child and says how it went. */
static enum outcome fork_one(const struct CMUnitTest *t, int quiet)
{
    int out[2], rec[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(rec, O_CLOEXEC) < 0) {
        perror("harness: pipe");
        return FAILED;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("harness: fork");
        return FAILED;
    }
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(out[1], STDERR_FILENO);
        close(out[0]);
        close(rec[0]);
        exit(run_one(t, rec[1]));
    }
    close(out[1]);
    close(rec[1]);

    static char output[OUTPUT_CAP];
    size_t len = 0;
    output[0] = '\0';
    int limit = timeout_seconds();
    double deadline = seconds_now() + limit;
    int status = 0;
    int timed_out = drain(out[0], output, sizeof output, &len, deadline) < 0;
    if (reap(pid, &status, timed_out ? 0 : deadline) < 0)
        timed_out = 1;

    char record[512] = "";
    fcntl(rec[0], F_SETFL, O_NONBLOCK);
    ssize_t n = read(rec[0], record, sizeof record - 1);
    record[n > 0 ? n : 0] = '\0';
    close(out[0]);
    close(rec[0]);

    char want[512], skipped[512];
    snprintf(want, sizeof want, "pass %s\n", t->name);
    snprintf(skipped, sizeof skipped, "skip %s: ", t->name);
    int clean = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (clean && strcmp(record, want) == 0) {
        if (!quiet)
            printf("  PASS  %s\n", t->name);
        return PASSED;
    }
    if (clean && strncmp(record, skipped, strlen(skipped)) == 0) {
        record[strcspn(record, "\n")] = '\0';
        printf("  SKIP  %s (%s)\n", t->name, record + strlen(skipped));
        return SKIPPED;
    }
    printf("  FAIL  %s\n", t->name);
    print_filtered(output);
    if (timed_out)
        printf("        did not finish within %d s: a tasklet that never "
               "yields back, or a wait nobody ends\n", limit);
    else if (WIFSIGNALED(status))
        printf("        the test process died of signal %d (%s)\n",
               WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (record[0] == '\0')
        printf("        the test ended the process (exit status %d) before "
               "the harness could record a result\n", WEXITSTATUS(status));
    else if (strcmp(record, want) == 0)
        printf("        the test passed, then the process exited with status "
               "%d (a leak or memory error found at exit?)\n",
               WEXITSTATUS(status));
    return FAILED;
}

static const struct CMUnitTest *find_test(const char *name)
{
    for (size_t i = 0; i < harness_ntests; i++)
        if (strcmp(harness_tests[i].name, name) == 0)
            return &harness_tests[i];
    return NULL;
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [-q] [PATTERN]   run the tests (matching PATTERN)\n"
            "       %s --list            list the tests\n"
            "       %s --run NAME        run one test in this process\n",
            prog, prog, prog);
}

int main(int argc, char **argv)
{
    int quiet = 0;
    const char *pattern = "*";
    const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) {
            for (size_t k = 0; k < harness_ntests; k++)
                printf("%s\n", harness_tests[k].name);
            return 0;
        } else if (strcmp(argv[i], "--run") == 0 && i + 1 < argc) {
            const struct CMUnitTest *t = find_test(argv[i + 1]);
            if (!t) {
                fprintf(stderr, "%s: no test named %s (try --list)\n", prog,
                        argv[i + 1]);
                return 2;
            }
            const char *fd = getenv("HARNESS_RESULT_FD");
            return run_one(t, fd ? atoi(fd) : -1);
        } else if (strcmp(argv[i], "-q") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-') {
            usage(prog);
            return 2;
        } else {
            pattern = argv[i];
        }
    }

    int count[3] = {0};
    for (size_t k = 0; k < harness_ntests; k++)
        if (fnmatch(pattern, harness_tests[k].name, 0) == 0)
            count[fork_one(&harness_tests[k], quiet)]++;
    int failed = count[FAILED];
    printf("%s: %d passed, %d failed, %d skipped\n", prog, count[PASSED],
           failed, count[SKIPPED]);
    return failed ? 1 : 0;
}
