/*
 * context_aarch64.S - the context switch for aarch64, AAPCS64.
 *
 *   void context_switch(struct context *from, struct context *to);
 *
 * Offsets into struct context are pinned in context.c.
 */
#if defined(__aarch64__) && !defined(CONTEXT_UCONTEXT)

    .text
/* book: switch-aarch64 */
    .globl  context_switch
    .type   context_switch, %function
context_switch:
    /* x0 = from, x1 = to; x30 holds the caller's return address. */
    stp     x19, x20, [x0, #0]  /* the callee-saved registers */
    stp     x21, x22, [x0, #16]
    stp     x23, x24, [x0, #32]
    stp     x25, x26, [x0, #48]
    stp     x27, x28, [x0, #64]
    stp     x29, x30, [x0, #80] /* frame pointer and return address */
    mov     x9, sp
    str     x9, [x0, #96]       /* the stack pointer */
    stp     d8, d9, [x0, #104]  /* low halves of v8-v15 */
    stp     d10, d11, [x0, #120]
    stp     d12, d13, [x0, #136]
    stp     d14, d15, [x0, #152]
    mrs     x10, fpcr           /* rounding mode and trap enables */
    str     x10, [x0, #168]

    ldp     x19, x20, [x1, #0]
    ldp     x21, x22, [x1, #16]
    ldp     x23, x24, [x1, #32]
    ldp     x25, x26, [x1, #48]
    ldp     x27, x28, [x1, #64]
    ldp     x29, x30, [x1, #80]
    ldr     x9, [x1, #96]
    mov     sp, x9              /* from here on we run on to's stack */
    ldp     d8, d9, [x1, #104]
    ldp     d10, d11, [x1, #120]
    ldp     d12, d13, [x1, #136]
    ldp     d14, d15, [x1, #152]
    ldr     x10, [x1, #168]
    msr     fpcr, x10
    ret                         /* to x30, to's return address */
    .size   context_switch, .-context_switch
/* book: end */

/* book: start-aarch64 */
    .globl  context_start
    .hidden context_start
    .type   context_start, %function
context_start:
    .cfi_startproc
    .cfi_undefined x30          /* debuggers: no frames above this one */
    mov     x0, x20             /* arg, placed by context_init */
    blr     x19                 /* entry(arg) */
    bl      context_entry_returned
    brk     #0
    .cfi_endproc
    .size   context_start, .-context_start
/* book: end */

#endif
    .section .note.GNU-stack, "", %progbits
