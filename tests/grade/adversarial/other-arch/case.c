/* context_init makes system calls with another architecture's numbers:
 * i386's getpid through int 0x80, and x32's getpid. */
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

static void adversary(void)
{
#if defined(__x86_64__)
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
    printf("i386 getpid: %ld\n", r);
    printf("x32 getpid: %ld\n", syscall(0x40000000L | SYS_getpid));
#endif
}
