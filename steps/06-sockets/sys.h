/*
 * sys.h - the C library's own calls, reached past any interposition.
 *
 * Step 07 defines socket(), recv(), poll() and the rest in the program
 * itself, so that code which knows nothing of tasklets goes through this
 * layer. The layer must still reach the C library's versions underneath,
 * or recv() would end up calling itself. Each sys_x has the signature and
 * errno behaviour of x, and always runs the C library's x.
 *
 * Given code: it is the same in steps/ and in the solutions.
 */
#ifndef SYS_H
#define SYS_H

#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

int sys_socket(int domain, int type, int protocol);
int sys_connect(int fd, const struct sockaddr *addr, socklen_t len);
int sys_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
ssize_t sys_recvfrom(int fd, void *buf, size_t len, int flags,
                     struct sockaddr *addr, socklen_t *addrlen);
ssize_t sys_sendto(int fd, const void *buf, size_t len, int flags,
                   const struct sockaddr *addr, socklen_t addrlen);
ssize_t sys_read(int fd, void *buf, size_t len);
ssize_t sys_write(int fd, const void *buf, size_t len);
int sys_close(int fd);
int sys_poll(struct pollfd *fds, nfds_t n, int timeout_ms);
int sys_nanosleep(const struct timespec *want, struct timespec *left);
int sys_fcntl(int fd, int cmd, ...);
int sys_setsockopt(int fd, int level, int name, const void *value,
                   socklen_t len);

#endif
