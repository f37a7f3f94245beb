/*
 * context_x86_64.S - the context switch for x86-64, System V ABI.
 *
 *   void context_switch(struct context *from, struct context *to);
 *
 * Offsets into struct context are pinned in context.c.
 */
#if defined(__x86_64__) && !defined(CONTEXT_UCONTEXT)

    .text
/* book: switch-x86_64 */
    .globl  context_switch
    .type   context_switch, @function
context_switch:
    /* rdi = from, rsi = to. The caller's return address is already on
     * the stack, pushed by its `call`. */
    movq    %rsp, 0(%rdi)       /* the stack pointer */
    movq    %rbx, 8(%rdi)       /* the callee-saved registers */
    movq    %rbp, 16(%rdi)
    movq    %r12, 24(%rdi)
    movq    %r13, 32(%rdi)
    movq    %r14, 40(%rdi)
    movq    %r15, 48(%rdi)
    stmxcsr 56(%rdi)            /* SSE rounding and exception masks */
    fnstcw  60(%rdi)            /* x87 precision and rounding */

    movq    0(%rsi), %rsp       /* from here on we run on to's stack */
    movq    8(%rsi), %rbx
    movq    16(%rsi), %rbp
    movq    24(%rsi), %r12
    movq    32(%rsi), %r13
    movq    40(%rsi), %r14
    movq    48(%rsi), %r15
    /* Only mxcsr's control bits (6-15) are callee-saved; its low six bits
     * are sticky status flags. Loading mxcsr is slow, so skip it when the
     * control bits already match, as they almost always do. */
    movl    56(%rdi), %eax
    xorl    56(%rsi), %eax
    testl   $0xffc0, %eax
    jz      1f
    ldmxcsr 56(%rsi)
1:  fldcw   60(%rsi)
    ret                         /* pops to's return address */
    .size   context_switch, .-context_switch
/* book: end */

/* book: start-x86_64 */
    .globl  context_start
    .hidden context_start
    .type   context_start, @function
context_start:
    .cfi_startproc
    .cfi_undefined rip          /* debuggers: no frames above this one */
    movq    %r13, %rdi          /* arg, placed by context_init */
    callq   *%r12               /* entry(arg) */
    callq   context_entry_returned
    ud2
    .cfi_endproc
    .size   context_start, .-context_start
/* book: end */

#endif
    .section .note.GNU-stack, "", @progbits
