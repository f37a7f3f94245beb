/*
 * context_x86_64.S - the context switch for x86-64, System V ABI.
 *
 *   void context_switch(struct context *from, struct context *to);
 *
 * Offsets into struct context are pinned in context.c.
 */
#if defined(__x86_64__) && !defined(CONTEXT_UCONTEXT)

    .text
    .globl  context_switch
    .type   context_switch, @function
context_switch:
    /* TODO(step 01, chapters/01-context.md, "The switch, register by
     * register"): rdi = from, rsi = to.
     * Save rsp, the callee-saved registers (rbx, rbp, r12-r15), mxcsr
     * (stmxcsr) and the x87 control word (fnstcw) into *from; load the
     * same from *to; then `ret` pops the return address from to's stack.
     * (ldmxcsr is slow: chapter 01 shows how to skip it when only the
     * status flags differ.) */
    ret
    .size   context_switch, .-context_switch

    .globl  context_start
    .hidden context_start
    .type   context_start, @function
context_start:
    .cfi_startproc
    .cfi_undefined rip          /* debuggers: no frames above this one */
    /* TODO(step 01): call entry(arg) from the registers context_init
     * filled in (r12 and r13), then context_entry_returned. */
    ud2
    .cfi_endproc
    .size   context_start, .-context_start

#endif
    .section .note.GNU-stack, "", @progbits
