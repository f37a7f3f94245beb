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
 *
 * Your task (chapters/05-reactor.md): every function marked TODO. The
 * types, the list of backends and a few helpers are written for you.
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

/* book: types */
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
/* book: end */

/* book: backends */
/* The backends this reactor knows, best first: NULL picks the first one
 * that can be created. */
static const struct reactor_backend *const backends[] = {
    &reactor_backend_epoll,
    &reactor_backend_poll,
};
/* book: end */

enum { FIRST_SIZE = 64 }; /* the first size of the table and the buffer */

/* A dispatcher without ops gets every default. */
static const struct dispatcher_ops no_ops;

static const struct dispatcher_ops *ops_of(const struct dispatcher *d)
{
    return d->ops ? d->ops : &no_ops;
}

/* ---- creating and destroying ---- */

/* One reactor on backend b. */
static reactor *create_with(const struct reactor_backend *b)
{
    /* TODO(step 05, "The backend interface"): calloc the reactor, malloc
     * an event buffer of FIRST_SIZE events, then b->create() the backend's
     * state. If a later step fails, undo the earlier ones in reverse order
     * (goto fail_events; goto fail_reactor) and return NULL with the errno
     * of what failed. */
    (void)b;
    errno = ENOSYS;
    return NULL;
}

reactor *reactor_create(const char *name)
{
    /* TODO(step 05, "The backend interface"): find the backend whose
     * name is `name` in backends[] and create_with it. NULL means the
     * first one that can be created: if one fails, try the next. No
     * backend of that name: NULL with errno EINVAL. */
    (void)name, (void)backends, (void)create_with;
    errno = ENOSYS;
    return NULL;
}

