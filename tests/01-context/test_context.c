/*
 * test_context.c - step 01: context_init and context_switch, the basics.
 *
 * What these tests check:
 *   - context_init refuses a stack smaller than CONTEXT_MIN_STACK;
 *   - the first switch to a fresh context calls entry(arg) on the stack it
 *     was given, with that stack 16-byte aligned as the ABI requires;
 *   - switches go back and forth many times, between main and a context
 *     and between two contexts that are not main;
 *   - floating point, printf and deep recursion work on the new stack;
 *   - an entry function that returns ends the program with a message.
 * test_registers.c checks what a switch must keep: registers, rounding.
 *
 * The code that runs on a context's stack never calls check(): it records
 * what it saw in globals and switches back, and the main stack checks.
 */
#include "harness.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define VALGRIND_STACK_REGISTER(lo, hi) 0u
#define VALGRIND_STACK_DEREGISTER(id) ((void)(id))
#endif

#define SEC_START "Starting a function on a new stack"
#define SEC_SWITCH "The switch, register by register"
#define SEC_ALIGN "Stack alignment"
#define SEC_FP "Floating-point state"

/* ---- stacks and contexts the tests share ---- */

/* A stack for a context: heap memory, announced to valgrind so that it
 * does not take a switch for a wild jump of the stack pointer. */
struct test_stack {
    char *mem;
    size_t size;
    unsigned valgrind_id;
};

static void stack_new(struct test_stack *s, size_t size)
{
    s->mem = aligned_alloc(16, size);
    assert_non_null(s->mem); /* plumbing: the test machine is out of memory */
    s->size = size;
    s->valgrind_id = VALGRIND_STACK_REGISTER(s->mem, s->mem + size);
}

static void stack_free(struct test_stack *s)
{
    VALGRIND_STACK_DEREGISTER(s->valgrind_id);
    free(s->mem);
}

static struct context main_ctx; /* where the main stack is saved */
static struct context ctx_a, ctx_b;

/* context_init must succeed before any test switches: switching to a
 * context it refused would jump to garbage. */
static void init_or_fail(struct context *ctx, void *stack, size_t size,
                         void (*entry)(void *), void *arg)
{
    errno = 0;
    int r = context_init(ctx, stack, size, entry, arg);
    check(r == 0, SEC_START,
          "context_init with a %zu-byte stack should return 0,\n"
          "  but it returned %d (errno %d: %s)", size, r, errno,
          strerror(errno));
}

/* ---- context_init ---- */

static void never_called(void *arg)
{
    (void)arg;
    for (;;)
        context_switch(&ctx_a, &main_ctx);
}

static void test_init_checks_stack_size(void **state)
{
    (void)state;
    struct test_stack s;
    stack_new(&s, CONTEXT_MIN_STACK);

    errno = 0;
    int r = context_init(&ctx_a, s.mem, CONTEXT_MIN_STACK - 1, never_called,
                         NULL);
    check(r == -1 && errno == EINVAL, SEC_START,
          "context_init with a stack of CONTEXT_MIN_STACK - 1 bytes should "
          "fail with -1 and errno EINVAL (%d),\n  but it returned %d with "
          "errno %d (%s)", EINVAL, r, errno, strerror(errno));

    init_or_fail(&ctx_a, s.mem, CONTEXT_MIN_STACK, never_called, NULL);
    stack_free(&s);
}

/* ---- the first switch ---- */

static int first_runs;
static void *first_arg;
static uintptr_t first_local; /* the address of a local of the entry */

static void first_entry(void *arg)
{
    char local = 0;
    first_runs++;
    first_arg = arg;
    first_local = (uintptr_t)&local;
    for (;;)
        context_switch(&ctx_a, &main_ctx);
}

static void test_first_switch_starts_entry(void **state)
{
    (void)state;
    struct test_stack s;
    stack_new(&s, 64 * 1024);
    int token = 0;
    init_or_fail(&ctx_a, s.mem, s.size, first_entry, &token);
    check_eq(first_runs, 0, SEC_START,
             "times the entry ran before any switch (context_init must not "
             "call it)");

    context_switch(&main_ctx, &ctx_a);
    check(first_runs == 1, SEC_START,
          "the first context_switch to a fresh context should call its entry "
          "once,\n  but the entry ran %d times: the switch returned to main "
          "without running it", first_runs);
    check(first_arg == &token, SEC_START,
          "the entry should receive the arg given to context_init (%p), but "
          "it got %p", (void *)&token, first_arg);
    uintptr_t lo = (uintptr_t)s.mem, hi = lo + s.size;
    check(first_local >= lo && first_local < hi, SEC_START,
          "the entry should run on the stack given to context_init "
          "[%#lx, %#lx),\n  but its local variable sits at %#lx",
          (unsigned long)lo, (unsigned long)hi, (unsigned long)first_local);
    stack_free(&s);
}

