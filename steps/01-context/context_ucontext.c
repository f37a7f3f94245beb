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
    /* TODO(step 01, chapters/01-context.md, "The portable fallback"):
     * call the entry of the context being started (starting), then
     * context_entry_returned. */
    context_entry_returned();
}

int context_init(struct context *ctx, void *stack, size_t size,
                 void (*entry)(void *), void *arg)
{
    /* TODO(step 01): check the arguments as the assembly backends do,
     * getcontext, point uc_stack at the stack, makecontext(start), and
     * remember entry and arg. */
    (void)ctx, (void)stack, (void)size, (void)entry, (void)arg, (void)start;
    errno = ENOSYS;
    return -1;
}

void context_switch(struct context *from, struct context *to)
{
    /* TODO(step 01): note which context starts, then swapcontext. */
    (void)from, (void)to, (void)starting;
}

#endif
