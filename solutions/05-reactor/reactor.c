/*
 * reactor.c - an asyncore-style reactor: dispatchers in a table indexed by
 * fd, asked every turn what they want, and called back when the backend
 * (reactor_epoll.c or reactor_poll.c) says their fd is ready.
 *
 * Invariants:
 *   - slots[fd].d is the dispatcher added for fd, or NULL. d->reactor is r
 *     exactly while a slot of r holds d, and that slot is d->fd's.
 *   - d->events is what the backend watches on d's fd right now (0: not
 *     registered). It changes only together with a backend set that
 *     succeeded, so the two never disagree.
 *   - count is the number of slots holding a dispatcher, and the event
 *     buffer has room for at least count events: one wait can report
 *     every watched fd, so no fd waits behind others for a later turn.
 *   - During a turn's dispatch, a slot with added == turn holds a
 *     dispatcher added during that very dispatch. It gets none of the
 *     turn's events: they were meant for whatever had that fd before.
 *
 * Ownership: the reactor owns its table, its event buffer and the
 * backend's state. It never owns a dispatcher: the program does, and must
 * remove one (reactor_remove, dispatcher_close) before freeing it.
 */
#define _GNU_SOURCE
#include "reactor.h"
#include "reactor_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct slot {
    struct dispatcher *d; /* NULL: no dispatcher has this fd */
    uint64_t added;       /* the turn during which d was added */
};

struct reactor {
    const struct reactor_backend *backend;
    void *state;                  /* the backend's own, opaque here */
    struct slot *slots;           /* indexed by fd */
    size_t nslots;
    size_t count;                 /* dispatchers added */
    struct reactor_event *events; /* what one wait fills in */
    size_t nevents;
    uint64_t turn;                /* the turns that reached dispatch */
    bool dispatching;             /* inside reactor_poll's handlers */
};

/* The backends this reactor knows, best first: NULL picks the first one
 * that can be created. */
static const struct reactor_backend *const backends[] = {
    &reactor_backend_epoll,
    &reactor_backend_poll,
};

enum { FIRST_SIZE = 64 }; /* the first size of the table and the buffer */

/* A dispatcher without ops gets every default. */
static const struct dispatcher_ops no_ops;

static const struct dispatcher_ops *ops_of(const struct dispatcher *d)
{
    return d->ops ? d->ops : &no_ops;
}

/* ---- creating and destroying ---- */

/* book: create */
/* One reactor on backend b. Three resources, undone in reverse order by
 * falling through the labels when a later one cannot be had. */
static reactor *create_with(const struct reactor_backend *b)
{
    reactor *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->backend = b;
    r->events = malloc(FIRST_SIZE * sizeof *r->events);
    if (r->events == NULL)
        goto fail_reactor;
    r->nevents = FIRST_SIZE;
    r->state = b->create();
    if (r->state == NULL)
        goto fail_events;
    return r;

fail_events:
    free(r->events);
fail_reactor:
    free(r); /* free leaves errno alone (glibc; POSIX.1-2024 says so) */
    return NULL;
}

reactor *reactor_create(const char *name)
{
    bool known = false;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        if (name != NULL && strcmp(name, backends[i]->name) != 0)
            continue;
        known = true;
        reactor *r = create_with(backends[i]);
        if (r != NULL || name != NULL)
            return r;
        /* NULL asked for the best: it failed (errno says why), so try the
         * next one, and report the last error if none can be made. */
    }
    if (!known)
        errno = EINVAL;
    return NULL;
}
/* book: end */

void reactor_destroy(reactor *r)
{
    if (r == NULL)
        return;
    /* The dispatchers are the program's: forget them, do not close them. */
    for (size_t fd = 0; fd < r->nslots; fd++) {
        struct dispatcher *d = r->slots[fd].d;
        if (d != NULL) {
            d->reactor = NULL;
            d->events = 0;
        }
    }
    r->backend->destroy(r->state);
    free(r->slots);
    free(r->events);
    free(r);
}

