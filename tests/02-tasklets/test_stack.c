/*
 * test_stack.c - step 02: tasklet stacks, their guard page and their cache,
 * and many tasklets.
 *
 * What these tests check:
 *   - stack_create gives STACK_SIZE usable bytes (less the page or so the
 *     bookkeeping may take), with a guard page just below base;
 *   - touching the guard page kills the process at once;
 *   - freed stacks go to a cache of at most STACK_CACHE_MAX and are reused,
 *     so tasklets that come and go one after another map almost nothing;
 *   - a hundred thousand tasklets all run to completion;
 *   - a tasklet that overflows its stack ends the program with a message
 *     naming the tasklet.
 */
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "stack.h"
#include "tasklet.h"

#define SEC_GUARD "Stacks with a guard page"
#define SEC_CACHE "The stack cache"
#define SEC_SPAWN "Spawning"
#define SEC_EXIT "Exiting"
#define SEC_RUN "Running until done"
#define SEC_OVERFLOW "Catching a stack overflow"

static tasklet *spawn_or_fail(void (*fn)(void *), void *arg)
{
    errno = 0;
    tasklet *t = tasklet_spawn(fn, arg);
    check(t != NULL, SEC_SPAWN,
          "tasklet_spawn should return a new tasklet,\n  but it returned "
          "NULL (errno %d: %s)", errno, strerror(errno));
    return t;
}

static void run_all(const char *section)
{
    errno = 0;
    int r = tasklet_run();
    int err = errno;
    check(r == 0, section,
          "tasklet_run should return 0 once every tasklet has exited,\n  "
          "but it returned %d (errno %d: %s)", r, err, strerror(err));
}

static struct stack *create_or_fail(void)
{
    errno = 0;
    struct stack *s = stack_create();
    check(s != NULL, SEC_GUARD,
          "stack_create should return a stack, but it returned NULL "
          "(errno %d: %s)", errno, strerror(errno));
    return s;
}

/* ---- one stack ---- */

static void test_stack_create_and_guard(void **state)
{
    (void)state;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    struct stack *s = create_or_fail();
    char *base = s->base;
    check(s->size >= STACK_SIZE - 4096 && s->size <= STACK_SIZE, SEC_GUARD,
          "a stack should have about STACK_SIZE (%d) usable bytes, at "
          "least STACK_SIZE - 4096,\n  but its size is %zu", STACK_SIZE,
          s->size);
    memset(base, 0xab, s->size); /* every usable byte can be written */

    struct {
        const char *where;
        const char *addr;
        bool in_guard;
    } probes[] = {
        {"base - 1", base - 1, true},
        {"base - page size", base - page, true},
        {"base - page size - 1", base - page - 1, false},
        {"base", base, false},
        {"base + size - 1", base + s->size - 1, false},
    };
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
        check(stack_in_guard(s, probes[i].addr) == probes[i].in_guard,
              SEC_GUARD,
              "stack_in_guard(s, %s) should be %s: the guard is the one "
              "page just below base,\n  but it returned %s", probes[i].where,
              probes[i].in_guard ? "true" : "false",
              probes[i].in_guard ? "false" : "true");
    stack_destroy(s);
}

static void test_stack_cache_counts(void **state)
{
    (void)state;
    struct stack_stats s0, s1;
    stack_trim();
    stack_stats(&s0);
    check_eq(s0.cached, 0, SEC_CACHE, "stacks cached after stack_trim");

    struct stack *a = create_or_fail();
    stack_stats(&s1);
    check_eq(s1.mapped, s0.mapped + 1, SEC_CACHE,
             "stacks mapped after one stack_create with an empty cache");
    stack_destroy(a);
    stack_stats(&s1);
    check_eq(s1.cached, 1, SEC_CACHE, "stacks cached after stack_destroy");
    check_eq(s1.mapped, s0.mapped + 1, SEC_CACHE,
             "stacks mapped after stack_destroy (a cached one stays mapped)");

    struct stack *b = create_or_fail();
    stack_stats(&s1);
    check_eq(s1.reused, s0.reused + 1, SEC_CACHE,
             "stack_create calls served from the cache");
    check_eq(s1.cached, 0, SEC_CACHE,
             "stacks cached after stack_create took the cached one");
    stack_destroy(b);
    stack_trim();
    stack_stats(&s1);
    check(s1.cached == 0 && s1.mapped == s0.mapped &&
              s1.unmapped == s0.unmapped + 1,
          SEC_CACHE,
          "stack_trim should unmap every cached stack: expected cached 0, "
          "mapped %zu, unmapped %zu,\n  got cached %zu, mapped %zu, "
          "unmapped %zu", s0.mapped, s0.unmapped + 1, s1.cached, s1.mapped,
          s1.unmapped);
}

