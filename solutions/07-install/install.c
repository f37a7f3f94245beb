/*
 * install.c - the plain POSIX names, defined by the workbook. Each call
 * goes either to the runtime (step 06's socket layer, step 04's timers)
 * or straight to the C library (sys.h).
 *
 * Every definition has the same shape:
 *
 *     if (routing() && the fd is a socket the layer manages)
 *         return sock_x(...);      may park the calling tasklet
 *     return sys_x(...);           the C library's x
 *
 * Invariants:
 *   - kinds[fd] is SOCKET exactly for the descriptors this file has handed
 *     to the layer, OTHER for those it has seen to be something else, and
 *     UNSEEN for the rest; close() resets it, since numbers are reused.
 *   - inside > 0 while this file is in a call of the layer that never
 *     parks; the layer's own calls to fcntl and setsockopt, which are ours
 *     too, then go straight to the C library.
 *   - polling > 0 while the scheduler's poller runs; no call made from
 *     there may park. Whenever a tasklet may park on the layer or a timer,
 *     the scheduler's poller is guarded_poll, which counts.
 *
 * No _FORTIFY_SOURCE here: it turns read, recv and poll into inline
 * functions of the C library's headers, which these definitions would
 * collide with.
 */
#undef _FORTIFY_SOURCE
#define _GNU_SOURCE
#include "install.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "reactor_backend.h"
#include "sock.h"
#include "sys.h"
#include "tasklet.h"
#include "timer.h"

/* ---- when the runtime takes a call ---- */

static bool installed;
static bool claimed;              /* some thread has installed, ever */
static _Thread_local bool home;   /* this thread is the one */
static int inside;
static int polling;
static tasklet_poll_fn inner;     /* the poller guarded_poll calls */

/* book: routing */
/* Whether the runtime may take a call made now: after install(), on its
 * thread, not from inside the layer itself, and not from inside the
 * scheduler's poller, where nothing may park. */
static bool routing(void)
{
    return installed && home && inside == 0 && polling == 0;
}
/* book: end */

/* book: guard */
/* The scheduler's poller, counted: timer callbacks and the reactor's
 * backend run inside it, and whatever they call must not park. */
static bool guarded_poll(bool may_block)
{
    polling++;
    bool more = inner(may_block);
    polling--;
    return more;
}

/* Puts guarded_poll in front of the scheduler's poller of the moment:
 * timer_poll at first, the layer's own once the layer has started. */
static void guard_poller(void)
{
    tasklet_poll_fn now = tasklet_poller();
    if (now != guarded_poll) {
        inner = now ? now : timer_poll;
        tasklet_set_poller(guarded_poll);
    }
}
/* book: end */

/* ---- what each descriptor is ---- */

enum kind { UNSEEN, OTHER, SOCKET };
static unsigned char *kinds;
static size_t nkinds;

static enum kind known(int fd)
{
    return fd >= 0 && (size_t)fd < nkinds ? kinds[fd] : UNSEEN;
}

/* Records what fd is. Failing to is harmless: the next call looks again. */
static void remember(int fd, enum kind k)
{
    if (fd < 0)
        return;
    if ((size_t)fd >= nkinds) {
        size_t n = nkinds ? nkinds : 64;
        while (n <= (size_t)fd)
            n *= 2;
        unsigned char *grown = realloc(kinds, n);
        if (grown == NULL)
            return;
        memset(grown + nkinds, UNSEEN, n - nkinds);
        kinds = grown;
        nkinds = n;
    }
    kinds[fd] = (unsigned char)k;
}

/* book: adopt */
/* Hands fd to the layer. Any call that names a descriptor makes the layer
 * adopt it, reading the caller's O_NONBLOCK from the fd and then setting
 * it underneath; F_GETFL is the call that does nothing else. The layer
 * does that through fcntl, which is ours: `inside` sends it to the C
 * library. Adopting the first socket starts the layer, and with it the
 * layer's poller, which must be guarded before anything parks. */
static int layer_adopt(int fd)
{
    inside++;
    int flags = sock_fcntl(fd, F_GETFL);
    inside--;
    guard_poller();
    return flags < 0 ? -1 : 0;
}

/* A socket made before install() may carry SO_RCVTIMEO or SO_SNDTIMEO.
 * The kernel keeps them, but they never act on a non-blocking fd: tell
 * the layer, which enforces them itself. */
