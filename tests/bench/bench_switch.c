/*
 * bench_switch.c - what one switch from one computation to another costs,
 * four ways (and the first of them in two situations), in nanoseconds per
 * switch.
 *
 *   switch_context_switch   step 01's context_switch: the main context and
 *                           one other ping-pong, each switching to the other
 *   switch_context_switch_fpflags
 *                           the same, after the main side raised the x86
 *                           "inexact" floating-point flag (as almost any
 *                           division does), so that the two sides' saved
 *                           MXCSR differ and each switch loads a new value
 *   switch_bare_asm         the same ping-pong through the least a switch
 *                           can do, written below: push the callee-saved
 *                           registers, swap stack pointers, pop, return
 *                           (x86-64: rbx rbp r12-r15; aarch64: x19-x30;
 *                           no floating-point state). The baseline.
 *   switch_swapcontext      glibc's swapcontext between two ucontexts (it
 *                           also saves the signal mask: a system call)
 *   switch_pthread_handoff  two OS threads taking turns through a mutex and
 *                           a condition variable; the value is ONE-WAY: half
 *                           of a round trip, the kernel waking the other
 *                           thread once
 *
 * Each ping-pong iteration is two switches (there and back); the value is
 * the time of the whole loop divided by the number of switches, best of 5
 * runs of about 0.3 s (bench.h). Output: `name,value,ns` lines on stdout.
 *
 * Both sides of a ping-pong run the same loop function (cs_loop, bare_loop,
 * uc_loop), so every switch returns to the same instruction it was called
 * from, as in the scheduler, where every switch is made in switch_to. If
 * the two sides switched from two different places, the CPU's return
 * address predictor would guess wrong on every switch, and the benchmark
 * would mostly measure that misprediction.
 */
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "bench.h"
#include "context.h"

#define STACK_BYTES (64 * 1024)

/* ---- (a) step 01's context_switch ---- */

static struct context cs_main, cs_other;

/* Both sides run this same loop: see "Both sides" above. */
static __attribute__((noinline)) void cs_loop(struct context *self,
                                              struct context *peer, long n)
{
    for (long i = 0; i < n; i++)
        context_switch(self, peer);
}

/* The other side switches back, forever. The main side simply stops
 * switching to it when it is done. */
static void cs_entry(void *arg)
{
    (void)arg;
    cs_loop(&cs_other, &cs_main, LONG_MAX);
}

static long cs_pingpong(long n, void *arg)
{
    (void)arg;
    cs_loop(&cs_main, &cs_other, n);
    return 2 * n;
}

/* The other side keeps the MXCSR that context_init gave it, flags clear;
 * the main side now has the inexact flag set. */
static long cs_pingpong_fpflags(long n, void *arg)
{
    (void)arg;
    bench_fp_inexact();
    cs_loop(&cs_main, &cs_other, n);
    return 2 * n;
}

/* ---- (b) the bare switch ---- */

/*
 *   void bare_switch(void **save_sp, void *load_sp);
 *
 * Pushes the callee-saved registers on the current stack, stores the stack
 * pointer in *save_sp, loads load_sp, pops the registers saved there and
 * returns on that stack. Nothing else: no floating-point control bits.
 */
void bare_switch(void **save_sp, void *load_sp);

#if defined(__x86_64__)
#define HAVE_BARE_SWITCH 1
__asm__(
    ".pushsection .text\n"
    ".globl bare_switch\n"
    ".type bare_switch, @function\n"
    "bare_switch:\n"                /* rdi = save_sp, rsi = load_sp */
    "    pushq %rbp\n"
    "    pushq %rbx\n"
    "    pushq %r12\n"
    "    pushq %r13\n"
    "    pushq %r14\n"
    "    pushq %r15\n"
    "    movq  %rsp, (%rdi)\n"
    "    movq  %rsi, %rsp\n"
    "    popq  %r15\n"
    "    popq  %r14\n"
    "    popq  %r13\n"
    "    popq  %r12\n"
    "    popq  %rbx\n"
    "    popq  %rbp\n"
    "    ret\n"                     /* to the address above the registers */
    ".size bare_switch, .-bare_switch\n"
    ".popsection\n");

/* A fresh stack for bare_switch to load: six zeroed registers, then the
 * address to `ret` to. After that pop, rsp must be 8 past a multiple of
 * 16, as at the entry of any function that was called. */
static void *bare_prepare(char *stack, size_t size, void (*entry)(void))
{
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
    void **sp = (void **)(top - 16);
    sp[0] = (void *)entry;  /* the return address */
    sp[1] = NULL;           /* padding: where entry's own return would go */
    sp -= 6;
    memset(sp, 0, 6 * sizeof *sp);
    return sp;
}

#elif defined(__aarch64__)
#define HAVE_BARE_SWITCH 1
__asm__(
    ".pushsection .text\n"
    ".globl bare_switch\n"
    ".type bare_switch, %function\n"
    "bare_switch:\n"                /* x0 = save_sp, x1 = load_sp */
    "    stp x29, x30, [sp, #-96]!\n"
    "    stp x19, x20, [sp, #16]\n"
    "    stp x21, x22, [sp, #32]\n"
    "    stp x23, x24, [sp, #48]\n"
    "    stp x25, x26, [sp, #64]\n"
    "    stp x27, x28, [sp, #80]\n"
    "    mov x9, sp\n"
    "    str x9, [x0]\n"
    "    mov sp, x1\n"
    "    ldp x19, x20, [sp, #16]\n"
    "    ldp x21, x22, [sp, #32]\n"
    "    ldp x23, x24, [sp, #48]\n"
    "    ldp x25, x26, [sp, #64]\n"
    "    ldp x27, x28, [sp, #80]\n"
    "    ldp x29, x30, [sp], #96\n"
    "    ret\n"                     /* to x30 */
    ".size bare_switch, .-bare_switch\n"
    ".popsection\n");