/* A child must die of its fault: the handler cmocka installed in the test
 * process, which the child inherits, would catch the fault and carry on
 * as if the child were the test. */
static void die_of_faults(void)
{
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    signal(SIGILL, SIG_DFL);
}

/* Runs in a child: writes just below a stack's base. */
static void write_into_guard(void *arg)
{
    (void)arg;
    die_of_faults();
    struct stack *s = stack_create();
    if (s == NULL) {
        fprintf(stderr, "(stack_create failed)");
        return;
    }
    volatile char *below = (volatile char *)s->base - 1;
    *below = 1;
    fprintf(stderr, "(the write into the guard page went through)");
}

static void test_guard_page_faults(void **state)
{
    (void)state;
    if (harness_under_valgrind()) {
        /* Valgrind reports the fault itself, on the terminal: noise. */
        harness_skip("valgrind reports the fault itself");
    }
    struct harness_child c;
    harness_run_child(write_into_guard, NULL, &c);
    /* Killed by SIGSEGV; sanitizers catch it and exit with an error. */
    check(c.signal != 0 || (c.exited && c.status != 0), SEC_GUARD,
          "writing the byte just below a stack's base should fault (the "
          "guard page is PROT_NONE),\n  but the process exited normally; "
          "its stderr said \"%s\"", c.err);
}

/* ---- many tasklets ---- */

static long finished;

static void count_and_exit(void *arg)
{
    (void)arg;
    finished++;
}

static void test_stacks_reused_one_after_another(void **state)
{
    (void)state;
    enum { N = 100000 };
    struct stack_stats before, now;
    stack_stats(&before);
    for (long i = 1; i <= N; i++) {
        spawn_or_fail(count_and_exit, NULL);
        tasklet_yield(); /* it runs and exits */
        stack_stats(&now);
        check(now.mapped - before.mapped <= STACK_CACHE_MAX + 2, SEC_EXIT,
              "tasklets spawned one after another, each exiting before the "
              "next, should need only a stack or two,\n  but after %ld of "
              "them %zu stacks are mapped: are exited tasklets' stacks "
              "destroyed?", i, now.mapped - before.mapped);
    }
    run_all(SEC_RUN);
    check_eq(finished, N, SEC_RUN, "tasklets that ran to the end");
    check(now.reused - before.reused >= N - STACK_CACHE_MAX - 2, SEC_CACHE,
          "of %d tasklets spawned one after another, nearly all should get "
          "a stack from the cache,\n  but only %zu did", N,
          now.reused - before.reused);
}

static void test_stack_cache_bounded(void **state)
{
    (void)state;
    enum { N = 1000 };
    struct stack_stats before, after, trimmed;
    stack_stats(&before);
    for (int i = 0; i < N; i++)
        spawn_or_fail(count_and_exit, NULL);
    run_all(SEC_CACHE);
    check_eq(finished, N, SEC_RUN, "tasklets that ran to the end");
    stack_stats(&after);
    check(after.cached <= STACK_CACHE_MAX, SEC_CACHE,
          "the cache should hold at most STACK_CACHE_MAX (%d) stacks, but "
          "it holds %zu", STACK_CACHE_MAX, after.cached);
    check(after.unmapped - before.unmapped >= N - STACK_CACHE_MAX,
          SEC_CACHE,
          "when %d tasklets exit, all but STACK_CACHE_MAX (%d) of their "
          "stacks should be unmapped,\n  but only %zu were", N,
          STACK_CACHE_MAX, after.unmapped - before.unmapped);
    check(after.mapped == after.cached, SEC_EXIT,
          "with every tasklet exited, every stack still mapped should sit "
          "in the cache,\n  but %zu are mapped and %zu cached: an exited "
          "tasklet's stack was never destroyed", after.mapped, after.cached);

    stack_trim();
    stack_stats(&trimmed);
    check(trimmed.cached == 0 && trimmed.mapped == 0 &&
              trimmed.unmapped == after.unmapped + after.cached,
          SEC_CACHE,
          "stack_trim should unmap the %zu cached stacks: expected cached "
          "0, mapped 0, unmapped %zu,\n  got cached %zu, mapped %zu, "
          "unmapped %zu", after.cached, after.unmapped + after.cached,
          trimmed.cached, trimmed.mapped, trimmed.unmapped);
}