static void copy_timeout(int fd, int name)
{
    struct timeval tv;
    socklen_t len = sizeof tv;
    if (getsockopt(fd, SOL_SOCKET, name, &tv, &len) == 0 &&
        (tv.tv_sec != 0 || tv.tv_usec != 0)) {
        inside++;
        sock_setsockopt(fd, SOL_SOCKET, name, &tv, len);
        inside--;
    }
}
/* book: end */

/* book: classify */
/* What fd is, found out the first time a routed call names it: a socket
 * becomes the layer's, as its caller left it; anything else is left to
 * the C library for good. */
static enum kind classify(int fd)
{
    enum kind k = known(fd);
    if (k != UNSEEN)
        return k;
    if (fd <= STDERR_FILENO)
        return OTHER; /* shared with whoever started us: never adopted */
    struct stat st;
    if (fstat(fd, &st) < 0)
        return OTHER; /* not open: the C library will say EBADF */
    if (!S_ISSOCK(st.st_mode)) {
        remember(fd, OTHER);
        return OTHER;
    }
    if (layer_adopt(fd) < 0)
        return OTHER; /* the layer could not take it (ENOMEM) */
    copy_timeout(fd, SO_RCVTIMEO);
    copy_timeout(fd, SO_SNDTIMEO);
    remember(fd, SOCKET);
    return SOCKET;
}

static bool routed(int fd)
{
    return routing() && classify(fd) == SOCKET;
}
/* book: end */

/* ---- sockets ---- */

/* book: socket */
int socket(int domain, int type, int protocol)
{
    if (!routing())
        return sys_socket(domain, type, protocol);
    inside++; /* the layer adopts the new fd, calling fcntl */
    int fd = sock_socket(domain, type, protocol);
    inside--;
    guard_poller();
    if (fd >= 0)
        remember(fd, SOCKET);
    return fd;
}
/* book: end */

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (routed(fd))
        return sock_connect(fd, addr, len);
    return sys_connect(fd, addr, len);
}

/* book: accept */
int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    if (!routed(fd))
        return sys_accept4(fd, addr, len, flags);
    int c = sock_accept4(fd, addr, len, flags);
    if (c >= 0)
        remember(c, SOCKET); /* the layer adopted it */
    return c;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    return accept4(fd, addr, len, 0);
}
/* book: end */

/* book: recv */
ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    if (routed(fd))
        return sock_recv(fd, buf, len, flags);
    return sys_recvfrom(fd, buf, len, flags, NULL, NULL);
}
/* book: end */

ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
                 struct sockaddr *addr, socklen_t *addrlen)
{
    if (routed(fd))
        return sock_recvfrom(fd, buf, len, flags, addr, addrlen);
    return sys_recvfrom(fd, buf, len, flags, addr, addrlen);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    if (routed(fd))
        return sock_send(fd, buf, len, flags);
    return sys_sendto(fd, buf, len, flags, NULL, 0);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
               const struct sockaddr *addr, socklen_t addrlen)
{
    if (routed(fd))
        return sock_sendto(fd, buf, len, flags, addr, addrlen);
    return sys_sendto(fd, buf, len, flags, addr, addrlen);
}

ssize_t read(int fd, void *buf, size_t len)
{
    if (routed(fd))
        return sock_read(fd, buf, len);
    return sys_read(fd, buf, len);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    if (routed(fd))
        return sock_write(fd, buf, len);
    return sys_write(fd, buf, len);
}

/* book: close */
/* Closing never parks, so it tells the layer even when the runtime is
 * not routing (after uninstall(), from the poller): the layer must not
 * keep a record of a number that the next open() will reuse. */
int close(int fd)
{
    enum kind k = home ? known(fd) : UNSEEN;
    if (k == UNSEEN)
        return sys_close(fd);
    kinds[fd] = UNSEEN;
    if (k == OTHER)
        return sys_close(fd);
    inside++;
    int r = sock_close(fd);
    inside--;
    return r;
}
/* book: end */

/* book: fcntl */
/* F_GETFL and F_SETFL on a socket the layer manages go to the layer, which
 * keeps the caller's O_NONBLOCK apart from its own. Only known() is asked,
 * never classify(): the layer calls fcntl itself while it adopts a
 * socket, and a socket it does not manage yet has its caller's flags for
 * real, which is what the C library reads and sets. */
