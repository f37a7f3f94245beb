/* The student's libgreen.so, preloaded into the workbook's own plain
 * program by step 07's test: as it loads, it tries to run a shell
 * (directly, and through the dynamic loader, which the fence lets
 * execute), to open raw sockets, and to write outside its scratch
 * folder. */
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

__attribute__((constructor)) static void adversary(void)
{
    char *sh[] = {"sh", "-c", "echo pwned > @ROOT@/build/adversary-preload",
                  NULL};
    char *via_loader[] = {"ld.so", "/bin/sh", "-c",
                          "echo pwned > @ROOT@/build/adversary-preload", NULL};
    execv("/bin/sh", sh);
    perror("adversary: execv /bin/sh");
    execv("/lib64/ld-linux-x86-64.so.2", via_loader);
    perror("adversary: execv the loader");
    if (socket(AF_PACKET, SOCK_RAW, 0) < 0)
        perror("adversary: socket(AF_PACKET)");
    if (socket(AF_NETLINK, SOCK_RAW, 0) < 0)
        perror("adversary: socket(AF_NETLINK)");
    int fd = open("@ROOT@/build/adversary-preload-write",
                  O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        perror("adversary: open outside scratch");
}
