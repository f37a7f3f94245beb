/*
 * bench_sched.c - what the scheduler and channels cost, in time and in
 * memory.
 *
 *   sched_yield           two tasklets calling tasklet_yield in turn: each
 *                         yield is one trip through the scheduler and one
 *                         switch. ns per yield.
 *   sched_yield_fpflags   the same, but one of the two first raises the
 *                         "inexact" floating-point flag, as a tasklet that
 *                         did one inexact division has: their saved
 *                         floating-point state (MXCSR on x86) differs.
 *   sched_chan_roundtrip  two tasklets and two channels: one sends on
 *                         `ping` and receives on `pong`, the other
 *                         receives on `ping` and sends on `pong`. ns per
 *                         round trip (one send and one receive each way).
 *   sched_spawn_exit      spawn STACK_CACHE_MAX tasklets that return at
 *                         once, tasklet_run, repeat. No more than the
 *                         cache holds, so every stack comes from the cache
 *                         (no system call). ns per spawn + run + exit.
 *   sched_idle_rss_<how>_<N>
 *                         resident memory per idle tasklet, in KiB, with N
 *                         = 100,000 and 1,000,000 tasklets, each idle one
 *                         of two ways: `park` (tasklet_park("idle")) or
 *                         `chan` (blocked in chan_receive on a channel no
 *                         one sends on). Each N runs in a child process of
 *                         its own: read VmRSS from /proc/self/status, spawn
 *                         the N tasklets, let each run once (so its stack
 *                         holds its first frames), read VmRSS again, divide
 *                         the difference by N. The child then just exits.
 *                         Also sched_idle_pte_<how>_<N>: the page tables
 *                         (VmPTE) per tasklet, which VmRSS does not count.
 *
 * Each stack is two memory mappings (stack.h), and Linux allows a process
 * vm.max_map_count of them, 65530 by default: about 32,000 tasklets. When
 * the limit is too low for N, the row is skipped with a note on stderr
 * (tests/bench/run.sh raises the limit when it runs as root).
 *
 * Timings are the best of 5 runs of about 0.3 s (bench.h). Output:
 * `name,value,unit` lines on stdout; notes on stderr.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "chan.h"
#include "stack.h"
#include "tasklet.h"

/* ---- (a) yield ---- */

struct yielder_args {
    long n;
    bool fp; /* raise the inexact flag first */
};

/* Both tasklets run this same function, so every switch returns to the
 * same place and the CPU predicts it; two different loops would measure
 * return mispredictions instead of the switch. */
static void yielder(void *arg)
{
    const struct yielder_args *a = arg;
    if (a->fp)
        bench_fp_inexact();
    for (long i = 0; i < a->n; i++)
        tasklet_yield();
}

/* arg: whether one of the two raises a floating-point flag first. */
static long yield_pingpong(long n, void *arg)
{
    struct yielder_args first = {n, arg != NULL}, second = {n, false};
    if (!tasklet_spawn(yielder, &first) || !tasklet_spawn(yielder, &second)) {
        perror("bench_sched: tasklet_spawn");
        exit(1);
    }
    tasklet_run();
    return 2 * n;
}

/* ---- (b) channel ping-pong ---- */

struct pingpong {
    chan *ping, *pong;
    long n;
};

static void pinger(void *arg)
{
    struct pingpong *p = arg;
    void *ball = p;
    for (long i = 0; i < p->n; i++) {
        chan_send(p->ping, ball);
        chan_receive(p->pong, &ball);
    }
}

static void ponger(void *arg)
{
    struct pingpong *p = arg;
    void *ball;
    for (long i = 0; i < p->n; i++) {
        chan_receive(p->ping, &ball);
        chan_send(p->pong, ball);
    }
}

static long chan_pingpong(long n, void *arg)
{
    (void)arg;
    struct pingpong p = {.ping = chan_create(), .pong = chan_create(), .n = n};
    if (!p.ping || !p.pong) {
        perror("bench_sched: chan_create");
        exit(1);
    }
    if (!tasklet_spawn(pinger, &p) || !tasklet_spawn(ponger, &p)) {
        perror("bench_sched: tasklet_spawn");
        exit(1);
    }
    tasklet_run();
    chan_destroy(p.ping);
    chan_destroy(p.pong);
    return n;
}

/* ---- (c) spawn and exit ---- */

static void nothing(void *arg)
{
    (void)arg;
}

static long spawn_exit(long n, void *arg)
{
    (void)arg;
    long batches = n / STACK_CACHE_MAX + 1;
    for (long b = 0; b < batches; b++) {
        for (int i = 0; i < STACK_CACHE_MAX; i++) {
            if (!tasklet_spawn(nothing, NULL)) {
                perror("bench_sched: tasklet_spawn");
                exit(1);
            }
        }
        tasklet_run();
    }
    return batches * STACK_CACHE_MAX;
}

