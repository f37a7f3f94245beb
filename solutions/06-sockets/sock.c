/*
 * sock.c - blocking socket calls that park only the calling tasklet.
 *
 * Every socket the layer knows gets a struct sock: a dispatcher in the
 * layer's reactor, and two channels where tasklets park until the socket
 * is readable or writable. The dispatcher asks to be watched for reading
 * exactly while some tasklet waits to read, and likewise for writing;
 * when the reactor reports readiness, the handler wakes one waiter, which
 * then retries its call. The file descriptor itself is always
 * non-blocking; whether the *caller* asked for non-blocking behaviour is
 * remembered apart, so such callers get EAGAIN as usual.
 *
 * Invariants:
 *   - socks[fd] is non-NULL exactly for the descriptors the layer manages,
 *     and each has its dispatcher added to the reactor.
 *   - waiting counts tasklets parked in sock_wait; the poller keeps the
 *     scheduler waiting on the reactor while it is not zero.
 *   - Handlers run inside the poller, where a tasklet must not be switched
 *     to: the channels prefer senders (preference 1), so a handler's send
 *     only makes the receiver runnable.
 */
#define _GNU_SOURCE
#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

#include "chan.h"
#include "reactor.h"
#include "reactor_backend.h"
#include "sys.h"
#include "tasklet.h"
#include "timer.h"

struct sock {
    struct dispatcher d;
    chan *readers;       /* tasklets waiting until the fd is readable */
    chan *writers;       /* ... writable */
    bool nonblocking;    /* the caller asked for O_NONBLOCK */
    int64_t rcvtimeo;    /* SO_RCVTIMEO in ns, 0 for none */
    int64_t sndtimeo;    /* SO_SNDTIMEO in ns, 0 for none */
    int error;           /* an error the reactor saw with no readiness */
};

static struct sock **socks;
static size_t nsocks;
static reactor *io;
static int waiting;
static int skipped;    /* non-blocking turns skipped since the last look */
static int round_len;  /* runnable tasklets at the last look */

/* ---- the poller: timers and I/O in one wait ---- */

/* Milliseconds until deadline, rounded up so the wait never ends early
 * and spins; -1 for no deadline. */
static int ms_until(int64_t deadline)
{
    if (deadline == TIMER_NEVER)
        return -1;
    int64_t ns = deadline - timer_now();
    if (ns <= 0)
        return 0;
    int64_t ms = (ns + 999999) / 1000000;
    return ms > 24 * 3600 * 1000 ? 24 * 3600 * 1000 : (int)ms;
}

/* book: io-poll */
static bool io_poll(bool may_block)
{
    /* A timer that fires here may have woken a tasklet: then there is
     * something to run, and the reactor must not be waited on. */
    int fired = timer_fire_due();
    bool timers = timer_count() > 0;
    if (waiting == 0 && !timers)
        return false; /* nothing could ever wake a tasklet */
    /* A look at the reactor asks every socket what it wants. While
     * tasklets are runnable, look once per round of the run queue: by
     * then each tasklet the last look woke is waiting again, and no
     * socket's registration flips off and on. I/O still cannot starve. */
    if (!may_block && ++skipped * TASKLET_POLL_INTERVAL < round_len)
        return true;
    skipped = 0;
    int timeout = may_block && fired == 0 ? ms_until(timer_next()) : 0;
    reactor_poll(io, timeout);
    timer_fire_due();
    round_len = tasklet_runcount();
    return waiting > 0 || timer_count() > 0;
}
/* book: end */

static int io_start(void)
{
    if (io)
        return 0;
    io = reactor_create(NULL);
    if (io == NULL)
        return -1;
    tasklet_set_poller(io_poll);
    return 0;
}

/* ---- the dispatcher of one socket ---- */

/* book: predicates */
static bool wants_read(struct dispatcher *d)
{
    return chan_balance(((struct sock *)d)->readers) < 0;
}

static bool wants_write(struct dispatcher *d)
{
    return chan_balance(((struct sock *)d)->writers) < 0;
}