/* ---- back and forth ---- */

static int round_trips;

static void counting_entry(void *arg)
{
    int *counter = arg;
    for (;;) {
        (*counter)++;
        context_switch(&ctx_a, &main_ctx);
    }
}

static void test_round_trip_many_times(void **state)
{
    (void)state;
    struct test_stack s;
    stack_new(&s, 64 * 1024);
    init_or_fail(&ctx_a, s.mem, s.size, counting_entry, &round_trips);

    for (int i = 1; i <= 1000; i++) {
        context_switch(&main_ctx, &ctx_a);
        check(round_trips == i, SEC_SWITCH,
              "after switch number %d from main to the context and back, "
              "the context's counter should be %d,\n  but it is %d", i, i,
              round_trips);
    }
    stack_free(&s);
}

enum { PING_ROUNDS = 500 };
static int pings, pongs;

static void ping_entry(void *arg)
{
    (void)arg;
    for (pings = 1; pings <= PING_ROUNDS; pings++) {
        if (pings <= 3)
            trace("a%d", pings);
        context_switch(&ctx_a, &ctx_b);
    }
    pings = PING_ROUNDS; /* done: go home for good */
    for (;;)
        context_switch(&ctx_a, &main_ctx);
}

static void pong_entry(void *arg)
{
    (void)arg;
    for (pongs = 1;; pongs++) {
        if (pongs <= 3)
            trace("b%d", pongs);
        context_switch(&ctx_b, &ctx_a);
    }
}

static void test_ping_pong_between_contexts(void **state)
{
    (void)state;
    struct test_stack sa, sb;
    stack_new(&sa, 64 * 1024);
    stack_new(&sb, 64 * 1024);
    init_or_fail(&ctx_a, sa.mem, sa.size, ping_entry, NULL);
    init_or_fail(&ctx_b, sb.mem, sb.size, pong_entry, NULL);
    trace_reset();

    context_switch(&main_ctx, &ctx_a);
    check_trace("a1 b1 a2 b2 a3 b3", SEC_SWITCH);
    check(pings == PING_ROUNDS && pongs == PING_ROUNDS, SEC_SWITCH,
          "two contexts switching to each other %d times each should both "
          "count %d,\n  but they counted %d and %d", PING_ROUNDS,
          PING_ROUNDS, pings, pongs);
    stack_free(&sa);
    stack_free(&sb);
}

/* ---- the new stack: alignment, floating point, depth ---- */

typedef double v2d __attribute__((vector_size(16)));
static uintptr_t aligned_local; /* address of a 16-byte-aligned local */
static char fp_text[64];
static double fp_value;

/* Vector locals the compiler moves with aligned SSE/NEON instructions,
 * which fault if the stack is not 16-byte aligned. */
static __attribute__((noinline)) double vector_sum(int n)
{
    volatile v2d acc[2] = {{0, 0}, {0, 0}};
    for (int i = 1; i <= n; i++) {
        v2d x = {1.0 / i, 1.0 / (i * (double)i)};
        acc[i & 1] = acc[i & 1] + x;
    }
    v2d t = acc[0] + acc[1];
    return t[0] + sqrt(6 * t[1]);
}

static void aligned_entry(void *arg)
{
    (void)arg;
    _Alignas(16) volatile char probe[16];
    probe[0] = 1;
    aligned_local = (uintptr_t)probe;
    context_switch(&ctx_a, &main_ctx);

    fp_value = vector_sum(1000);
    snprintf(fp_text, sizeof fp_text, "%.6f %Lg", fp_value,
             (long double)fp_value / 3);
    for (;;)
        context_switch(&ctx_a, &main_ctx);
}

