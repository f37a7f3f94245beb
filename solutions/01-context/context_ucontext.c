/*
 * context_ucontext.c - the portable backend, on glibc's getcontext,
 * makecontext and swapcontext. Build with `make CONTEXT=ucontext`.
 *
 * It is slow, because swapcontext also saves and restores the signal mask
 * with a system call on every switch; it is here to compare against, and
 * for CPUs without a hand-written switch.
 */
#include "context.h"

#if defined(CONTEXT_UCONTEXT)

#include <errno.h>
#include <string.h>

void context_entry_returned(void);

/* makecontext passes only int arguments, so instead of splitting a pointer
 * across two ints the new context finds its entry here. One OS thread runs
 * all contexts, so a single variable is enough. */
static struct context *starting;

static void start(void)
{
    struct context *self = starting;
    self->entry(self->arg);
    context_entry_returned();
}

int context_init(struct context *ctx, void *stack, size_t size,
                 void (*entry)(void *), void *arg)
{
    if (ctx == NULL || stack == NULL || entry == NULL ||
        size < CONTEXT_MIN_STACK) {
        errno = EINVAL;
        return -1;
    }
    memset(ctx, 0, sizeof *ctx);
    if (getcontext(&ctx->uc) < 0)
        return -1;
    ctx->uc.uc_stack.ss_sp = stack;
    ctx->uc.uc_stack.ss_size = size;
    ctx->uc.uc_link = NULL;
    makecontext(&ctx->uc, start, 0);
    ctx->entry = entry;
    ctx->arg = arg;
    return 0;
}

void context_switch(struct context *from, struct context *to)
{
    starting = to;
    swapcontext(&from->uc, &to->uc);
}

#endif
