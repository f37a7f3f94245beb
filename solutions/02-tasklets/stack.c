/*
 * stack.c - tasklet stacks: one mapping each, a guard page at the bottom,
 * the struct stack itself in the top bytes, and a cache of freed stacks.
 *
 *   low addresses                                        high addresses
 *   | guard page (PROT_NONE) | usable stack, grows down <- | struct stack |
 */
#include "stack.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define VALGRIND_STACK_REGISTER(lo, hi) 0
#define VALGRIND_STACK_DEREGISTER(id) ((void)(id))
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

static struct stack *cache[STACK_CACHE_MAX];
static size_t ncached;
static struct stack_stats stats;

static size_t page_size(void)
{
    static size_t page;
    if (page == 0)
        page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

/* The whole mapping: the guard page plus STACK_SIZE rounded up to pages. */
static size_t mapping_size(void)
{
    size_t page = page_size();
    return page + (STACK_SIZE + page - 1) / page * page;
}

static void unmap(struct stack *s)
{
    VALGRIND_STACK_DEREGISTER(s->valgrind_id);
    munmap((char *)s->base - page_size(), mapping_size());
    stats.mapped--;
    stats.unmapped++;
}

/* book: stack-create */
struct stack *stack_create(void)
{
    if (ncached > 0) {
        stats.reused++;
        stats.cached--;
        return cache[--ncached];
    }

    size_t total = mapping_size();
    char *map = mmap(NULL, total, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                     -1, 0);
    if (map == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
    if (mprotect(map, page_size(), PROT_NONE) < 0) {
        munmap(map, total);
        errno = ENOMEM; /* most likely: too many mappings (stack.h) */
        return NULL;
    }

    struct stack *s = (struct stack *)(map + total) - 1;
    s->base = map + page_size();
    s->size = (size_t)((char *)s - (char *)s->base);
    s->valgrind_id = VALGRIND_STACK_REGISTER(s->base, (char *)s->base + s->size);
    stats.mapped++;
    return s;
}
/* book: end */

/* book: stack-destroy */
void stack_destroy(struct stack *s)
{
    if (s == NULL)
        return;
    /* AddressSanitizer marks the frames of the finished tasklet; clear
     * them, or the next tasklet on this stack trips over stale marks. */
    ASAN_UNPOISON_MEMORY_REGION(s->base, s->size);
    if (ncached < STACK_CACHE_MAX) {
        cache[ncached++] = s;
        stats.cached++;
        return;
    }
    unmap(s);
}

bool stack_in_guard(const struct stack *s, const void *addr)
{
    uintptr_t a = (uintptr_t)addr;
    uintptr_t base = (uintptr_t)s->base;
    return a < base && a >= base - page_size();
}
/* book: end */

void stack_stats(struct stack_stats *out)
{
    *out = stats;
}

void stack_trim(void)
{
    while (ncached > 0) {
        stats.cached--;
        unmap(cache[--ncached]);
    }
}
