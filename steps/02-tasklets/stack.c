/*
 * stack.c - tasklet stacks: one mapping each, a guard page at the bottom,
 * the struct stack itself in the top bytes, and a cache of freed stacks.
 *
 *   low addresses                                        high addresses
 *   | guard page (PROT_NONE) | usable stack, grows down <- | struct stack |
 *
 * Your task (chapters/02-tasklets.md, "Stacks with a guard page"): write
 * stack_create, stack_destroy, stack_in_guard and stack_trim.
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

struct stack *stack_create(void)
{
    /* TODO(step 02): take a stack from the cache if it holds one (count it
     * in stats.reused). Otherwise mmap mapping_size() bytes (PROT_READ |
     * PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK),
     * make the lowest page PROT_NONE with mprotect, place the struct stack
     * in the top bytes, fill in base and size, register the usable range
     * with VALGRIND_STACK_REGISTER, and count it in stats.mapped. On any
     * failure, undo what was done and fail with ENOMEM. */
    (void)cache, (void)ncached, (void)mapping_size;
    errno = ENOSYS;
    return NULL;
}

void stack_destroy(struct stack *s)
{
    /* TODO(step 02): clear AddressSanitizer's marks on the usable range
     * (ASAN_UNPOISON_MEMORY_REGION), then keep s in the cache if it has
     * room, or deregister it from valgrind and unmap the whole mapping. */
    (void)s;
}

bool stack_in_guard(const struct stack *s, const void *addr)
{
    /* TODO(step 02): is addr within the page just below s->base? */
    (void)s, (void)addr;
    return false;
}

void stack_stats(struct stack_stats *out)
{
    *out = stats;
}

void stack_trim(void)
{
    /* TODO(step 02): unmap every cached stack, keeping stats right. */
}
