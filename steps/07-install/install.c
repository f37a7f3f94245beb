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
 *
 * Your task (chapters/07-install.md): every function marked TODO. As
 * shipped, every call goes straight to the C library and install() fails
 * with ENOSYS. Keep the C library's road working as you go: the test
 * harness itself calls read, write and close, and reaches these.
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

/* Whether the runtime may take a call made now: after install(), on its
 * thread, not from inside the layer itself, and not from inside the
 * scheduler's poller, where nothing may park. */
static bool routing(void)
{
    /* TODO(step 07, "Routing a call"): installed, on the home thread, and
     * neither inside the layer nor inside the poller. */
    (void)installed, (void)home, (void)inside, (void)polling;
    return false;
}

/* The scheduler's poller, counted: timer callbacks and the reactor's
 * backend run inside it, and whatever they call must not park. */
static bool guarded_poll(bool may_block)
{
    /* TODO(step 07, "Outside a tasklet"): count polling around a call of
     * the inner poller, and return what it returns. */
    (void)may_block, (void)inner;
    return false;
}

/* Puts guarded_poll in front of the scheduler's poller of the moment:
 * timer_poll at first, the layer's own once the layer has started. */
static void guard_poller(void)
{
    /* TODO(step 07, "Outside a tasklet"): unless the scheduler's poller is
     * guarded_poll already, remember it as inner (timer_poll if there is
     * none) and make guarded_poll the scheduler's poller. */
    (void)guarded_poll;
}

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

/* Hands fd to the layer. Any call that names a descriptor makes the layer
 * adopt it, reading the caller's O_NONBLOCK from the fd and then setting
 * it underneath; F_GETFL is the call that does nothing else. The layer
 * does that through fcntl, which is ours: `inside` sends it to the C
 * library. Adopting the first socket starts the layer, and with it the
 * layer's poller, which must be guarded before anything parks. */
static int layer_adopt(int fd)
{
    /* TODO(step 07, "Sockets made before install"): sock_fcntl(fd, F_GETFL)
     * with inside raised; then guard_poller(). 0, or -1 if the layer
     * failed. */
    (void)fd, (void)guard_poller;
    errno = ENOSYS;
    return -1;
}

/* A socket made before install() may carry SO_RCVTIMEO or SO_SNDTIMEO.
 * The kernel keeps them, but they never act on a non-blocking fd: tell
 * the layer, which enforces them itself. */
static void copy_timeout(int fd, int name)
{
    /* TODO(step 07, "Sockets made before install"): read the option with
     * getsockopt; if it is not zero, give it to sock_setsockopt (inside
     * raised). */
    (void)fd, (void)name;
}

/* What fd is, found out the first time a routed call names it: a socket
 * becomes the layer's, as its caller left it; anything else is left to
 * the C library for good. */
static enum kind classify(int fd)
{
    /* TODO(step 07, "Which descriptors are routed"): what known() says if
     * it knows; OTHER for 0, 1 and 2 and for an fd fstat fails on (not
     * remembered); OTHER, remembered, for what S_ISSOCK says is not a
     * socket; a socket is adopted (layer_adopt, then its timeouts) and
     * remembered as SOCKET, or is OTHER if the layer fails. */
    (void)layer_adopt, (void)copy_timeout, (void)remember;
    return known(fd);
}

static bool routed(int fd)
{
    return routing() && classify(fd) == SOCKET;
}

/* ---- sockets ---- */

int socket(int domain, int type, int protocol)
{
    /* TODO(step 07, "Routing a call"): when routing, sock_socket with
     * inside raised (the layer adopts the new fd, calling fcntl); then
     * guard_poller() and remember the fd as a SOCKET. */
    return sys_socket(domain, type, protocol);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    /* TODO(step 07, "Routing a call"): like recv below. */
    return sys_connect(fd, addr, len);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    /* TODO(step 07, "Routing a call"): like recv below; remember the
     * accepted fd as a SOCKET, since the layer adopted it. */
    return sys_accept4(fd, addr, len, flags);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    return accept4(fd, addr, len, 0);
}

/* The model for the calls around it. */
ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    if (routed(fd))
        return sock_recv(fd, buf, len, flags);
    return sys_recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
                 struct sockaddr *addr, socklen_t *addrlen)
{
    /* TODO(step 07, "Routing a call") */
    return sys_recvfrom(fd, buf, len, flags, addr, addrlen);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    /* TODO(step 07, "Routing a call") */
    return sys_sendto(fd, buf, len, flags, NULL, 0);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
               const struct sockaddr *addr, socklen_t addrlen)
{
    /* TODO(step 07, "Routing a call") */
    return sys_sendto(fd, buf, len, flags, addr, addrlen);
}

ssize_t read(int fd, void *buf, size_t len)
{
    /* TODO(step 07, "Routing a call") */
    return sys_read(fd, buf, len);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    /* TODO(step 07, "Routing a call") */
    return sys_write(fd, buf, len);
}

/* Closing never parks, so it tells the layer even when the runtime is
 * not routing (after uninstall(), from the poller): the layer must not
 * keep a record of a number that the next open() will reuse. */
int close(int fd)
{
    /* TODO(step 07, "Which descriptors are routed"): on the home thread,
     * an fd known() knows becomes UNSEEN; a SOCKET is closed through
     * sock_close (inside raised), anything else through sys_close. */
    return sys_close(fd);
}

