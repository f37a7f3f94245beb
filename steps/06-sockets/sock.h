/*
 * sock.h - sockets whose blocking calls block only the calling tasklet.
 *
 * Each function has exactly the signature and errno behaviour of the POSIX
 * call it is named after. Underneath, every socket is non-blocking: a call
 * that would block registers the socket with the reactor (step 05) and
 * parks the tasklet on a channel (step 03) until the reactor says the
 * socket is ready, then tries again. Other tasklets run meanwhile.
 *
 * The layer installs a poller in the scheduler (step 02) that waits in the
 * reactor when no tasklet is runnable, with the next timer (step 04) as
 * the timeout, and polls it without waiting every TASKLET_POLL_INTERVAL
 * switches while tasklets stay runnable.
 *
 * Timeouts: SO_RCVTIMEO and SO_SNDTIMEO, when set through sock_setsockopt,
 * bound recv/accept and send/connect as the kernel would: the call fails
 * with EAGAIN (EINPROGRESS for connect). A deadline from timer.h bounds
 * any call too; it fails with ETIMEDOUT. Cancelling the tasklet makes a
 * parked call fail with ECANCELED.
 *
 * A socket the caller made non-blocking itself (O_NONBLOCK through
 * sock_fcntl, or SOCK_NONBLOCK) never parks: it answers EAGAIN as usual.
 *
 * Two tasklets waiting to read one socket are woken in the order they
 * parked, one per readiness; the same for writers.
 *
 * Errors: -1 and errno, exactly as the POSIX calls.
 */
#ifndef SOCK_H
#define SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "reactor_backend.h" /* REACTOR_READ, REACTOR_WRITE for sock_wait */

int sock_socket(int domain, int type, int protocol);
int sock_connect(int fd, const struct sockaddr *addr, socklen_t len);
int sock_accept(int fd, struct sockaddr *addr, socklen_t *len);
int sock_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
ssize_t sock_recv(int fd, void *buf, size_t len, int flags);
ssize_t sock_recvfrom(int fd, void *buf, size_t len, int flags,
                      struct sockaddr *addr, socklen_t *addrlen);
/* Sends the whole buffer, across as many partial writes as it takes,
 * unless the socket is non-blocking for the caller or an error comes. */
ssize_t sock_send(int fd, const void *buf, size_t len, int flags);
ssize_t sock_sendto(int fd, const void *buf, size_t len, int flags,
                    const struct sockaddr *addr, socklen_t addrlen);
ssize_t sock_read(int fd, void *buf, size_t len);
ssize_t sock_write(int fd, const void *buf, size_t len);
int sock_close(int fd);

/* Pass straight through, but remember what the layer needs to know. */
int sock_bind(int fd, const struct sockaddr *addr, socklen_t len);
int sock_listen(int fd, int backlog);
int sock_setsockopt(int fd, int level, int name, const void *value,
                    socklen_t len);
int sock_fcntl(int fd, int cmd, ...);

/* Waits until fd is readable (events REACTOR_READ) or writable
 * (REACTOR_WRITE), parking only the calling tasklet; the building block of
 * every call above, and of poll() in step 07. Returns 0, or -1 with errno
 * EAGAIN (the socket's timeout), ETIMEDOUT, ECANCELED or EBADF. */
int sock_wait(int fd, unsigned events, int64_t timeout_ns);

#endif
