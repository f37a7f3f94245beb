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
 *
 * Your task (chapters/06-sockets.md): every function marked TODO. The
 * struct, the poller's helpers, the dispatcher's table and the thin
 * wrappers (sock_accept, sock_recv, sock_send, sock_sendto, sock_write,
 * sock_close, sock_bind, sock_listen) are written for you.
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

/* book: struct */
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
/* book: end */

/* ---- the poller: timers and I/O in one wait ---- */

/* book: ms-until */
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
/* book: end */

static bool io_poll(bool may_block)
{
    /* TODO(step 06, "The poller"): fire the timers that are due. If no
     * tasklet waits in sock_wait and no timer is armed, return false:
     * nothing could ever wake a tasklet. Otherwise poll the reactor, with
     * a timeout of ms_until(timer_next()) when the scheduler may block
     * and no timer fired just now (a fired timer may have woken a
     * tasklet, which must not wait for I/O), and 0 otherwise; then fire
     * the timers due by now. A non-blocking turn looks at the reactor
     * only once per round of the run queue: skip it (return true) while
     * ++skipped * TASKLET_POLL_INTERVAL < round_len, and after a look
     * reset skipped and set round_len = tasklet_runcount(). Return
     * whether tasklets still wait or timers are still armed. */
    (void)may_block, (void)ms_until, (void)waiting, (void)skipped;
    (void)round_len;
    return false;
}

/* book: io-start */
/* Makes the layer's reactor on first use, and plugs io_poll into the
 * scheduler in place of step 04's timer_poll. */
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
/* book: end */

/* ---- the dispatcher of one socket ---- */

static bool wants_read(struct dispatcher *d)
{
    /* TODO(step 06, "One struct per socket"): true while some tasklet
     * waits on this socket's readers channel: its balance is negative.
     * (d is the first member of a struct sock.) */
    (void)d;
    return false;
}

static bool wants_write(struct dispatcher *d)
{
    /* TODO(step 06, "One struct per socket"): the same for writers. */
    (void)d;
    return false;
}

/* Wakes the first tasklet waiting on c, if any. */
static void wake_one(chan *c)
{
    /* TODO(step 06, "Waiting on a channel"): if a tasklet waits on c,
     * send it NULL. With the channel's preference 1 the send does not
     * block and does not switch: the receiver only becomes runnable. */
    (void)c;
}

/* book: handlers */
static void on_readable(struct dispatcher *d)
{
    wake_one(((struct sock *)d)->readers);
}

static void on_writable(struct dispatcher *d)
{
    wake_one(((struct sock *)d)->writers);
}
/* book: end */

/* Hang-ups and errors wake everyone: each retries its call and meets the
 * end of file or the error itself. The fd stays open: closing it is the
 * program's business, through sock_close. */
static void on_hangup(struct dispatcher *d)
{
    /* TODO(step 06, "End of file, refusals and resets"): wake every
     * tasklet waiting on the readers channel, then every one waiting on
     * the writers channel (send while the balance is negative). */
    (void)d;
}

/* book: ops */
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
/* book: end */

/* ---- the table of sockets ---- */

static void sock_free(struct sock *s)
{
    int err = errno;
    chan_destroy(s->readers);
    chan_destroy(s->writers);
    free(s);
    errno = err;
}

/* Starts managing fd. Its O_NONBLOCK flag, as the caller left it, says
 * what the caller wants; reactor_add then makes the fd non-blocking. */
static struct sock *adopt(int fd)
{
    /* TODO(step 06, "One struct per socket"): io_start(). Grow socks so
     * that socks[fd] exists (double nsocks, 64 at first, new entries
     * NULL; ENOMEM if realloc fails). Read the fd's flags (fcntl F_GETFL)
     * BEFORE reactor_add changes them. calloc a struct sock and create
     * its two channels, both with preference 1. nonblocking is the
     * flags' O_NONBLOCK; the dispatcher has this fd, &sock_ops, and
     * connected = true (plain readiness, no connect or accept handling).
     * reactor_add it, then socks[fd] = s. On any failure, free what was
     * made (sock_free) and return NULL with errno saying why. */
    (void)fd, (void)io_start, (void)sock_free, (void)socks, (void)nsocks;
    (void)sock_ops;
    errno = ENOSYS;
    return NULL;
}