static int fcntl_routed(int fd, int cmd, void *arg)
{
    if ((cmd == F_GETFL || cmd == F_SETFL) && routing() &&
        known(fd) == SOCKET) {
        inside++;
        int r = sock_fcntl(fd, cmd, arg);
        inside--;
        return r;
    }
    return sys_fcntl(fd, cmd, arg);
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *); /* as the C library reads it */
    va_end(ap);
    return fcntl_routed(fd, cmd, arg);
}
/* book: end */

/* The name programs built with _FILE_OFFSET_BITS=64 call. */
int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return fcntl_routed(fd, cmd, arg);
}

/* SO_RCVTIMEO and SO_SNDTIMEO must reach the layer: on its non-blocking
 * fds the kernel never applies them. */
int setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
    if (!routed(fd))
        return sys_setsockopt(fd, level, name, value, len);
    inside++;
    int r = sock_setsockopt(fd, level, name, value, len);
    inside--;
    return r;
}

/* ---- poll ---- */

/* book: poll-watch */
/* An epoll instance that watches every descriptor of the set for the
 * events asked (poll's and epoll's event bits are the same numbers). A
 * descriptor listed twice is watched for both entries' events. Returns
 * -1 if epoll refuses one: a regular file (always ready, so the first
 * look has already returned, unless the events asked are neither POLLIN
 * nor POLLOUT). */
static int watch_all(const struct pollfd *fds, nfds_t n)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return -1;
    for (nfds_t i = 0; i < n; i++) {
        int fd = fds[i].fd;
        if (fd < 0)
            continue; /* poll ignores it */
        struct epoll_event ev = {.events = (unsigned short)fds[i].events,
                                 .data.fd = fd};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0)
            continue;
        if (errno == EEXIST) { /* listed before: watch for both */
            for (nfds_t j = 0; j < i; j++)
                if (fds[j].fd == fd)
                    ev.events |= (unsigned short)fds[j].events;
            if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) == 0)
                continue;
        }
        sys_close(ep);
        return -1;
    }
    return ep;
}
/* book: end */

/* book: poll-park */
/* Parks the tasklet until some descriptor of the set is ready or the
 * timeout passes. The epoll instance is readable exactly when one of its
 * descriptors is ready, so the tasklet waits on that one fd, through the
 * layer; each wake-up is checked with a poll that does not wait, which
 * also fills in revents. */
static int poll_parked(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    int ep = watch_all(fds, n);
    if (ep < 0 || layer_adopt(ep) < 0) {
        if (ep >= 0)
            sys_close(ep);
        return sys_poll(fds, n, timeout_ms); /* wait as the C library does */
    }
    int64_t deadline = timeout_ms < 0 ? TIMER_NEVER
                                      : timer_now() + TIMER_MS(timeout_ms);
    int ready = 0;
    for (;;) {
        int64_t left = 0; /* for sock_wait: no timeout */
        if (deadline != TIMER_NEVER) {
            left = deadline - timer_now();
            if (left <= 0)
                break;
        }
        if (sock_wait(ep, REACTOR_READ, left) < 0) {
            if (errno != EAGAIN) { /* EAGAIN: the timeout passed */
                if (errno == ECANCELED || errno == ETIMEDOUT)
                    errno = EINTR; /* the runtime interrupted the wait */
                ready = -1;
            }
            break;
        }
        ready = sys_poll(fds, n, 0);
        if (ready != 0)
            break;
    }
    int err = errno;
    inside++;
    sock_close(ep);
    inside--;
    errno = err;
    return ready;
}
/* book: end */

/* book: poll */
int poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    if (!routing() || timeout_ms == 0)
        return sys_poll(fds, n, timeout_ms);
    int ready = sys_poll(fds, n, 0);
    if (ready != 0)
        return ready; /* something is ready already, or an error */
    return poll_parked(fds, n, timeout_ms);
}
/* book: end */

/* ---- sleeping ---- */

/* book: sleep */
/* Parks the tasklet for *want. Interrupted by the runtime (a cancellation,
 * a deadline), it fails as a signal would make nanosleep fail: EINTR,
 * with the time that was left in *left. */
