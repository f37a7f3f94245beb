/*
 * child.c - listening sockets and child processes for the benchmarks
 * (child.h).
 */
#define _GNU_SOURCE
#include "child.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

int child_listener(int *port, int flags)
{
    int fd = socket(AF_INET, SOCK_STREAM | flags, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        listen(fd, CHILD_BACKLOG) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    *port = ntohs(addr.sin_port);
    return fd;
}

pid_t child_fork(void)
{
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1); /* the parent died before prctl: nobody to work for */
    signal(SIGPIPE, SIG_IGN);
    dup2(STDERR_FILENO, STDOUT_FILENO);
    return 0;
}
