/*
 * test_registers.c - step 01: what context_switch must keep for each side.
 *
 * What these tests check:
 *   - the callee-saved registers (rbx, rbp, r12-r15 on x86-64; x19-x28 and
 *     d8-d15 on aarch64) come back as each side left them, set and read
 *     with a few lines of assembly;
 *   - the values a C function keeps live across a switch come back intact;
 *   - the floating-point rounding mode belongs to each context: one that
 *     rounds upward does not change main's rounding to nearest.
 *
 * The code that runs on a context's stack never calls check(): it records
 * what it saw in globals and switches back, and the main stack checks.
 */
#include "harness.h"

#include <errno.h>
#include <fenv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define VALGRIND_STACK_REGISTER(lo, hi) 0u
#define VALGRIND_STACK_DEREGISTER(id) ((void)(id))
#endif

#define SEC_HOLDS "What a context holds"
#define SEC_START "Starting a function on a new stack"
#define SEC_SWITCH "The switch, register by register"
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
static struct context ctx_a;

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

/* ---- callee-saved registers ---- */

/* switch_with_marks(from, to, marks, seen) loads the callee-saved
 * registers with marks[], calls context_switch(from, to), and when that
 * returns stores what those registers hold into seen[]. It saves and
 * restores them for its own caller, as the ABI asks. A context switch that
 * keeps them gives back exactly the marks each side loaded. */
#if defined(__x86_64__)
#define N_MARKS 6
static const char *const mark_names[N_MARKS] = {"rbx", "rbp", "r12",
                                                "r13", "r14", "r15"};
__asm__(".text\n"
        ".globl switch_with_marks\n"
        ".hidden switch_with_marks\n"
        ".type switch_with_marks, @function\n"
        "switch_with_marks:\n"
        "    pushq %rbx\n"
        "    pushq %rbp\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    pushq %rcx\n" /* seen; seven pushes leave rsp 16-aligned */
        "    movq 0(%rdx), %rbx\n"
        "    movq 8(%rdx), %rbp\n"
        "    movq 16(%rdx), %r12\n"
        "    movq 24(%rdx), %r13\n"
        "    movq 32(%rdx), %r14\n"
        "    movq 40(%rdx), %r15\n"
        "    call context_switch@PLT\n"
        "    popq %rcx\n"
        "    movq %rbx, 0(%rcx)\n"
        "    movq %rbp, 8(%rcx)\n"
        "    movq %r12, 16(%rcx)\n"
        "    movq %r13, 24(%rcx)\n"
        "    movq %r14, 32(%rcx)\n"
        "    movq %r15, 40(%rcx)\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbp\n"
        "    popq %rbx\n"
        "    ret\n"
        ".size switch_with_marks, .-switch_with_marks\n");
#elif defined(__aarch64__)
#define N_MARKS 18
static const char *const mark_names[N_MARKS] = {
    "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27",
    "x28", "d8",  "d9",  "d10", "d11", "d12", "d13", "d14", "d15"};
