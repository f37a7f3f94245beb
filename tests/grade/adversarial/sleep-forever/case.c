/* context_init sleeps forever, using no CPU. */
#include <unistd.h>

static void adversary(void)
{
    for (;;)
        pause();
}