const char *reactor_backend_name(const reactor *r)
{
    return r->backend->name;
}

size_t reactor_count(const reactor *r)
{
    return r->count;
}

/* ---- the table of dispatchers ---- */

/* Makes slots[fd] exist. New slots are empty (zeroed). */
static int grow_slots(reactor *r, int fd)
{
    if ((size_t)fd < r->nslots)
        return 0;
    size_t n = r->nslots ? r->nslots : FIRST_SIZE;
    while (n <= (size_t)fd)
        n *= 2;
    struct slot *s = realloc(r->slots, n * sizeof *s);
    if (s == NULL) {
        errno = ENOMEM;
        return -1;
    }
    memset(s + r->nslots, 0, (n - r->nslots) * sizeof *s);
    r->slots = s;
    r->nslots = n;
    return 0;
}

/* Makes room for `want` events in one wait. */
static int grow_events(reactor *r, size_t want)
{
    if (want <= r->nevents)
        return 0;
    size_t n = r->nevents * 2;
    while (n < want)
        n *= 2;
    struct reactor_event *e = realloc(r->events, n * sizeof *e);
    if (e == NULL) {
        errno = ENOMEM;
        return -1;
    }
    r->events = e;
    r->nevents = n;
    return 0;
}

/* book: add */
int reactor_add(reactor *r, struct dispatcher *d)
{
    int fd = d->fd;
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    if (d->reactor != NULL ||
        ((size_t)fd < r->nslots && r->slots[fd].d != NULL)) {
        errno = EEXIST;
        return -1;
    }
    /* Everything that can fail comes first, so a failure changes nothing
     * the caller can see. */
    if (grow_slots(r, fd) < 0 || grow_events(r, r->count + 1) < 0)
        return -1;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -1;

    r->slots[fd] = (struct slot){.d = d, .added = r->turn};
    r->count++;
    d->reactor = r;
    d->events = 0; /* registered with the backend at the next turn */
    return 0;
}
/* book: end */

/* The fd under which r holds d: d->fd, unless the program changed d->fd
 * while d was added (then we look for d, so that removing still works). */
static int slot_of(const reactor *r, const struct dispatcher *d)
{
    if (d->fd >= 0 && (size_t)d->fd < r->nslots && r->slots[d->fd].d == d)
        return d->fd;
    for (size_t fd = 0; fd < r->nslots; fd++)
        if (r->slots[fd].d == d)
            return (int)fd;
    return -1;
}

/* book: remove */
int reactor_remove(reactor *r, struct dispatcher *d)
{
    int fd = d->reactor == r ? slot_of(r, d) : -1;
    if (fd < 0) {
        errno = ENOENT;
        return -1;
    }
    /* Unregistering can only fail for an fd the program already closed,
     * which the kernel has forgotten anyway. Either way the table must
     * forget d, or a dispatcher the program is about to free stays in it:
     * so the error is ignored. */
    if (d->events != 0) {
        int saved = errno;
        r->backend->set(r->state, fd, d->events, 0);
        errno = saved;
    }
    r->slots[fd].d = NULL;
    r->count--;
    d->reactor = NULL;
    d->events = 0;
    return 0;
}
/* book: end */

/* The dispatcher that may take this turn's event for fd, or NULL: none,
 * or one added during this turn's dispatch (see the invariants). */
static struct dispatcher *current(const reactor *r, int fd)
{
    if (fd < 0 || (size_t)fd >= r->nslots)
        return NULL;
    const struct slot *s = &r->slots[fd];
    if (s->d == NULL || s->added == r->turn)
        return NULL;
    return s->d;
}

/* ---- calling the handlers ---- */

static void call_close(struct dispatcher *d)
{
    const struct dispatcher_ops *ops = ops_of(d);
    if (ops->handle_close)
        ops->handle_close(d);
    else
        dispatcher_close(d); /* the default: close it */
}

