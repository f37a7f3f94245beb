/*
 * context_aarch64.S - the context switch for aarch64, AAPCS64.
 *
 *   void context_switch(struct context *from, struct context *to);
 *
 * Offsets into struct context are pinned in context.c.
 */
#if defined(__aarch64__) && !defined(CONTEXT_UCONTEXT)

    .text
    .globl  context_switch
    .type   context_switch, %function
context_switch:
    /* TODO(step 01, chapters/01-context.md, "The switch, register by
     * register"): x0 = from, x1 = to.
     * Save x19-x28, x29 and x30 (stp pairs), sp (through a scratch
     * register: sp cannot be stored directly), d8-d15 and fpcr (mrs) into
     * *from; load the same from *to; then `ret` jumps to to's x30. */
    ret
    .size   context_switch, .-context_switch

    .globl  context_start
    .hidden context_start
    .type   context_start, %function
context_start:
    .cfi_startproc
    .cfi_undefined x30          /* debuggers: no frames above this one */
    /* TODO(step 01): call entry(arg) from x19 and x20, then
     * context_entry_returned. */
    brk     #0
    .cfi_endproc
    .size   context_start, .-context_start

#endif
    .section .note.GNU-stack, "", %progbits