/* Wakes the first tasklet waiting on c, if any. */
static void wake_one(chan *c)
{
    if (chan_balance(c) < 0)
        chan_send(c, NULL);
}
/* book: end */

static void on_readable(struct dispatcher *d)
{
    wake_one(((struct sock *)d)->readers);
}

static void on_writable(struct dispatcher *d)
{
    wake_one(((struct sock *)d)->writers);
}

/* book: hangup */
/* Hang-ups and errors wake everyone: each retries its call and meets the
 * end of file or the error itself. The fd stays open: closing it is the
 * program's business, through sock_close. */
static void on_hangup(struct dispatcher *d)
{
    struct sock *s = (struct sock *)d;
    while (chan_balance(s->readers) < 0)
        chan_send(s->readers, NULL);
    while (chan_balance(s->writers) < 0)
        chan_send(s->writers, NULL);
}
/* book: end */

/* The reactor read SO_ERROR to learn err, which clears it: keep it for
 * the woken tasklets, whose retried call would not see it any more. */
static void on_error(struct dispatcher *d, int err)
{
    ((struct sock *)d)->error = err;
    on_hangup(d);
}

static const struct dispatcher_ops sock_ops = {
    .readable = wants_read,
    .writable = wants_write,
    .handle_read = on_readable,
    .handle_write = on_writable,
    .handle_close = on_hangup,
    .handle_error = on_error,
};

/* ---- the table of sockets ---- */

static void sock_free(struct sock *s)
{
    int err = errno;
    chan_destroy(s->readers);
    chan_destroy(s->writers);
    free(s);
    errno = err;
}

/* book: adopt */
/* Starts managing fd. Its O_NONBLOCK flag, as the caller left it, says
 * what the caller wants; reactor_add then makes the fd non-blocking. */
