/*
 * bench.h - what every benchmark program shares: a clock, a way to pick
 * the number of iterations, best-of-5 timing, and the output format.
 *
 * A benchmark is a function that does n iterations of something and
 * returns how many operations that was (a ping-pong iteration is two
 * switches, say). bench_best() first finds an n that takes about
 * BENCH_RUN_NS, then runs it BENCH_RUNS times and keeps the fastest run:
 * the other runs were slowed by something else (an interrupt, another
 * process, a cold cache), never sped up.
 *
 * Each run starts with the floating-point status flags clear (the sticky
 * "inexact", "overflow"... bits of x86's MXCSR), as a new tasklet's are:
 * bench_best's own divisions would otherwise set them in the main context
 * only, and a switch between contexts whose MXCSR differs costs far more
 * than one between contexts whose MXCSR is the same. The benchmarks that
 * want them to differ raise a flag themselves with bench_fp_inexact (the
 * *_fpflags rows).
 *
 * Every result is one line on stdout, `name,value,unit`, which
 * tests/bench/run.sh collects. Notes for people go to stderr.
 *
 * Nothing here judges the numbers: benchmarks report, they do not fail.
 */
#ifndef BENCH_H
#define BENCH_H

#include <fenv.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define BENCH_RUNS 5
#define BENCH_RUN_NS (300 * 1000 * 1000LL)   /* about 0.3 s per run */
#define BENCH_CALIBRATE_NS (20 * 1000 * 1000LL)

/* Does n iterations; returns the number of operations they made. */
typedef long (*bench_fn)(long n, void *arg);

/* Nanoseconds on the monotonic clock. */
static inline int64_t bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The best of BENCH_RUNS runs, in nanoseconds per operation. */
static inline double bench_best(bench_fn fn, void *arg)
{
    /* Double n until a run takes long enough to time, then scale it. */
    long n = 16;
    for (;;) {
        feclearexcept(FE_ALL_EXCEPT);
        int64_t t0 = bench_now();
        fn(n, arg);
        int64_t t = bench_now() - t0;
        if (t >= BENCH_CALIBRATE_NS) {
            n = (long)((double)n * BENCH_RUN_NS / (double)t) + 1;
            break;
        }
        n *= 2;
    }

    double best = 0;
    for (int run = 0; run < BENCH_RUNS; run++) {
        feclearexcept(FE_ALL_EXCEPT);
        int64_t t0 = bench_now();
        long ops = fn(n, arg);
        int64_t t = bench_now() - t0;
        double per_op = (double)t / (double)ops;
        if (run == 0 || per_op < best)
            best = per_op;
    }
    return best;
}

/* One inexact division: it sets the "inexact" status flag of the current
 * context (in MXCSR on x86-64, where double arithmetic is SSE; FPSR on
 * aarch64). volatile, so that the compiler cannot do it at compile time. */
static inline void bench_fp_inexact(void)
{
    volatile double x = 1.0;
    x /= 3.0;
    (void)x;
}

/* One result line. Flushed at once, so that a crash later loses nothing
 * and a fork() does not print it twice. */
static inline void bench_report(const char *name, double value,
                                const char *unit)
{
    printf("%s,%.2f,%s\n", name, value, unit);
    fflush(stdout);
}

#endif