/* A fresh stack for bare_switch to load: twelve registers, all zero but
 * x30, the address `ret` jumps to. sp stays 16-byte aligned. */
static void *bare_prepare(char *stack, size_t size, void (*entry)(void))
{
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
    void **sp = (void **)(top - 96);
    memset(sp, 0, 96);
    sp[1] = (void *)entry;  /* x30 */
    return sp;
}

#else
#define HAVE_BARE_SWITCH 0
#endif

#if HAVE_BARE_SWITCH
static void *bare_main_sp, *bare_other_sp;

static __attribute__((noinline)) void bare_loop(void **self_sp,
                                                void **peer_sp, long n)
{
    for (long i = 0; i < n; i++)
        bare_switch(self_sp, *peer_sp);
}

static void bare_entry(void)
{
    bare_loop(&bare_other_sp, &bare_main_sp, LONG_MAX);
}

static long bare_pingpong(long n, void *arg)
{
    (void)arg;
    bare_loop(&bare_main_sp, &bare_other_sp, n);
    return 2 * n;
}
#endif

/* ---- (c) glibc's swapcontext ---- */

static ucontext_t uc_main, uc_other;

static __attribute__((noinline)) void uc_loop(ucontext_t *self,
                                              ucontext_t *peer, long n)
{
    for (long i = 0; i < n; i++)
        swapcontext(self, peer);
}

static void uc_entry(void)
{
    uc_loop(&uc_other, &uc_main, LONG_MAX);
}

static long uc_pingpong(long n, void *arg)
{
    (void)arg;
    uc_loop(&uc_main, &uc_other, n);
    return 2 * n;
}

/* ---- (d) two OS threads ---- */

/* `turn` says who may go on: 1 the other thread, 0 the main one. One
 * condition variable serves both, since only one of them waits at a time. */
struct handoff {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int turn;
    bool stop;
};

static void *thread_entry(void *arg)
{
    struct handoff *h = arg;
    pthread_mutex_lock(&h->lock);
    for (;;) {
        while (h->turn != 1 && !h->stop)
            pthread_cond_wait(&h->changed, &h->lock);
        if (h->stop)
            break;
        h->turn = 0;
        pthread_cond_signal(&h->changed);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

static long thread_pingpong(long n, void *arg)
{
    struct handoff *h = arg;
    pthread_mutex_lock(&h->lock);
    for (long i = 0; i < n; i++) {
        h->turn = 1;
        pthread_cond_signal(&h->changed);
        while (h->turn != 0)
            pthread_cond_wait(&h->changed, &h->lock);
    }
    pthread_mutex_unlock(&h->lock);
    return 2 * n; /* two one-way handoffs per round trip */
}

int main(void)
{
    static char cs_stack[STACK_BYTES] __attribute__((aligned(16)));
    if (context_init(&cs_other, cs_stack, sizeof cs_stack, cs_entry, NULL) < 0) {
        perror("bench_switch: context_init");
        return 1;
    }
    bench_report("switch_context_switch", bench_best(cs_pingpong, NULL), "ns");
    bench_report("switch_context_switch_fpflags",
                 bench_best(cs_pingpong_fpflags, NULL), "ns");

#if HAVE_BARE_SWITCH
    static char bare_stack[STACK_BYTES] __attribute__((aligned(16)));
    bare_other_sp = bare_prepare(bare_stack, sizeof bare_stack, bare_entry);
    bench_report("switch_bare_asm", bench_best(bare_pingpong, NULL), "ns");
#else
    fprintf(stderr, "bench_switch: no bare switch written for this CPU; "
                    "skipping switch_bare_asm\n");
#endif

    static char uc_stack[STACK_BYTES] __attribute__((aligned(16)));
    getcontext(&uc_other);
    uc_other.uc_stack.ss_sp = uc_stack;
    uc_other.uc_stack.ss_size = sizeof uc_stack;
    uc_other.uc_link = NULL;
    makecontext(&uc_other, uc_entry, 0);
    bench_report("switch_swapcontext", bench_best(uc_pingpong, NULL), "ns");

    struct handoff h = {.lock = PTHREAD_MUTEX_INITIALIZER,
                        .changed = PTHREAD_COND_INITIALIZER};
    pthread_t other;
    int err = pthread_create(&other, NULL, thread_entry, &h);
    if (err != 0) {
        fprintf(stderr, "bench_switch: pthread_create: %s\n", strerror(err));
        return 1;
    }
    bench_report("switch_pthread_handoff", bench_best(thread_pingpong, &h), "ns");
    pthread_mutex_lock(&h.lock);
    h.stop = true;
    pthread_cond_signal(&h.changed);
    pthread_mutex_unlock(&h.lock);
    pthread_join(other, NULL);
    return 0;
}