static struct sock *adopt(int fd)
{
    struct sock *s = NULL;
    if (io_start() < 0)
        return NULL;
    if ((size_t)fd >= nsocks) {
        size_t n = nsocks ? nsocks : 64;
        while (n <= (size_t)fd)
            n *= 2;
        struct sock **grown = realloc(socks, n * sizeof *grown);
        if (grown == NULL) {
            errno = ENOMEM;
            return NULL;
        }
        for (size_t i = nsocks; i < n; i++)
            grown[i] = NULL;
        socks = grown;
        nsocks = n;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return NULL;
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    s->readers = chan_create();
    s->writers = chan_create();
    if (s->readers == NULL || s->writers == NULL) {
        errno = ENOMEM;
        goto fail;
    }
    chan_set_preference(s->readers, 1);
    chan_set_preference(s->writers, 1);
    s->nonblocking = flags & O_NONBLOCK;
    s->d.fd = fd;
    s->d.ops = &sock_ops;
    s->d.connected = true; /* the reactor reports plain readiness */
    if (reactor_add(io, &s->d) < 0)
        goto fail;
    socks[fd] = s;
    return s;

fail:
    sock_free(s); /* errno says why */
    return NULL;
}
/* book: end */

/* book: lookup */
/* The layer's state for fd, adopting a socket made before the layer saw
 * it. NULL with errno EBADF for a descriptor that is not open. */
static struct sock *lookup(int fd)
{
    if (fd >= 0 && (size_t)fd < nsocks && socks[fd])
        return socks[fd];
    if (fcntl(fd, F_GETFD) < 0) {
        errno = EBADF;
        return NULL;
    }
    return adopt(fd);
}
/* book: end */

/* book: forget */
/* Forgets fd: waiters wake and fail, the dispatcher leaves the reactor. */
static void forget(int fd)
{
    if (fd < 0 || (size_t)fd >= nsocks || socks[fd] == NULL)
        return;
    struct sock *s = socks[fd];
    socks[fd] = NULL;
    reactor_remove(io, &s->d);
    chan_close(s->readers); /* waiters wake with EPIPE, then EBADF */
    chan_close(s->writers);
    sock_free(s);
}
/* book: end */

/* ---- waiting ---- */

/* book: wait */
int sock_wait(int fd, unsigned events, int64_t timeout_ns)
{
    /* s is freed if another tasklet closes fd while we wait: after the
     * wait, only the table may say whether it still exists. */
    struct sock *s = lookup(fd);
    if (s == NULL)
        return -1;
    chan *c = (events & REACTOR_WRITE) ? s->writers : s->readers;

    struct timer_deadline d;
    if (timer_deadline_begin(&d, timeout_ns > 0 ? timer_now() + timeout_ns
                                                : TIMER_NEVER) < 0)
        return -1;
    waiting++;
    int r = chan_receive(c, NULL);
    int err = errno;
    waiting--;
    bool expired = timer_deadline_end(&d);

    if (r == 0) {
        if (fd < 0 || (size_t)fd >= nsocks || socks[fd] != s) {
            errno = EBADF; /* closed (and s freed) before we ran again */
            return -1;
        }
        if (s->error) {
            errno = s->error; /* ECONNREFUSED and the like */
            s->error = 0;
            return -1;
        }
        return 0;
    }
    if (err == ETIMEDOUT && expired)
        err = EAGAIN; /* the socket's own timeout, as the kernel says it */
    else if (err == EPIPE)
        err = EBADF; /* closed while we waited */
    errno = err;
    return -1;
}
/* book: end */

/* Whether a call failed only because the socket was not ready. */
static bool would_block(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK;
}

/* ---- the calls ---- */

/* book: socket */
int sock_socket(int domain, int type, int protocol)
{
    int fd = sys_socket(domain, type | SOCK_NONBLOCK, protocol);
    if (fd < 0)
        return -1;
    struct sock *s = adopt(fd);
    if (s == NULL) {
        int err = errno;
        sys_close(fd);
        errno = err;
        return -1;
    }
    s->nonblocking = type & SOCK_NONBLOCK;
    return fd;
}
/* book: end */

/* book: connect */
int sock_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct sock *s = lookup(fd);
    if (s == NULL)
        return -1;
    if (sys_connect(fd, addr, len) == 0)
        return 0;
    if (errno != EINPROGRESS || s->nonblocking)
        return -1;
    if (sock_wait(fd, REACTOR_WRITE, s->sndtimeo) < 0) {
        if (errno == EAGAIN)
            errno = EINPROGRESS; /* what a timed-out connect reports */
        return -1;
    }
    int err = 0;
    socklen_t n = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &n) < 0)
        return -1;
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}
/* book: end */

/* book: accept */
int sock_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    struct sock *s = lookup(fd);
    if (s == NULL)
        return -1;
    for (;;) {
        int c = sys_accept4(fd, addr, len, flags | SOCK_NONBLOCK);
        if (c >= 0) {
            struct sock *cs = adopt(c);
            if (cs == NULL) {
                int err = errno;
                sys_close(c);
                errno = err;
                return -1;
            }
            cs->nonblocking = flags & SOCK_NONBLOCK;
            return c;
        }
        if (!would_block(errno) || s->nonblocking)
            return -1;
        if (sock_wait(fd, REACTOR_READ, s->rcvtimeo) < 0)
            return -1;
    }
}
/* book: end */

int sock_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    return sock_accept4(fd, addr, len, 0);
}

/* book: recv */
ssize_t sock_recvfrom(int fd, void *buf, size_t len, int flags,
                      struct sockaddr *addr, socklen_t *addrlen)
{
    struct sock *s = lookup(fd);
    if (s == NULL)
        return -1;
    for (;;) {
        ssize_t n = sys_recvfrom(fd, buf, len, flags | MSG_DONTWAIT, addr,
                                 addrlen);
        if (n >= 0 || !would_block(errno) || s->nonblocking ||
            (flags & MSG_DONTWAIT))
            return n;
        if (sock_wait(fd, REACTOR_READ, s->rcvtimeo) < 0)
            return -1;
    }
}
/* book: end */