__asm__(".text\n"
        ".globl switch_with_marks\n"
        ".hidden switch_with_marks\n"
        ".type switch_with_marks, %function\n"
        "switch_with_marks:\n"
        "    stp x29, x30, [sp, #-176]!\n"
        "    mov x29, sp\n"
        "    stp x19, x20, [sp, #16]\n"
        "    stp x21, x22, [sp, #32]\n"
        "    stp x23, x24, [sp, #48]\n"
        "    stp x25, x26, [sp, #64]\n"
        "    stp x27, x28, [sp, #80]\n"
        "    stp d8, d9, [sp, #96]\n"
        "    stp d10, d11, [sp, #112]\n"
        "    stp d12, d13, [sp, #128]\n"
        "    stp d14, d15, [sp, #144]\n"
        "    str x3, [sp, #160]\n" /* seen */
        "    ldp x19, x20, [x2, #0]\n"
        "    ldp x21, x22, [x2, #16]\n"
        "    ldp x23, x24, [x2, #32]\n"
        "    ldp x25, x26, [x2, #48]\n"
        "    ldp x27, x28, [x2, #64]\n"
        "    ldp d8, d9, [x2, #80]\n"
        "    ldp d10, d11, [x2, #96]\n"
        "    ldp d12, d13, [x2, #112]\n"
        "    ldp d14, d15, [x2, #128]\n"
        "    bl context_switch\n"
        "    ldr x3, [sp, #160]\n"
        "    stp x19, x20, [x3, #0]\n"
        "    stp x21, x22, [x3, #16]\n"
        "    stp x23, x24, [x3, #32]\n"
        "    stp x25, x26, [x3, #48]\n"
        "    stp x27, x28, [x3, #64]\n"
        "    stp d8, d9, [x3, #80]\n"
        "    stp d10, d11, [x3, #96]\n"
        "    stp d12, d13, [x3, #112]\n"
        "    stp d14, d15, [x3, #128]\n"
        "    ldp x19, x20, [sp, #16]\n"
        "    ldp x21, x22, [sp, #32]\n"
        "    ldp x23, x24, [sp, #48]\n"
        "    ldp x25, x26, [sp, #64]\n"
        "    ldp x27, x28, [sp, #80]\n"
        "    ldp d8, d9, [sp, #96]\n"
        "    ldp d10, d11, [sp, #112]\n"
        "    ldp d12, d13, [sp, #128]\n"
        "    ldp d14, d15, [sp, #144]\n"
        "    ldp x29, x30, [sp], #176\n"
        "    ret\n"
        ".size switch_with_marks, .-switch_with_marks\n");
#endif

#if defined(N_MARKS)
void switch_with_marks(struct context *from, struct context *to,
                       const uint64_t marks[N_MARKS], uint64_t seen[N_MARKS]);

static uint64_t main_marks[N_MARKS], main_seen[N_MARKS];
static uint64_t ctx_marks[N_MARKS], ctx_seen[N_MARKS];
static int marks_rounds;

static void marks_entry(void *arg)
{
    (void)arg;
    for (;;) {
        marks_rounds++;
        switch_with_marks(&ctx_a, &main_ctx, ctx_marks, ctx_seen);
    }
}

/* Fails, naming the first register that did not come back as `who` left
 * it. */
static void check_marks(const uint64_t *want, const uint64_t *got,
                        const char *who)
{
    for (int i = 0; i < N_MARKS; i++)
        check(got[i] == want[i], SEC_HOLDS,
              "%s set %s to %#llx before switching away; when it was "
              "resumed, %s held %#llx.\n  context_switch must save every "
              "callee-saved register into *from and load them from *to",
              who, mark_names[i], (unsigned long long)want[i], mark_names[i],
              (unsigned long long)got[i]);
}
#endif

static void test_callee_saved_registers_survive(void **state)
{
    (void)state;
#if !defined(N_MARKS)
    harness_skip("no register-level check is written for this CPU");
#else
    for (int i = 0; i < N_MARKS; i++) {
        main_marks[i] = 0x1111111111111111u * (uint64_t)(i % 15 + 1) + 1;
        ctx_marks[i] = 0xa5a5000000000000u + (uint64_t)i;
    }
    struct test_stack s;
    stack_new(&s, 64 * 1024);
    init_or_fail(&ctx_a, s.mem, s.size, marks_entry, NULL);

    for (int round = 1; round <= 3; round++) {
        switch_with_marks(&main_ctx, &ctx_a, main_marks, main_seen);
        check(marks_rounds == round, SEC_SWITCH,
              "switch %d from main should resume the context, but the "
              "context has run %d times", round, marks_rounds);
        check_marks(main_marks, main_seen, "main");
        if (round > 1)
            check_marks(ctx_marks, ctx_seen, "the context");
    }
    stack_free(&s);
#endif
}

/* The same lesson in plain C: values a function keeps live across the
 * switch (the compiler puts them in callee-saved registers) must come back
 * intact, however much the other context computes meanwhile. */
static volatile uint64_t seed = 12345;
static uint64_t churn_result;

static void churn_entry(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t a = seed, b = a * 7, c = b ^ 0x5555, d = c + a, e = d * 3;
        uint64_t f = e ^ b, g = f + c, h = g * 11;
        for (int i = 0; i < 100; i++) {
            a += h; b ^= a; c += b; d ^= c; e += d; f ^= e; g += f; h ^= g;
        }
        churn_result = a + b + c + d + e + f + g + h;
        context_switch(&ctx_a, &main_ctx);
    }
}