/* F_GETFL and F_SETFL on a socket the layer manages go to the layer, which
 * keeps the caller's O_NONBLOCK apart from its own. Only known() is asked,
 * never classify(): the layer calls fcntl itself while it adopts a
 * socket, and a socket it does not manage yet has its caller's flags for
 * real, which is what the C library reads and sets. */
static int fcntl_routed(int fd, int cmd, void *arg)
{
    /* TODO(step 07, "Non-blocking callers"): F_GETFL and F_SETFL, when
     * routing, on an fd known() says is a SOCKET: sock_fcntl, inside
     * raised. */
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
    /* TODO(step 07, "Sockets made before install"): a routed fd goes to
     * sock_setsockopt, inside raised. */
    return sys_setsockopt(fd, level, name, value, len);
}

/* ---- poll ---- */

/* An epoll instance that watches every descriptor of the set for the
 * events asked (poll's and epoll's event bits are the same numbers). A
 * descriptor listed twice is watched for both entries' events. Returns
 * -1 if epoll refuses one: a regular file (always ready, so the first
 * look has already returned, unless the events asked are neither POLLIN
 * nor POLLOUT). */
static int watch_all(const struct pollfd *fds, nfds_t n)
{
    /* TODO(step 07, "Waiting in poll"): epoll_create1, then EPOLL_CTL_ADD
     * for each fd that is not negative; on EEXIST, EPOLL_CTL_MOD with the
     * events of every entry for that fd. */
    (void)fds, (void)n;
    errno = ENOSYS;
    return -1;
}

/* Parks the tasklet until some descriptor of the set is ready or the
 * timeout passes. The epoll instance is readable exactly when one of its
 * descriptors is ready, so the tasklet waits on that one fd, through the
 * layer; each wake-up is checked with a poll that does not wait, which
 * also fills in revents. */
static int poll_parked(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    /* TODO(step 07, "Waiting in poll"): watch_all and layer_adopt the
     * epoll fd (if either fails: sys_poll with the timeout); loop on
     * sock_wait(ep, REACTOR_READ, time left) and sys_poll(fds, n, 0);
     * EAGAIN from sock_wait is the timeout (return 0), ECANCELED and
     * ETIMEDOUT become EINTR; close the epoll fd with sock_close. */
    (void)watch_all;
    return sys_poll(fds, n, timeout_ms);
}

int poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    /* TODO(step 07, "Waiting in poll"): when routing and the timeout is
     * not 0: look once without waiting; if nothing is ready, park. */
    (void)poll_parked;
    return sys_poll(fds, n, timeout_ms);
}

/* ---- sleeping ---- */

/* Parks the tasklet for *want. Interrupted by the runtime (a cancellation,
 * a deadline), it fails as a signal would make nanosleep fail: EINTR,
 * with the time that was left in *left. */
static int park_for(const struct timespec *want, struct timespec *left)
{
    /* TODO(step 07, "Sleeping"): EINVAL for a bad *want; timer_sleep_until
     * the end (TIMER_NEVER if it would overflow); on ECANCELED or
     * ETIMEDOUT, EINTR and the time left; on any other failure, the C
     * library's nanosleep. */
    return sys_nanosleep(want, left);
}

int nanosleep(const struct timespec *want, struct timespec *left)
{
    /* TODO(step 07, "Sleeping"): park_for when routing (and want is not
     * NULL: the C library says EFAULT). */
    (void)park_for;
    return sys_nanosleep(want, left);
}

int usleep(useconds_t us)
{
    struct timespec want = {us / 1000000, (long)(us % 1000000) * 1000};
    /* TODO(step 07, "Sleeping") */
    return sys_nanosleep(&want, NULL);
}

/* Returns the seconds not slept, rounded to the nearest, after an
 * interruption; 0 otherwise, with errno as it was. */
unsigned int sleep(unsigned int seconds)
{
    int saved = errno;
    struct timespec want = {seconds, 0}, left = {0, 0};
    /* TODO(step 07, "Sleeping") */
    int r = sys_nanosleep(&want, &left);
    if (r == 0) {
        errno = saved;
        return 0;
    }
    return (unsigned int)left.tv_sec + (left.tv_nsec >= 500000000);
}

/* ---- _FORTIFY_SOURCE ---- */

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

/* ---- installing ---- */

int install(void)
{
    /* TODO(step 07, "Routing a call"): EBUSY if another thread has claimed
     * the runtime; 0 at once if installed; otherwise claim it, mark this
     * thread home and the runtime installed, take back the sockets an
     * uninstall() handed back (sock_fcntl F_SETFL with their flags of now,
     * inside raised; see "Uninstalling"), guard the poller. */
    (void)claimed;
    errno = ENOSYS;
    return -1;
}

void uninstall(void)
{
    /* TODO(step 07, "Uninstalling"): on the home thread, if installed:
     * not installed any more; each SOCKET gets the mode its caller asked
     * for (sock_fcntl F_GETFL, inside raised, then sys_fcntl F_SETFL);
     * the scheduler's poller goes back to inner if it is guarded_poll. */
}

bool install_active(void)
{
    return false; /* TODO(step 07, "Routing a call") */
}
