/*
 * reactest.c - what step 05's test files share (reactest.h).
 */
#include "reactest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *const backends[2] = {"epoll", "poll"};
const char *backend;

const char *rt_err_name(int e)
{
    static char buf[64];
    switch (e) {
    case 0: return "0";
    case ENOSYS: return "ENOSYS (still the starter's TODO?)";
    case EINVAL: return "EINVAL";
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EBUSY: return "EBUSY";
    case ENOMEM: return "ENOMEM";
    case EAGAIN: return "EAGAIN";
    case EMFILE: return "EMFILE (too many open files)";
    case EINPROGRESS: return "EINPROGRESS";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case EPIPE: return "EPIPE";
    case ENOTCONN: return "ENOTCONN";
    }
    snprintf(buf, sizeof buf, "%d (%s)", e, strerror(e));
    return buf;
}

reactor *rt_make(const char *name)
{
    errno = 0;
    reactor *r = reactor_create(name);
    int e = errno;
    check(r != NULL, S_BACKEND,
          "reactor_create(\"%s\"): expected a reactor, got NULL with errno %s",
          name, rt_err_name(e));
    return r;
}

void rt_add(reactor *r, struct dispatcher *d, const char *section)
{
    errno = 0;
    int rc = reactor_add(r, d);
    int e = errno;
    check(rc == 0, section,
          "with the %s backend, reactor_add of fd %d: expected 0, got %d "
          "with errno %s",
          backend, d->fd, rc, rt_err_name(e));
}

void rt_on_both_backends(void (*scenario)(reactor *r))
{
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        backend = backends[i];
        reactor *r = rt_make(backend);
        scenario(r);
        reactor_destroy(r);
    }
}