void reactor_destroy(reactor *r)
{
    /* TODO(step 05, "The backend interface"): set d->reactor to NULL and
     * d->events to 0 in every dispatcher still added (do not close them),
     * destroy the backend's state, free the table, the buffer and r.
     * NULL does nothing. */
    (void)r;
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

/* Makes slots[fd] exist. New slots are empty (zeroed). */
static int grow_slots(reactor *r, int fd)
{
    /* TODO(step 05, "The table of dispatchers"): like grow_events: double
     * nslots (FIRST_SIZE at first) until fd fits, realloc, and zero the new
     * slots with memset. ENOMEM if realloc fails, and nothing changed. */
    (void)r, (void)fd;
    errno = ENOSYS;
    return -1;
}

int reactor_add(reactor *r, struct dispatcher *d)
{
    /* TODO(step 05, "The table of dispatchers"): EBADF if d->fd < 0;
     * EEXIST if d is added already (d->reactor) or fd's slot is taken.
     * Then everything that can fail, before anything changes: grow the
     * table to fd and the buffer to count + 1 events, set O_NONBLOCK
     * (fcntl F_GETFL, F_SETFL). Then fill the slot with d and the current
     * turn, count it, set d->reactor, and d->events to 0: the backend
     * learns of d at the next turn. */
    (void)r, (void)d, (void)grow_slots, (void)grow_events;
    errno = ENOSYS;
    return -1;
}

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

int reactor_remove(reactor *r, struct dispatcher *d)
{
    /* TODO(step 05, "The table of dispatchers"): ENOENT unless d is
     * added to r (d->reactor, slot_of). If the backend watches it
     * (d->events), set it from d->events to 0, ignoring an error (keep
     * errno). Empty the slot, uncount it, d->reactor NULL, d->events 0.
     * It must be safe from d's own handlers: it frees nothing. */
    (void)r, (void)d, (void)slot_of;
    errno = ENOSYS;
    return -1;
}

/* The dispatcher that may take this turn's event for fd, or NULL: none,
 * or one added during this turn's dispatch (see the invariants). */
static struct dispatcher *current(const reactor *r, int fd)
{
    /* TODO(step 05, "The table of dispatchers"): NULL if fd is outside
     * the table, its slot is empty, or its dispatcher was added this turn
     * (slot's added == r->turn); otherwise the slot's dispatcher. */
    (void)r, (void)fd;
    return NULL;
}

/* ---- calling the handlers ---- */

static void call_close(struct dispatcher *d)
{
    /* TODO(step 05, "The handlers"): d's handle_close, or by default
     * dispatcher_close(d). */
    (void)d, (void)ops_of;
}

static void call_error(struct dispatcher *d, int err)
{
    /* TODO(step 05, "The handlers"): d's handle_error with err, or by
     * default call_close(d). */
    (void)d, (void)err, (void)call_close;
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

/* What d wants this turn: its predicates, or the defaults of reactor.h. */
static unsigned wanted(struct dispatcher *d)
{
    /* TODO(step 05, "Dispatchers"): REACTOR_READ if readable(d) (without
     * one: accepting or connected), plus REACTOR_WRITE if writable(d)
     * (without one: connecting). */
    (void)d;
    return 0;
}

/* Asks every dispatcher what it wants and tells the backend what changed.
 * A dispatcher whose fd the backend refuses (closed behind our back:
 * EBADF; out of memory) gets handle_error; the others go on. */
static void update_interest(reactor *r)
{
    /* TODO(step 05, "One turn of the loop"): for every fd of the table
     * with a dispatcher d (index r->slots afresh each time: predicates may
     * change the table), compute wanted(d). If d is still there and wants
     * something else than d->events, backend set(fd, d->events, want):
     * on success d->events = want, on failure call_error(d, errno). */
    (void)r, (void)wanted;
}

/* A connect in progress ended: the socket became writable (or hung up).
 * SO_ERROR says how it ended. */
static void finish_connect(struct dispatcher *d)
{
    /* TODO(step 05, "Finishing a connect"): read socket_error; d is no
     * longer connecting. An error: call_error with it. None: d is
     * connected, and handle_connect runs (if there is one). */
    (void)d, (void)socket_error, (void)call_error;
}

/* Runs d's handlers for the events ev reported on fd. After each handler,
 * d may have been removed, or closed and freed: current() tells, without
 * touching d. */
static void dispatch(reactor *r, int fd, struct dispatcher *d, unsigned ev)
{
    /* TODO(step 05, "One turn of the loop"): keep of ev only what d asked
     * for (d->events) and REACTOR_HUP. Then, in this order:
     *   - connecting, and WRITE or HUP: finish_connect, and stop there;
     *   - READ: handle_accept if accepting, else handle_read;
     *   - WRITE: handle_write;
     *   - HUP that came without READ or WRITE: call_error with the
     *     socket_error if there is one, else call_close.
     * After each handler, stop unless current(r, fd) is still d. A NULL
     * handler ignores its event. */
    (void)r, (void)fd, (void)d, (void)ev, (void)finish_connect,
        (void)current;
}

int reactor_poll(reactor *r, int timeout_ms)
{
    /* TODO(step 05, "One turn of the loop"): EBUSY if called from a
     * handler (r->dispatching). update_interest; wait in the backend for
     * at most nevents events; -1 is an error, except EINTR, which is a
     * turn with no event (0). Then r->turn++, and with r->dispatching set,
     * dispatch each event to current(r, fd), skipping fds with none (read
     * r->events[i] afresh each time: a handler may grow the buffer).
     * Return the number of events dispatched. */
    (void)r, (void)timeout_ms, (void)update_interest, (void)dispatch;
    errno = ENOSYS;
    return -1;
}

int reactor_loop(reactor *r, int timeout_ms, int turns)
{
    /* TODO(step 05, "One turn of the loop"): reactor_poll while any
     * dispatcher is added, and at most `turns` times if turns > 0. -1 if
     * a poll fails, else 0. */
    (void)r, (void)timeout_ms, (void)turns;
    errno = ENOSYS;
    return -1;
}

/* ---- asyncore's conveniences ---- */

int dispatcher_socket(struct dispatcher *d, int domain, int type)
{
    /* TODO(step 05, "Dispatchers"): EBUSY if d is added. A socket with
     * SOCK_NONBLOCK | SOCK_CLOEXEC added to type, into d->fd; clear the
     * three flags and d->events. */
    (void)d, (void)domain, (void)type;
    errno = ENOSYS;
    return -1;
}

int dispatcher_listen(struct dispatcher *d, const struct sockaddr *addr,
                      socklen_t len, int backlog)
{
    /* TODO(step 05, "Dispatchers"): bind, listen, and d is accepting. */
    (void)d, (void)addr, (void)len, (void)backlog;
    errno = ENOSYS;
    return -1;
}

int dispatcher_connect(struct dispatcher *d, const struct sockaddr *addr,
                       socklen_t len)
{
    /* TODO(step 05, "Finishing a connect"): connect. 0: d is connected at
     * once. EINPROGRESS (or EINTR: it goes on in the background): d is
     * connecting, return 0. Anything else: -1 with that errno. */
    (void)d, (void)addr, (void)len;
    errno = ENOSYS;
    return -1;
}

int dispatcher_accept(struct dispatcher *d)
{
    /* TODO(step 05, "Dispatchers"): accept4 with SOCK_NONBLOCK |
     * SOCK_CLOEXEC, again on EINTR. ECONNABORTED (reset before we took
     * it) becomes EAGAIN. */
    (void)d;
    errno = ENOSYS;
    return -1;
}

/* At EOF, errno is 0: the peer closed, nothing failed. */
ssize_t dispatcher_recv(struct dispatcher *d, void *buf, size_t len)
{
    /* TODO(step 05, "End of file and errors"): EBADF if d->fd < 0; 0 if
     * len is 0. recv (again on EINTR): > 0 is returned; EAGAIN means 0.
     * Otherwise the connection is over: a recv of 0 is the peer closing
     * (call_close), an error calls call_error; then -1 with errno 0 at
     * EOF or the error. Do not touch d after the call: it may be freed. */
    (void)d, (void)buf, (void)len;
    errno = ENOSYS;
    return -1;
}

ssize_t dispatcher_send(struct dispatcher *d, const void *buf, size_t len)
{
    /* TODO(step 05, "End of file and errors"): EBADF if d->fd < 0. send
     * with MSG_NOSIGNAL (again on EINTR): >= 0 is returned; EAGAIN means
     * 0; any other error: call_error, then -1 with that errno. */
    (void)d, (void)buf, (void)len;
    errno = ENOSYS;
    return -1;
}

void dispatcher_close(struct dispatcher *d)
{
    /* TODO(step 05, "End of file and errors"): keep errno. Remove d from
     * its reactor if it is added (before closing: the fd is the key),
     * close the fd if open, then d->fd = -1 and the three flags false. */
    (void)d;
}