static void test_hundred_thousand_tasklets(void **state)
{
    (void)state;
    /* In waves of 10,000 at once: a live stack costs two memory mappings
     * (guard and usable part), and Linux allows about 65,000 per process
     * by default (vm.max_map_count). Valgrind, some 50 times slower at
     * mapping memory, runs one wave only. */
    enum { WAVE = 10000 };
    int waves = harness_under_valgrind() ? 1 : 10;
    for (int w = 1; w <= waves; w++) {
        for (int i = 0; i < WAVE; i++)
            spawn_or_fail(count_and_exit, NULL);
        check_eq(tasklet_runcount(), WAVE + 1, SEC_RUN,
                 "tasklet_runcount with a wave of 10000 spawned");
        run_all(SEC_RUN);
        check_eq(finished, (long)w * WAVE, SEC_RUN,
                 "tasklets that ran to the end, after each wave");
    }
}

/* ---- stack overflow ---- */

/* Recurses until the stack runs out (the limit is far beyond any stack);
 * the volatile array keeps each frame big and the compiler from turning
 * the recursion into a loop. */
static volatile long dive_limit = 1L << 40;

static long dive_forever(long depth)
{
    volatile char pad[512];
    pad[0] = (char)depth;
    if (depth >= dive_limit)
        return 0;
    return dive_forever(depth + 1) + pad[0];
}

static void deep_diver(void *arg)
{
    (void)arg;
    trace("%ld", dive_forever(0));
}

/* Runs in a child: a tasklet named "deep-diver" overflows its stack. */
static void overflow_in_tasklet(void *arg)
{
    (void)arg;
    die_of_faults();
    tasklet *t = tasklet_spawn(deep_diver, NULL);
    if (t == NULL) {
        fprintf(stderr, "(tasklet_spawn failed)");
        return;
    }
    tasklet_set_name(t, "deep-diver");
    tasklet_run();
    fprintf(stderr, "(tasklet_run returned)");
}

static void test_overflow_names_tasklet(void **state)
{
    (void)state;
    if (harness_under_valgrind() || harness_under_asan()) {
        /* Both catch SIGSEGV themselves, before the runtime's handler. */
        harness_skip("valgrind and ASan catch SIGSEGV before the runtime does");
    }
    struct harness_child c;
    harness_run_child(overflow_in_tasklet, NULL, &c);
    check(c.signal != 0 || (c.exited && c.status != 0), SEC_OVERFLOW,
          "a tasklet that overflows its stack should end the program,\n  "
          "but the process exited normally; its stderr said \"%s\"", c.err);
    check(strstr(c.err, "deep-diver") != NULL &&
              strstr(c.err, "overflow") != NULL,
          SEC_OVERFLOW,
          "the program should end with a message naming the tasklet "
          "(\"deep-diver\") and saying \"overflow\",\n  but its stderr said "
          "\"%s\" (ended by signal %d)", c.err, c.signal);
}

HARNESS_TESTS("chapters/02-tasklets.md",
              cmocka_unit_test(test_stack_create_and_guard),
              cmocka_unit_test(test_stack_cache_counts),
              cmocka_unit_test(test_guard_page_faults),
              cmocka_unit_test(test_stacks_reused_one_after_another),
              cmocka_unit_test(test_stack_cache_bounded),
              cmocka_unit_test(test_hundred_thousand_tasklets),
              cmocka_unit_test(test_overflow_names_tasklet))