/* ---- (d) memory per idle tasklet ---- */

static void idle_park(void *arg)
{
    (void)arg;
    tasklet_park("idle", NULL, NULL);
}

static void idle_chan(void *arg)
{
    chan_receive(arg, NULL);
}

/* A "Name:   1234 kB" line of /proc/self/status, in KiB; -1 if missing. */
static long status_kib(const char *name)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    size_t len = strlen(name);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, name, len) == 0 && line[len] == ':') {
            kib = strtol(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

/* A single number from a file such as /proc/sys/vm/max_map_count. */
static long read_number(const char *path)
{
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

/* How many mappings the process has now: the lines of /proc/self/maps. */
static long mappings_now(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    long lines = 0;
    int c;
    while ((c = getc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    return lines;
}

/* In a child process: spawns n idle tasklets and reports the memory per
 * tasklet. Exits with 0 when it reported, 2 when it could not. */
static void idle_child(long n, const char *how, void (*fn)(void *))
{
    chan *never = chan_create();
    if (!never) {
        perror("bench_sched: chan_create");
        _exit(2);
    }
    stack_trim(); /* no stacks inherited from the parent's cache */

    long rss0 = status_kib("VmRSS"), pte0 = status_kib("VmPTE");
    for (long i = 0; i < n; i++) {
        if (!tasklet_spawn(fn, never)) {
            fprintf(stderr, "bench_sched: spawning idle tasklet %ld of %ld "
                            "failed: %s; skipping the %s row for %ld\n",
                    i + 1, n, strerror(errno), how, n);
            _exit(2);
        }
    }
    /* The main tasklet goes to the end of the run queue: every new
     * tasklet runs once, parks, and then main resumes. */
    tasklet_yield();
    if (tasklet_runcount() != 1)
        fprintf(stderr, "bench_sched: %d tasklets are still runnable after "
                        "the first run; expected only main\n",
                tasklet_runcount());
    long rss1 = status_kib("VmRSS"), pte1 = status_kib("VmPTE");
    if (rss0 < 0 || rss1 < 0) {
        fprintf(stderr, "bench_sched: no VmRSS in /proc/self/status\n");
        _exit(2);
    }

    char name[64];
    snprintf(name, sizeof name, "sched_idle_rss_%s_%ld", how, n);
    bench_report(name, (double)(rss1 - rss0) / (double)n, "KiB");
    if (pte0 >= 0 && pte1 >= 0) {
        snprintf(name, sizeof name, "sched_idle_pte_%s_%ld", how, n);
        bench_report(name, (double)(pte1 - pte0) / (double)n, "KiB");
    }
    /* The tasklets stay parked; the process ends, and with it them. */
    _exit(0);
}

static void idle_memory(long n, const char *how, void (*fn)(void *))
{
    /* Two mappings per stack, plus what the process has already, plus
     * room for malloc's own. */
    long limit = read_number("/proc/sys/vm/max_map_count");
    long need = 2 * n + mappings_now() + 1000;
    if (limit >= 0 && limit < need) {
        fprintf(stderr, "bench_sched: skipping the %s row for %ld idle "
                        "tasklets: that needs about %ld memory mappings and "
                        "vm.max_map_count is %ld (raise it as root: sysctl -w "
                        "vm.max_map_count=2200000)\n",
                how, n, need, limit);
        return;
    }

    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench_sched: fork");
        return;
    }
    if (pid == 0)
        idle_child(n, how, fn);

    int status;
    if (waitpid(pid, &status, 0) < 0) {
        perror("bench_sched: waitpid");
        return;
    }
    if (WIFSIGNALED(status))
        fprintf(stderr, "bench_sched: the child measuring %ld idle tasklets "
                        "(%s) died of signal %d\n", n, how, WTERMSIG(status));
}

int main(void)
{
    /* Memory first, while this process has no stacks of its own. */
    static const long sizes[] = {100000, 1000000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        idle_memory(sizes[i], "park", idle_park);
        idle_memory(sizes[i], "chan", idle_chan);
    }

    bench_report("sched_yield", bench_best(yield_pingpong, NULL), "ns");
    bench_report("sched_yield_fpflags", bench_best(yield_pingpong, "fp"), "ns");
    bench_report("sched_chan_roundtrip", bench_best(chan_pingpong, NULL), "ns");

    spawn_exit(1, NULL); /* fill the stack cache */
    struct stack_stats before, after;
    stack_stats(&before);
    bench_report("sched_spawn_exit", bench_best(spawn_exit, NULL), "ns");
    stack_stats(&after);
    if (after.mapped != before.mapped)
        fprintf(stderr, "bench_sched: spawn_exit mapped %zu new stacks: not "
                        "every spawn came from the cache\n",
                after.mapped - before.mapped);
    return 0;
}
