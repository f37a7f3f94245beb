/* context_init never returns, and never sleeps. */
static void adversary(void)
{
    for (volatile unsigned long i = 0;; i++)
        ;
}
