/*
 * context.c - the C half of the hand-written context switch: laying out a
 * fresh context so that its first switch starts a function, and pinning the
 * struct offsets that context_<arch>.S relies on.
 *
 * Your task (chapters/01-context.md, "Starting a function on a new stack"):
 * write context_init. Then write context_switch and context_start in the
 * assembly file for your CPU (uname -m tells).
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

/* The assembly uses these offsets; if you change struct context, change
 * both, and these checks keep them in step. */
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

int context_init(struct context *ctx, void *stack, size_t size,
                 void (*entry)(void *), void *arg)
{
    /* TODO(step 01): prepare ctx so that the first context_switch to it
     * runs context_start, which calls entry(arg) on the new stack.
     *   - Reject a NULL ctx, stack or entry, or a size below
     *     CONTEXT_MIN_STACK, with errno EINVAL and -1.
     *   - Zero the struct, then find the top of the stack: stacks grow
     *     down, and the ABI wants it 16-byte aligned.
     *   - x86-64: context_switch ends with `ret`, so the address of
     *     context_start must sit where the saved rsp points. Mind the
     *     alignment context_start's own `call` needs. Put entry and arg in
     *     the registers context_start reads (r12, r13), and give mxcsr and
     *     fpucw the ABI's initial values (0x1f80 and 0x037f).
     *   - aarch64: `ret` jumps to x30, so lr = context_start; sp = top;
     *     entry and arg in x19 and x20; fpcr = 0. */
    (void)ctx, (void)stack, (void)size, (void)entry, (void)arg;
    (void)context_start;
    errno = ENOSYS;
    return -1;
}

#endif
