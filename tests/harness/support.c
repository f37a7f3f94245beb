/*
 * support.c - the helpers test files share: traces of what tasklets did,
 * and running a piece of a test in a child process it may crash.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char trace_buf[64 * 1024];
static size_t trace_len;

void trace_reset(void)
{
    trace_len = 0;
    trace_buf[0] = '\0';
}

void trace(const char *fmt, ...)
{
    if (trace_len > 0 && trace_len < sizeof trace_buf - 1)
        trace_buf[trace_len++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(trace_buf + trace_len, sizeof trace_buf - trace_len,
                      fmt, ap);
    va_end(ap);
    if (n > 0)
        trace_len += (size_t)n;
    if (trace_len >= sizeof trace_buf)
        trace_len = sizeof trace_buf - 1;
    trace_buf[trace_len] = '\0';
}

const char *trace_text(void)
{
    return trace_buf;
}

void harness_run_child(void (*fn)(void *), void *arg, struct harness_child *out)
{
    memset(out, 0, sizeof *out);
    int err[2];
    if (pipe(err) < 0) {
        snprintf(out->err, sizeof out->err, "harness: pipe failed");
        return;
    }
    if (getenv("HARNESS_NO_FORK"))
        harness_skip("it forks a child, and fork hangs under qemu-user here");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* Crashes are what the caller wants to see: not cmocka's catch. */
        int crashes[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
        for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++)
            signal(crashes[i], SIG_DFL);
        close(err[0]);
        dup2(err[1], STDERR_FILENO);
        fn(arg);
        fflush(NULL);
        _exit(0);
    }
    close(err[1]);
    /* Keep the first bytes, but read to the end so the child never blocks
     * on a full pipe. */
    size_t len = 0;
    char chunk[4096];
    ssize_t n;
    while ((n = read(err[0], chunk, sizeof chunk)) > 0) {
        size_t keep = (size_t)n;
        if (keep > sizeof out->err - 1 - len)
            keep = sizeof out->err - 1 - len;
        memcpy(out->err + len, chunk, keep);
        len += keep;
    }
    out->err[len] = '\0';
    close(err[0]);
    int status = 0;
    if (pid > 0 && waitpid(pid, &status, 0) == pid) {
        if (WIFEXITED(status)) {
            out->exited = 1;
            out->status = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            out->signal = WTERMSIG(status);
        }
    }
}