static void call_error(struct dispatcher *d, int err)
{
    const struct dispatcher_ops *ops = ops_of(d);
    if (ops->handle_error)
        ops->handle_error(d, err);
    else
        call_close(d); /* the default: treat it as a close */
}

/* The error pending on a socket (and clears it), 0 if none. An fd that
 * is not a socket (a pipe) has no error to fetch: 0. */
static int socket_error(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno == ENOTSOCK ? 0 : errno;
    return err;
}

/* ---- one turn ---- */

/* book: wanted */
/* What d wants this turn: its predicates, or the defaults of reactor.h. */
static unsigned wanted(struct dispatcher *d)
{
    const struct dispatcher_ops *ops = ops_of(d);
    bool rd = ops->readable ? ops->readable(d) : d->accepting || d->connected;
    bool wr = ops->writable ? ops->writable(d) : d->connecting;
    return (rd ? REACTOR_READ : 0) | (wr ? REACTOR_WRITE : 0);
}

/* Asks every dispatcher what it wants and tells the backend what changed.
 * A dispatcher whose fd the backend refuses (closed behind our back:
 * EBADF; out of memory) gets handle_error; the others go on. */
static void update_interest(reactor *r)
{
    /* By index, reading r->slots afresh each time: a predicate or a
     * handler may add or remove dispatchers, and growing moves the table. */
    for (size_t fd = 0; fd < r->nslots; fd++) {
        struct dispatcher *d = r->slots[fd].d;
        if (d == NULL)
            continue;
        unsigned want = wanted(d);
        if (r->slots[fd].d != d || want == d->events)
            continue; /* removed by its own predicate, or nothing new */
        if (r->backend->set(r->state, (int)fd, d->events, want) == 0)
            d->events = want;
        else
            call_error(d, errno);
    }
}
/* book: end */

/* book: connect */
/* A connect in progress ended: the socket became writable (or hung up).
 * SO_ERROR says how it ended. */
static void finish_connect(struct dispatcher *d)
{
    int err = socket_error(d->fd);
    d->connecting = false;
    if (err != 0) {
        call_error(d, err); /* ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH... */
        return;
    }
    d->connected = true;
    if (ops_of(d)->handle_connect)
        ops_of(d)->handle_connect(d);
}
/* book: end */

/* book: dispatch */
/* Runs d's handlers for the events ev reported on fd. After each handler,
 * d may have been removed, or closed and freed: current() tells, without
 * touching d. */
static void dispatch(reactor *r, int fd, struct dispatcher *d, unsigned ev)
{
    const struct dispatcher_ops *ops = ops_of(d);
    ev &= d->events | REACTOR_HUP; /* what d asked for, and hang-ups */

    if (d->connecting && (ev & (REACTOR_WRITE | REACTOR_HUP))) {
        finish_connect(d);
        return; /* the next turn's predicates say what comes next */
    }
    if (ev & REACTOR_READ) {
        if (d->accepting) {
            if (ops->handle_accept)
                ops->handle_accept(d);
        } else if (ops->handle_read) {
            ops->handle_read(d);
        }
        if (current(r, fd) != d)
            return;
    }
    if (ev & REACTOR_WRITE) {
        if (ops->handle_write)
            ops->handle_write(d);
        if (current(r, fd) != d)
            return;
    }
    /* A hang-up that came with readiness is left to the read or write
     * handler: its recv or send returns the EOF or the error itself, and
     * SO_ERROR stays for it to see. Alone, it is reported here. */
    if ((ev & REACTOR_HUP) && !(ev & (REACTOR_READ | REACTOR_WRITE))) {
        int err = socket_error(fd);
        if (err != 0)
            call_error(d, err);
        else
            call_close(d);
    }
}
/* book: end */