static void test_stack_aligned_at_entry(void **state)
{
    (void)state;
    struct test_stack s;
    stack_new(&s, 64 * 1024 + 64);
    /* A stack whose ends are not 16-byte aligned: context_init must round
     * the top down itself. */
    init_or_fail(&ctx_a, s.mem + 3, 64 * 1024 + 5, aligned_entry, NULL);
    context_switch(&main_ctx, &ctx_a);
    check(aligned_local != 0, SEC_START,
          "the first switch should run the entry, but it returned to main "
          "at once");
    check(aligned_local % 16 == 0, SEC_ALIGN,
          "a local declared _Alignas(16) in the entry should be 16-byte "
          "aligned, but it sits at %#lx\n  (%lu bytes off): the stack "
          "pointer was misaligned when the entry was called",
          (unsigned long)aligned_local, (unsigned long)(aligned_local % 16));

    context_switch(&main_ctx, &ctx_a);
    double want = vector_sum(1000);
    char want_text[64];
    snprintf(want_text, sizeof want_text, "%.6f %Lg", want,
             (long double)want / 3);
    check(fp_value == want && strcmp(fp_text, want_text) == 0, SEC_FP,
          "floating point on the context's stack should compute what main "
          "computes:\n  expected %.17g (\"%s\"), got %.17g (\"%s\")", want,
          want_text, fp_value, fp_text);
    stack_free(&s);
}

enum { DEPTH = 2000 };
static long deep_result;

/* Each frame fills a local array, recurses, then reads the array back: a
 * frame overwritten by a deeper one changes the sum. */
static __attribute__((noinline)) long dive(int depth)
{
    volatile char pad[64];
    for (int i = 0; i < 64; i++)
        pad[i] = (char)(depth + i);
    long below = depth < DEPTH ? dive(depth + 1) : 0;
    long sum = 0;
    for (int i = 0; i < 64; i++)
        sum += pad[i];
    return below + sum;
}

static void deep_entry(void *arg)
{
    (void)arg;
    deep_result = dive(1);
    for (;;)
        context_switch(&ctx_a, &main_ctx);
}

static void test_deep_recursion_on_new_stack(void **state)
{
    (void)state;
    struct test_stack s;
    stack_new(&s, 512 * 1024);
    init_or_fail(&ctx_a, s.mem, s.size, deep_entry, NULL);
    context_switch(&main_ctx, &ctx_a);
    long want = dive(1);
    check(deep_result == want, SEC_START,
          "%d nested calls on a 512 KiB context stack should sum to %ld, "
          "but the context computed %ld", DEPTH, want, deep_result);
    stack_free(&s);
}

/* ---- an entry that returns ---- */

static void returning_entry(void *arg)
{
    (void)arg; /* returns: there is no frame above it to go back to */
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

/* Runs in a child process: starts a context whose entry returns. */
static void start_returning_entry(void *arg)
{
    (void)arg;
    die_of_faults();
    static struct context child_ctx, child_main;
    static char child_stack[64 * 1024] __attribute__((aligned(16)));
    (void)VALGRIND_STACK_REGISTER(child_stack,
                                  child_stack + sizeof child_stack);
    if (context_init(&child_ctx, child_stack, sizeof child_stack,
                     returning_entry, NULL) != 0) {
        fprintf(stderr, "(context_init failed)");
        return;
    }
    context_switch(&child_main, &child_ctx);
    fprintf(stderr, "(the switch came back to main)");
}

static void test_entry_return_ends_process(void **state)
{
    (void)state;
    struct harness_child c;
    harness_run_child(start_returning_entry, NULL, &c);
    check(c.signal != 0 || (c.exited && c.status != 0), SEC_START,
          "when an entry function returns, the program should end (abort) "
          "with a message,\n  but the process exited with status %d; its "
          "stderr said: \"%s\"", c.status, c.err);
    check(strstr(c.err, "returned") != NULL, SEC_START,
          "when an entry function returns, the message on stderr should "
          "say that it returned,\n  but stderr said: \"%s\"", c.err);
}

HARNESS_TESTS("chapters/01-context.md",
              cmocka_unit_test(test_init_checks_stack_size),
              cmocka_unit_test(test_first_switch_starts_entry),
              cmocka_unit_test(test_round_trip_many_times),
              cmocka_unit_test(test_ping_pong_between_contexts),
              cmocka_unit_test(test_stack_aligned_at_entry),
              cmocka_unit_test(test_deep_recursion_on_new_stack),
              cmocka_unit_test(test_entry_return_ends_process))