static int park_for(const struct timespec *want, struct timespec *left)
{
    if (want->tv_sec < 0 || want->tv_nsec < 0 || want->tv_nsec >= 1000000000) {
        errno = EINVAL;
        return -1;
    }
    int64_t now = timer_now();
    int64_t end = TIMER_NEVER;
    if (want->tv_sec < (TIMER_NEVER - now) / 1000000000 - 1)
        end = now + want->tv_sec * 1000000000 + want->tv_nsec;
    if (timer_sleep_until(end) == 0)
        return 0;
    if (errno != ECANCELED && errno != ETIMEDOUT)
        return sys_nanosleep(want, left); /* no timer could be had */
    if (left) {
        int64_t ns = end == TIMER_NEVER ? 0 : end - timer_now();
        if (end == TIMER_NEVER)
            *left = *want;
        else if (ns <= 0)
            *left = (struct timespec){0, 0};
        else
            *left = (struct timespec){ns / 1000000000, ns % 1000000000};
    }
    errno = EINTR;
    return -1;
}

int nanosleep(const struct timespec *want, struct timespec *left)
{
    if (!routing() || want == NULL) /* NULL: the C library says EFAULT */
        return sys_nanosleep(want, left);
    return park_for(want, left);
}

int usleep(useconds_t us)
{
    struct timespec want = {us / 1000000, (long)(us % 1000000) * 1000};
    return routing() ? park_for(&want, NULL) : sys_nanosleep(&want, NULL);
}

/* Returns the seconds not slept, rounded to the nearest, after an
 * interruption; 0 otherwise, with errno as it was. */
unsigned int sleep(unsigned int seconds)
{
    int saved = errno;
    struct timespec want = {seconds, 0}, left = {0, 0};
    int r = routing() ? park_for(&want, &left) : sys_nanosleep(&want, &left);
    if (r == 0) {
        errno = saved;
        return 0;
    }
    return (unsigned int)left.tv_sec + (left.tv_nsec >= 500000000);
}
/* book: end */

/* ---- _FORTIFY_SOURCE ---- */

/* book: fortify */
/* With _FORTIFY_SOURCE, a call to read, recv, recvfrom or poll whose
 * buffer size the compiler knows becomes a call to one of these; the C
 * library's versions check the size, then call its own read directly.
 * Check the same way, then take the same road as the plain call. */
void __chk_fail(void) __attribute__((noreturn));

ssize_t __read_chk(int fd, void *buf, size_t len, size_t size)
{
    if (len > size)
        __chk_fail();
    return read(fd, buf, len);
}

ssize_t __recv_chk(int fd, void *buf, size_t len, size_t size, int flags)
{
    if (len > size)
        __chk_fail();
    return recv(fd, buf, len, flags);
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t size, int flags,
                       struct sockaddr *addr, socklen_t *addrlen)
{
    if (len > size)
        __chk_fail();
    return recvfrom(fd, buf, len, flags, addr, addrlen);
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout_ms, size_t size)
{
    if (size / sizeof *fds < n)
        __chk_fail();
    return poll(fds, n, timeout_ms);
}
/* book: end */

/* ---- installing ---- */

/* book: install */
int install(void)
{
    if (claimed && !home) {
        errno = EBUSY; /* the runtime belongs to another thread */
        return -1;
    }
    if (installed)
        return 0;
    claimed = home = installed = true;
    /* Installed again: take back the sockets uninstall() handed back,
     * with whatever mode their callers gave them meanwhile. */
    for (size_t fd = 0; fd < nkinds; fd++) {
        if (kinds[fd] != SOCKET)
            continue;
        int flags = sys_fcntl((int)fd, F_GETFL);
        inside++;
        if (flags >= 0)
            sock_fcntl((int)fd, F_SETFL, (void *)(intptr_t)flags);
        inside--;
    }
    guard_poller();
    return 0;
}

void uninstall(void)
{
    if (!installed || !home)
        return;
    installed = false;
    /* Hand every socket back in the mode its caller asked for, so that the
     * C library's calls block on it again. */
    for (size_t fd = 0; fd < nkinds; fd++) {
        if (kinds[fd] != SOCKET)
            continue;
        inside++;
        int wanted = sock_fcntl((int)fd, F_GETFL);
        inside--;
        if (wanted >= 0)
            sys_fcntl((int)fd, F_SETFL, wanted);
    }
    if (tasklet_poller() == guarded_poll)
        tasklet_set_poller(inner);
}

bool install_active(void)
{
    return installed && home;
}
/* book: end */
