/* context_init allocates and touches memory until it cannot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void adversary(void)
{
    for (size_t total = 0;; total += 1 << 20) {
        char *p = malloc(1 << 20);
        if (!p) {
            fprintf(stderr, "malloc failed after %zu MiB\n", total >> 20);
            abort();
        }
        memset(p, 1, 1 << 20);
    }
}
