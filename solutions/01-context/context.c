/*
 * context.c - the C half of the hand-written context switch: laying out a
 * fresh context so that its first switch starts a function, and pinning the
 * struct offsets that context_<arch>.S relies on.
 */
#include "context.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Called by context_start when an entry function returns, which it must
 * not do: there is no frame above it to return to. */
void context_entry_returned(void)
{
    fprintf(stderr, "context: an entry function returned; it must switch "
                    "away instead (chapters/01-context.md, \"Starting a "
                    "function on a new stack\")\n");
    abort();
}

#if !defined(CONTEXT_UCONTEXT)

/* In context_<arch>.S: calls entry(arg) from the registers context_init
 * fills in, then context_entry_returned. Never called from C. */
void context_start(void);

#if defined(__x86_64__)
_Static_assert(offsetof(struct context, rsp) == 0, "context_x86_64.S: rsp");
_Static_assert(offsetof(struct context, rbx) == 8, "context_x86_64.S: rbx");
_Static_assert(offsetof(struct context, rbp) == 16, "context_x86_64.S: rbp");
_Static_assert(offsetof(struct context, r12) == 24, "context_x86_64.S: r12");
_Static_assert(offsetof(struct context, r13) == 32, "context_x86_64.S: r13");
_Static_assert(offsetof(struct context, r14) == 40, "context_x86_64.S: r14");
_Static_assert(offsetof(struct context, r15) == 48, "context_x86_64.S: r15");
_Static_assert(offsetof(struct context, mxcsr) == 56, "context_x86_64.S: mxcsr");
_Static_assert(offsetof(struct context, fpucw) == 60, "context_x86_64.S: fpucw");
#elif defined(__aarch64__)
_Static_assert(offsetof(struct context, x19_x28) == 0, "context_aarch64.S: x19");
_Static_assert(offsetof(struct context, fp) == 80, "context_aarch64.S: x29");
_Static_assert(offsetof(struct context, lr) == 88, "context_aarch64.S: x30");
_Static_assert(offsetof(struct context, sp) == 96, "context_aarch64.S: sp");
_Static_assert(offsetof(struct context, d8_d15) == 104, "context_aarch64.S: d8");
_Static_assert(offsetof(struct context, fpcr) == 168, "context_aarch64.S: fpcr");
#endif

/* book: context-init */
int context_init(struct context *ctx, void *stack, size_t size,
                 void (*entry)(void *), void *arg)
{
    if (ctx == NULL || stack == NULL || entry == NULL ||
        size < CONTEXT_MIN_STACK) {
        errno = EINVAL;
        return -1;
    }
    memset(ctx, 0, sizeof *ctx);

    /* Stacks grow down, and both ABIs want sp 16-byte aligned at a call. */
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;

#if defined(__x86_64__)
    /* context_switch ends with `ret`, which pops the address to go to.
     * Leave context_start there; after the pop, rsp is 16-byte aligned
     * again, as context_start's own `call` needs. */
    top -= sizeof(void *);
    *(void (**)(void))top = context_start;
    ctx->rsp = top;
    ctx->r12 = (uintptr_t)entry;
    ctx->r13 = (uintptr_t)arg;
    ctx->mxcsr = 0x1f80; /* the ABI's initial state: all exceptions masked, */
    ctx->fpucw = 0x037f; /* round to nearest, double extended precision */
#elif defined(__aarch64__)
    /* context_switch ends with `ret`, which jumps to x30. */
    ctx->sp = top;
    ctx->lr = (uintptr_t)context_start;
    ctx->x19_x28[0] = (uintptr_t)entry;
    ctx->x19_x28[1] = (uintptr_t)arg;
    ctx->fpcr = 0; /* round to nearest, no traps */
#endif
    return 0;
}
/* book: end */

#endif