/* book: poll */
int reactor_poll(reactor *r, int timeout_ms)
{
    if (r->dispatching) {
        errno = EBUSY; /* called from a handler: the buffer is in use */
        return -1;
    }
    update_interest(r);
    int n = r->backend->wait(r->state, r->events, (int)r->nevents,
                             timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -1;

    r->turn++; /* from here on, a dispatcher added is "added this turn" */
    r->dispatching = true;
    int handled = 0;
    for (int i = 0; i < n; i++) {
        /* r->events afresh each time: a handler that adds a dispatcher
         * may grow (move) the buffer; realloc keeps what it holds. */
        struct reactor_event e = r->events[i];
        struct dispatcher *d = current(r, e.fd);
        if (d == NULL)
            continue; /* removed (or replaced) by an earlier handler */
        dispatch(r, e.fd, d, e.events);
        handled++;
    }
    r->dispatching = false;
    return handled;
}
/* book: end */

/* book: loop */
int reactor_loop(reactor *r, int timeout_ms, int turns)
{
    for (int i = 0; r->count > 0 && (turns <= 0 || i < turns); i++)
        if (reactor_poll(r, timeout_ms) < 0)
            return -1;
    return 0;
}
/* book: end */

/* ---- asyncore's conveniences ---- */

int dispatcher_socket(struct dispatcher *d, int domain, int type)
{
    if (d->reactor != NULL) {
        errno = EBUSY; /* its fd is watched: close it first */
        return -1;
    }
    int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    d->fd = fd;
    d->accepting = d->connecting = d->connected = false;
    d->events = 0;
    return 0;
}

int dispatcher_listen(struct dispatcher *d, const struct sockaddr *addr,
                      socklen_t len, int backlog)
{
    if (bind(d->fd, addr, len) < 0 || listen(d->fd, backlog) < 0)
        return -1;
    d->accepting = true;
    return 0;
}

/* book: start-connect */
int dispatcher_connect(struct dispatcher *d, const struct sockaddr *addr,
                       socklen_t len)
{
    if (connect(d->fd, addr, len) == 0) {
        d->connected = true; /* at once: AF_UNIX does, TCP rarely */
        return 0;
    }
    /* EINTR: the connect goes on in the background, as EINPROGRESS. */
    if (errno == EINPROGRESS || errno == EINTR) {
        d->connecting = true;
        return 0;
    }
    return -1;
}
/* book: end */

int dispatcher_accept(struct dispatcher *d)
{
    int fd;
    do
        fd = accept4(d->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0 && errno == ECONNABORTED)
        errno = EAGAIN; /* reset before we took it: none after all */
    return fd;
}

/* book: recv */
/* At EOF, errno is 0: the peer closed, nothing failed. */
ssize_t dispatcher_recv(struct dispatcher *d, void *buf, size_t len)
{
    if (d->fd < 0) {
        errno = EBADF; /* closed already: no handler runs twice */
        return -1;
    }
    if (len == 0)
        return 0; /* recv would return 0, which means EOF */
    ssize_t n;
    do
        n = recv(d->fd, buf, len, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        return n;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0; /* nothing now: level-triggered, we will be told again */
    int err = n == 0 ? 0 : errno;
    if (err == 0)
        call_close(d); /* the peer simply closed */
    else
        call_error(d, err);
    /* d may be freed now: touch nothing but errno. */
    errno = err;
    return -1;
}
/* book: end */

ssize_t dispatcher_send(struct dispatcher *d, const void *buf, size_t len)
{
    if (d->fd < 0) {
        errno = EBADF;
        return -1;
    }
    ssize_t n;
    /* MSG_NOSIGNAL: writing to a closed peer fails with EPIPE instead of
     * killing the whole process with SIGPIPE. */
    do
        n = send(d->fd, buf, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return 0; /* the socket buffer is full: wait to be writable */
    int err = errno; /* EPIPE, ECONNRESET: the peer is gone */
    call_error(d, err);
    errno = err;
    return -1;
}

/* book: close */
void dispatcher_close(struct dispatcher *d)
{
    int saved = errno; /* callers use this on their error paths */
    if (d->reactor != NULL)
        reactor_remove(d->reactor, d); /* before close: the fd is the key */
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
    d->accepting = d->connecting = d->connected = false;
    errno = saved;
}
/* book: end */
