/*
 * stack.h - stacks for tasklets: mapped from the kernel with a guard page
 * below them, and kept in a small cache for reuse.
 *
 * A stack is STACK_SIZE bytes of usable memory. Below it sits one page
 * mapped PROT_NONE: a tasklet that runs off the end of its stack touches
 * the guard page and faults at once, instead of silently overwriting the
 * memory below. The kernel hands out pages lazily, so a stack costs
 * resident memory only for the pages its tasklet has touched.
 *
 * Each stack costs the process two memory mappings (the stack and its
 * guard page). Linux caps a process at vm.max_map_count mappings, 65530
 * by default: about 32,000 stacks at once. Raise it (as root, sysctl -w
 * vm.max_map_count=N) to run more tasklets at the same time.
 *
 * Freed stacks go to a cache of up to STACK_CACHE_MAX, so that spawning
 * after an exit costs no system call; past that they are unmapped.
 *
 * Errors: stack_create returns NULL and sets errno (ENOMEM).
 */
#ifndef STACK_H
#define STACK_H

#include <stdbool.h>
#include <stddef.h>

#ifndef STACK_SIZE
#define STACK_SIZE (256 * 1024)
#endif
#define STACK_CACHE_MAX 64

struct stack {
    void *base;            /* lowest usable byte; the guard page is below */
    size_t size;           /* usable bytes, up to this struct */
    unsigned valgrind_id;  /* the stack's registration with valgrind */
};

/* Maps a new stack, or takes one from the cache. */
struct stack *stack_create(void);

/* Returns s to the cache, or unmaps it when the cache is full. */
void stack_destroy(struct stack *s);

/* Whether addr lies in the guard page of s: a fault there is an overflow. */
bool stack_in_guard(const struct stack *s, const void *addr);

/* Counters, for tests and benchmarks. */
struct stack_stats {
    size_t mapped;   /* stacks mapped and not yet unmapped */
    size_t cached;   /* of those, how many sit in the cache */
    size_t reused;   /* stack_create calls served from the cache */
    size_t unmapped; /* stacks given back to the kernel */
};
void stack_stats(struct stack_stats *out);

/* Unmaps every cached stack. */
void stack_trim(void);

#endif