ssize_t sock_recv(int fd, void *buf, size_t len, int flags)
{
    return sock_recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t sock_read(int fd, void *buf, size_t len)
{
    struct sock *s = lookup(fd);
    if (s == NULL)
        return -1;
    for (;;) {
        ssize_t n = sys_read(fd, buf, len);
        if (n >= 0 || !would_block(errno) || s->nonblocking)
            return n;
        if (sock_wait(fd, REACTOR_READ, s->rcvtimeo) < 0)
            return -1;
    }
}

/* book: send */
/* Writes all of buf with write_some, waiting whenever the socket is full.
 * Returns len; or, when an error or a timeout stops it, the bytes already
 * written if there are some, else -1. */
static ssize_t write_all(struct sock *s, const char *buf, size_t len,
                         ssize_t (*write_some)(int fd, const char *buf,
                                               size_t len, void *how),
                         void *how, bool dontwait)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write_some(s->d.fd, buf + done, len - done, how);
        if (n >= 0) {
            done += (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (!would_block(errno) || s->nonblocking || dontwait ||
            sock_wait(s->d.fd, REACTOR_WRITE, s->sndtimeo) < 0)
            return done > 0 ? (ssize_t)done : -1;
    }
    return (ssize_t)done;
}
/* book: end */

struct sendto_args {
    int flags;
    const struct sockaddr *addr;
    socklen_t addrlen;
};

static ssize_t sendto_some(int fd, const char *buf, size_t len, void *how)
{
    const struct sendto_args *a = how;
    return sys_sendto(fd, buf, len, a->flags | MSG_DONTWAIT, a->addr,
                      a->addrlen);
}

static ssize_t write_some(int fd, const char *buf, size_t len, void *how)
{
    (void)how;
    return sys_write(fd, buf, len);
}

ssize_t sock_sendto(int fd, const void *buf, size_t len, int flags,
                    const struct sockaddr *addr, socklen_t addrlen)
{
    struct sock *s = lookup(fd);
    if (s == NULL)
        return -1;
    struct sendto_args a = {flags, addr, addrlen};
    return write_all(s, buf, len, sendto_some, &a, flags & MSG_DONTWAIT);
}

ssize_t sock_send(int fd, const void *buf, size_t len, int flags)
{
    return sock_sendto(fd, buf, len, flags, NULL, 0);
}

ssize_t sock_write(int fd, const void *buf, size_t len)
{
    struct sock *s = lookup(fd);
    if (s == NULL)
        return -1;
    return write_all(s, buf, len, write_some, NULL, false);
}

int sock_close(int fd)
{
    forget(fd);
    return sys_close(fd);
}

int sock_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    return bind(fd, addr, len);
}

int sock_listen(int fd, int backlog)
{
    return listen(fd, backlog);
}

/* book: setsockopt */
int sock_setsockopt(int fd, int level, int name, const void *value,
                    socklen_t len)
{
    /* The kernel's own timeouts never act on a non-blocking fd; keep them
     * for the layer, and pass them on so getsockopt reads them back. */
    if (setsockopt(fd, level, name, value, len) < 0)
        return -1;
    if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
        struct sock *s = lookup(fd);
        if (s == NULL)
            return -1;
        const struct timeval *tv = value;
        int64_t ns = (int64_t)tv->tv_sec * 1000000000 + tv->tv_usec * 1000;
        if (name == SO_RCVTIMEO)
            s->rcvtimeo = ns;
        else
            s->sndtimeo = ns;
    }
    return 0;
}
/* book: end */

/* book: fcntl */
int sock_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    /* Every fcntl argument fits in a pointer-sized slot; the commands this
     * layer reads take an int. */
    void *arg = va_arg(ap, void *);
    va_end(ap);

    if (cmd != F_GETFL && cmd != F_SETFL)
        return fcntl(fd, cmd, arg);
    struct sock *s = lookup(fd);
    if (s == NULL)
        return -1;
    if (cmd == F_GETFL) {
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0)
            return -1;
        /* Show the caller its own choice, not the layer's. */
        return s->nonblocking ? flags : flags & ~O_NONBLOCK;
    }
    int flags = (int)(intptr_t)arg;
    if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -1;
    s->nonblocking = flags & O_NONBLOCK;
    return 0;
}
/* book: end */