/* The layer's state for fd, adopting a socket made before the layer saw
 * it. NULL with errno EBADF for a descriptor that is not open. */
static struct sock *lookup(int fd)
{
    /* TODO(step 06, "Sockets the layer did not create"): socks[fd] if the
     * layer knows fd. Otherwise EBADF if fd is not open at all (fcntl
     * F_GETFD fails; fd may be negative), else adopt it. */
    (void)fd, (void)adopt;
    errno = ENOSYS;
    return NULL;
}

/* Forgets fd: waiters wake and fail, the dispatcher leaves the reactor. */
static void forget(int fd)
{
    /* TODO(step 06, "Closing"): nothing if the layer does not know fd.
     * Otherwise clear socks[fd], remove the dispatcher from the reactor
     * (before the fd is closed: the fd is its key), close both channels
     * (their waiters wake with EPIPE, which sock_wait turns into EBADF),
     * and sock_free the struct. */
    (void)fd, (void)io;
}

/* ---- waiting ---- */

int sock_wait(int fd, unsigned events, int64_t timeout_ns)
{
    /* TODO(step 06, "Waiting on a channel"): look fd up, and pick the
     * writers channel for REACTOR_WRITE, the readers channel otherwise.
     * Begin a deadline at now + timeout_ns, or TIMER_NEVER if timeout_ns
     * is not positive (see "Timeouts, deadlines and cancellation").
     * Count the tasklet in `waiting` while it receives on the channel;
     * keep the receive's errno; end the deadline. If the receive worked:
     * -1/EBADF if fd's table entry is no longer this struct sock (closed
     * and freed while we waited: touch nothing of it), -1 with the error
     * on_error kept (clear it), else 0. Otherwise -1 with: EAGAIN for an ETIMEDOUT that came from
     * this deadline (the socket's own timeout); EBADF for EPIPE (the
     * socket was closed while we waited); the receive's errno for the
     * rest (ECANCELED, a caller's ETIMEDOUT). */
    (void)fd, (void)events, (void)timeout_ns, (void)lookup;
    errno = ENOSYS;
    return -1;
}

/* Whether a call failed only because the socket was not ready. */
static bool would_block(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK;
}

/* ---- the calls ---- */

int sock_socket(int domain, int type, int protocol)
{
    /* TODO(step 06, "One struct per socket"): sys_socket with
     * SOCK_NONBLOCK added to type, and adopt the new fd (close it with
     * sys_close if that fails, keeping adopt's errno). The caller wants
     * non-blocking behaviour only if its own type had SOCK_NONBLOCK. */
    (void)domain, (void)type, (void)protocol;
    errno = ENOSYS;
    return -1;
}

int sock_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    /* TODO(step 06, "Connecting"): look fd up. sys_connect: 0 is done.
     * Any error but EINPROGRESS, or a non-blocking caller, returns -1 as
     * it is. Otherwise wait until writable with the socket's SO_SNDTIMEO;
     * a timeout (EAGAIN) becomes EINPROGRESS, as the kernel's connect
     * reports it. Then SO_ERROR (getsockopt) says how the connect ended:
     * 0, or -1 with that errno (ECONNREFUSED...). */
    (void)fd, (void)addr, (void)len;
    errno = ENOSYS;
    return -1;
}

