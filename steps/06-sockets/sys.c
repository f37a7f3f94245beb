/*
 * sys.c - finds the C library's functions with dlsym(RTLD_NEXT, ...): the
 * next definition of the name after the object this code is in. Whether
 * this code is linked into the program or into a preloaded shared library,
 * the next definition is the C library's.
 *
 * Given code: it is the same in steps/ and in the solutions.
 */
#define _GNU_SOURCE
#include "sys.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Looks name up once. Not finding the C library's own socket calls is a
 * broken installation, not an error a caller could handle. */
static void *next(void **cache, const char *name)
{
    if (*cache == NULL) {
        *cache = dlsym(RTLD_NEXT, name);
        if (*cache == NULL) {
            fprintf(stderr, "sys: the C library has no %s: %s\n", name,
                    dlerror());
            abort();
        }
    }
    return *cache;
}

#define REAL(name, type) ((type)next(&name##_fn, #name))

static void *socket_fn, *connect_fn, *accept4_fn, *recvfrom_fn, *sendto_fn,
    *read_fn, *write_fn, *close_fn, *poll_fn, *nanosleep_fn, *fcntl_fn,
    *setsockopt_fn;

int sys_socket(int domain, int type, int protocol)
{
    return REAL(socket, int (*)(int, int, int))(domain, type, protocol);
}

int sys_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    return REAL(connect, int (*)(int, const struct sockaddr *, socklen_t))(
        fd, addr, len);
}

int sys_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    return REAL(accept4, int (*)(int, struct sockaddr *, socklen_t *, int))(
        fd, addr, len, flags);
}

ssize_t sys_recvfrom(int fd, void *buf, size_t len, int flags,
                     struct sockaddr *addr, socklen_t *addrlen)
{
    return REAL(recvfrom, ssize_t (*)(int, void *, size_t, int,
                                      struct sockaddr *, socklen_t *))(
        fd, buf, len, flags, addr, addrlen);
}

ssize_t sys_sendto(int fd, const void *buf, size_t len, int flags,
                   const struct sockaddr *addr, socklen_t addrlen)
{
    return REAL(sendto, ssize_t (*)(int, const void *, size_t, int,
                                    const struct sockaddr *, socklen_t))(
        fd, buf, len, flags, addr, addrlen);
}

ssize_t sys_read(int fd, void *buf, size_t len)
{
    return REAL(read, ssize_t (*)(int, void *, size_t))(fd, buf, len);
}

ssize_t sys_write(int fd, const void *buf, size_t len)
{
    return REAL(write, ssize_t (*)(int, const void *, size_t))(fd, buf, len);
}

int sys_close(int fd)
{
    return REAL(close, int (*)(int))(fd);
}

int sys_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    return REAL(poll, int (*)(struct pollfd *, nfds_t, int))(fds, n, timeout_ms);
}

int sys_nanosleep(const struct timespec *want, struct timespec *left)
{
    return REAL(nanosleep, int (*)(const struct timespec *, struct timespec *))(
        want, left);
}

int sys_fcntl(int fd, int cmd, ...)
{
    /* Every fcntl argument fits in a pointer-sized slot. */
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return REAL(fcntl, int (*)(int, int, ...))(fd, cmd, arg);
}

int sys_setsockopt(int fd, int level, int name, const void *value,
                   socklen_t len)
{
    return REAL(setsockopt,
                int (*)(int, int, int, const void *, socklen_t))(
        fd, level, name, value, len);
}
