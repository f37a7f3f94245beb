/*
 * context.h - switching from one stack to another.
 *
 * A context is what a suspended computation needs to go on later: the
 * registers the calling convention says a function call preserves, and the
 * stack pointer. Everything else (the caller-saved registers, the return
 * address, every local variable) already lives on that computation's stack.
 *
 * The struct is public on purpose: its fields are the lesson, and the
 * assembly in context_<arch>.S reads and writes them at the offsets that
 * context.c pins with _Static_assert.
 *
 * Backends, one file each, chosen at build time:
 *   context_x86_64.S    System V x86-64, hand-written
 *   context_aarch64.S   AAPCS64, hand-written
 *   context_ucontext.c  glibc's swapcontext (make CONTEXT=ucontext), for
 *                       comparison and for other architectures
 *
 * Errors: context_init returns -1 and sets errno; context_switch cannot fail.
 * One OS thread: contexts must be switched only by the thread that made them.
 */
#ifndef CONTEXT_H
#define CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#if defined(CONTEXT_UCONTEXT)
#include <ucontext.h>
#endif

/* The least a stack may hold: the first frame, and room for a signal. */
#define CONTEXT_MIN_STACK (16 * 1024)

#if defined(CONTEXT_UCONTEXT)

struct context {
    ucontext_t uc;
    void (*entry)(void *); /* for a context not started yet */
    void *arg;
};

#elif defined(__x86_64__)

/* Callee-saved in the System V ABI: rbx, rbp, r12-r15, the stack pointer,
 * and the control bits of the SSE (mxcsr) and x87 (fpucw) units. The return
 * address is not here: the `call` into context_switch pushed it on the
 * stack that rsp points to. */
struct context {
    uint64_t rsp;  /* 0 */
    uint64_t rbx;  /* 8 */
    uint64_t rbp;  /* 16 */
    uint64_t r12;  /* 24 */
    uint64_t r13;  /* 32 */
    uint64_t r14;  /* 40 */
    uint64_t r15;  /* 48 */
    uint32_t mxcsr;  /* 56 */
    uint16_t fpucw;  /* 60 */
    uint16_t unused; /* 62 */
};

#elif defined(__aarch64__)

/* Callee-saved in AAPCS64: x19-x28, the frame pointer x29, the link
 * register x30 (where context_switch returns to), sp, the low 64 bits of
 * v8-v15 (d8-d15), and the floating-point control register fpcr. */
struct context {
    uint64_t x19_x28[10]; /* 0 */
    uint64_t fp;          /* 80: x29 */
    uint64_t lr;          /* 88: x30 */
    uint64_t sp;          /* 96 */
    uint64_t d8_d15[8];   /* 104 */
    uint64_t fpcr;        /* 168 */
};

#else
#error "no hand-written context switch for this CPU: build with CONTEXT=ucontext"
#endif

/* Prepares ctx so that the first context_switch to it calls entry(arg) on
 * the stack [stack, stack + size). entry must never return: when it is done
 * it switches away for good (returning ends the program with a message).
 * Fails with EINVAL if the stack is smaller than CONTEXT_MIN_STACK. */
int context_init(struct context *ctx, void *stack, size_t size,
                 void (*entry)(void *), void *arg);

/* Saves the running computation in *from and resumes *to. Returns when
 * some later context_switch resumes *from. */
void context_switch(struct context *from, struct context *to);

#endif