static __attribute__((noinline)) uint64_t mix_across(bool do_switch)
{
    uint64_t a = seed * 3 + 1, b = a ^ (a << 7), c = b * 5, d = c ^ (c >> 3);
    uint64_t e = d + a, f = e * 9, g = f ^ b, h = g + c;
    if (do_switch)
        context_switch(&main_ctx, &ctx_a);
    return a + 2 * b + 3 * c + 5 * d + 7 * e + 11 * f + 13 * g + 17 * h;
}

static void test_live_values_survive_switch(void **state)
{
    (void)state;
    struct test_stack s;
    stack_new(&s, 64 * 1024);
    init_or_fail(&ctx_a, s.mem, s.size, churn_entry, NULL);

    uint64_t want = mix_across(false);
    uint64_t got = mix_across(true);
    check(churn_result != 0, SEC_SWITCH,
          "the switch to the context should have run its entry, but it "
          "returned to main at once");
    check(got == want, SEC_HOLDS,
          "a function's local values, live across context_switch, should "
          "come back intact:\n  expected %#llx, got %#llx",
          (unsigned long long)want, (unsigned long long)got);
    stack_free(&s);
}

/* ---- the rounding mode ---- */

/* What a context sees of its rounding mode: fegetround (the x87 control
 * word on x86-64), and two conversions of 2.5 to an integer, one by SSE
 * (mxcsr) and one in long double (x87). Round to nearest gives 2 and 2;
 * upward gives 3 and 3. */
struct rounding {
    int mode;
    long sse;
    long x87;
};
static volatile double two_and_half = 2.5;
static struct rounding ctx_rounding;
static int rounding_rounds;

static struct rounding rounding_now(void)
{
    struct rounding r = {fegetround(), lrint(two_and_half),
                         lrintl((long double)two_and_half)};
    return r;
}

static void rounding_entry(void *arg)
{
    (void)arg;
    fesetround(FE_UPWARD);
    for (;;) {
        ctx_rounding = rounding_now();
        rounding_rounds++;
        context_switch(&ctx_a, &main_ctx);
    }
}

static void test_rounding_mode_is_per_context(void **state)
{
    (void)state;
    struct test_stack s;
    stack_new(&s, 64 * 1024);
    init_or_fail(&ctx_a, s.mem, s.size, rounding_entry, NULL);
    check_eq(fegetround(), FE_TONEAREST, SEC_FP,
             "main's rounding mode before the test (FE_TONEAREST)");

    for (int round = 1; round <= 2; round++) {
        context_switch(&main_ctx, &ctx_a);
        check_eq(rounding_rounds, round, SEC_SWITCH,
                 "times the context ran after as many switches to it");
        struct rounding m = rounding_now();
        check(m.mode == FE_TONEAREST && m.sse == 2 && m.x87 == 2, SEC_FP,
              "the context set FE_UPWARD for itself; back in main the mode "
              "should still be round to nearest,\n  but fegetround() is "
              "%#x (FE_TONEAREST is %#x) and 2.5 rounds to %ld (double) and "
              "%ld (long double) instead of 2.\n  context_switch must save "
              "and restore the FP control state (mxcsr and the x87 control "
              "word; fpcr on aarch64)", m.mode, FE_TONEAREST, m.sse, m.x87);
        check(ctx_rounding.mode == FE_UPWARD && ctx_rounding.sse == 3 &&
                  ctx_rounding.x87 == 3,
              SEC_FP,
              "after switch %d the context should still round upward, as "
              "it chose,\n  but fegetround() was %#x (FE_UPWARD is %#x) and "
              "2.5 rounded to %ld and %ld instead of 3", round,
              ctx_rounding.mode, FE_UPWARD, ctx_rounding.sse,
              ctx_rounding.x87);
    }
    stack_free(&s);
}

HARNESS_TESTS("chapters/01-context.md",
              cmocka_unit_test(test_callee_saved_registers_survive),
              cmocka_unit_test(test_live_values_survive_switch),
              cmocka_unit_test(test_rounding_mode_is_per_context))
