/*
 * test_preload.c - step 07: the runtime as a shared library, preloaded
 * into a program that knows nothing of it.
 *
 * prog_threads (a plain POSIX program, one thread per client, built
 * beside this test) runs twice: as it is, on N + 2 OS threads, and with
 * LD_PRELOAD set to the libgreen.so of the same build and mix as this
 * test, where every POSIX thread is a tasklet and the whole program runs
 * on one OS thread. Both runs must get every reply. Under valgrind, the
 * program runs under valgrind too, so that it checks the library. Both
 * paths are found from this program's own path:
 *
 *     build/<variant>/bin/<mix>/07-install/test_preload
 *     build/<variant>/bin/<mix>/07-install/prog_threads
 *     build/<variant>/lib/<mix>/07-install/libgreen.so
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_PRELOAD "The shared form: LD_PRELOAD"
#define S_THREADS "Threads as tasklets"

enum { CLIENTS = 50 };

static char prog[PATH_MAX], lib[PATH_MAX];

/* Finds prog_threads and libgreen.so from the environment, or else from
 * this program's path. */
static void find_paths(void)
{
    const char *dir = getenv("GREEN_PROG_DIR"), *so = getenv("GREEN_PRELOAD_LIB");
    if (dir && so) {
        snprintf(prog, sizeof prog, "%s/prog_threads", dir);
        snprintf(lib, sizeof lib, "%s", so);
        check(access(prog, X_OK) == 0 && access(lib, R_OK) == 0, S_PRELOAD,
              "GREEN_PROG_DIR and GREEN_PRELOAD_LIB name %s and %s, which "
              "are not there", prog, lib);
        return;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    check(n > 0, S_PRELOAD, "readlink(/proc/self/exe) failed: %s",
          strerror(errno));
    self[n] = '\0';
    char *step_dir = dirname(self);                  /* bin/<mix>/<step> */
    snprintf(prog, sizeof prog, "%s/prog_threads", step_dir);
    char step[NAME_MAX + 1], mix[NAME_MAX + 1];
    snprintf(step, sizeof step, "%s", basename(step_dir));
    char *mix_dir = dirname(step_dir);               /* bin/<mix> */
    snprintf(mix, sizeof mix, "%s", basename(mix_dir));
    char *variant_dir = dirname(dirname(mix_dir));   /* build/<variant> */
    snprintf(lib, sizeof lib, "%s/lib/%s/%s/libgreen.so", variant_dir, mix,
             step);
    check(access(prog, X_OK) == 0, S_PRELOAD,
          "expected the plain program at %s (built with the tests)", prog);
    check(access(lib, R_OK) == 0, S_PRELOAD,
          "expected the shared library at %s (built with the tests)", lib);
}

struct run {
    int status;      /* the exit status, or -1 */
    char out[4096];  /* stdout and stderr */
};

/* Runs prog_threads CLIENTS with LD_PRELOAD=preload, or without any. */
static void run_prog(const char *preload, struct run *r)
{
    if (getenv("HARNESS_NO_FORK"))
        harness_skip("it forks a child, and fork hangs under qemu-user here");
    int out[2];
    check(pipe(out) == 0, S_PRELOAD, "pipe failed: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    check(pid >= 0, S_PRELOAD, "fork failed: %s", strerror(errno));
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(out[1], STDERR_FILENO);
        close(out[0]);
        close(out[1]);
        if (preload) {
            setenv("LD_PRELOAD", preload, 1);
            /* An instrumented program's own runtime must come first, and
             * the preloaded library comes before it: allow it. */
            setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
        } else {
            unsetenv("LD_PRELOAD");
        }
        char n[16];
        snprintf(n, sizeof n, "%d", CLIENTS);
        if (harness_under_valgrind()) /* check the library too */
            execlp("valgrind", "valgrind", "-q", "--error-exitcode=99",
                   "--leak-check=full", "--errors-for-leak-kinds=definite",
                   prog, n, (char *)NULL);
        execl(prog, prog, n, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    size_t len = 0;
    ssize_t n;
    while ((n = read(out[0], r->out + len, sizeof r->out - 1 - len)) > 0)
        len += (size_t)n;
    r->out[len] = '\0';
    close(out[0]);
    int status;
    waitpid(pid, &status, 0);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_threads_without_preload(void **state)
{
    (void)state;
    find_paths();
    struct run r;
    run_prog(NULL, &r);
    char want[64];
    snprintf(want, sizeof want, "threads: %d\nreplies: %d\n", CLIENTS + 2,
             CLIENTS);
    check(r.status == 0 && strcmp(r.out, want) == 0, S_PRELOAD,
          "%s, run as it is, should use %d OS threads and get %d replies; "
          "it exited with %d and printed:\n%s",
          prog, CLIENTS + 2, CLIENTS, r.status, r.out);
}

/* book: test-preload */
static void test_threads_with_preload(void **state)
{
    (void)state;
    find_paths();
    struct run r;
    run_prog(lib, &r);
    char want[64];
    snprintf(want, sizeof want, "threads: 1\nreplies: %d\n", CLIENTS);
    check(r.status == 0 && strcmp(r.out, want) == 0, S_THREADS,
          "LD_PRELOAD=%s %s %d\n  should run every thread as a tasklet on "
          "one OS thread and get %d replies; it exited with %d and "
          "printed:\n%s",
          lib, prog, CLIENTS, CLIENTS, r.status, r.out);
}
/* book: end */

HARNESS_TESTS("chapters/07-install.md",
              cmocka_unit_test(test_threads_without_preload),
              cmocka_unit_test(test_threads_with_preload))