int sock_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    /* TODO(step 06, "Try, park, retry"): look fd up. Loop: sys_accept4
     * with SOCK_NONBLOCK added to flags. A new fd: adopt it (sys_close it
     * if that fails), remember whether the caller's flags had
     * SOCK_NONBLOCK, return it. An error that is not would_block, or a
     * non-blocking listener: -1 as it is. Otherwise wait until readable,
     * with the socket's SO_RCVTIMEO, and try again. */
    (void)fd, (void)addr, (void)len, (void)flags, (void)would_block;
    errno = ENOSYS;
    return -1;
}

int sock_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    return sock_accept4(fd, addr, len, 0);
}

ssize_t sock_recvfrom(int fd, void *buf, size_t len, int flags,
                      struct sockaddr *addr, socklen_t *addrlen)
{
    /* TODO(step 06, "Try, park, retry"): look fd up. Loop: sys_recvfrom
     * with MSG_DONTWAIT added to flags. Return what it returned if it
     * worked (0 is the end of the stream), failed for another reason
     * than would_block, or if the caller wants no waiting (a
     * non-blocking socket, or MSG_DONTWAIT in its own flags). Otherwise
     * wait until readable, with the socket's SO_RCVTIMEO, and retry. */
    (void)fd, (void)buf, (void)len, (void)flags, (void)addr, (void)addrlen;
    errno = ENOSYS;
    return -1;
}

ssize_t sock_recv(int fd, void *buf, size_t len, int flags)
{
    return sock_recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t sock_read(int fd, void *buf, size_t len)
{
    /* TODO(step 06, "Try, park, retry"): sock_recvfrom's loop with
     * sys_read (the fd is non-blocking underneath, so read has no flags
     * to ask for that). */
    (void)fd, (void)buf, (void)len;
    errno = ENOSYS;
    return -1;
}

/* Writes all of buf with write_some, waiting whenever the socket is full.
 * Returns len; or, when an error or a timeout stops it, the bytes already
 * written if there are some, else -1. */
static ssize_t write_all(struct sock *s, const char *buf, size_t len,
                         ssize_t (*write_some)(int fd, const char *buf,
                                               size_t len, void *how),
                         void *how, bool dontwait)
{
    /* TODO(step 06, "Sending everything"): until len bytes are done, call
     * write_some on the rest of buf and count what it wrote; retry at once
     * after EINTR. Stop on an error that is not would_block, or when the
     * caller wants no waiting (s->nonblocking, dontwait), or when waiting
     * until writable (with s->sndtimeo) fails: then return the bytes
     * already written if there are some, else -1 with errno as it is. */
    (void)s, (void)buf, (void)len, (void)write_some, (void)how;
    (void)dontwait;
    errno = ENOSYS;
    return -1;
}

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

int sock_setsockopt(int fd, int level, int name, const void *value,
                    socklen_t len)
{
    /* TODO(step 06, "Timeouts, deadlines and cancellation"): pass every
     * option on to setsockopt first (so getsockopt reads it back; -1 if
     * the kernel refuses it). For SOL_SOCKET's SO_RCVTIMEO and
     * SO_SNDTIMEO, also keep the struct timeval as nanoseconds in the
     * socket's rcvtimeo or sndtimeo: the kernel's own timeouts never act
     * on a non-blocking fd, so the layer must apply them. */
    (void)fd, (void)level, (void)name, (void)value, (void)len;
    errno = ENOSYS;
    return -1;
}

int sock_fcntl(int fd, int cmd, ...)
{
    /* TODO(step 06, "The caller's O_NONBLOCK"): take the one argument
     * with va_arg (as a void *: every fcntl argument fits in one). Any
     * command but F_GETFL and F_SETFL goes straight to fcntl. For those
     * two, look fd up. F_GETFL: the fd's flags, without O_NONBLOCK
     * unless the caller asked for it. F_SETFL: set the caller's flags
     * with O_NONBLOCK always added (the layer needs it), and remember
     * whether the caller's own flags had it. */
    (void)fd, (void)cmd;
    errno = ENOSYS;
    return -1;
}
