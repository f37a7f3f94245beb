/*
 * reactor_epoll.c - the epoll backend (Linux).
 *
 * The kernel keeps the set of watched fds: set() changes it with one
 * epoll_ctl, and a wait costs in proportion to the fds that are ready,
 * not to those watched. That is why it is the default.
 *
 * Level-triggered (no EPOLLET): an fd that is still readable after a
 * handler ran is reported again at the next wait. The reactor relies on
 * it: a handler may read only part of what is there, and a dispatcher
 * that said "not readable" this turn hears about the data when it says
 * "readable" again.
 *
 * EPOLLRDHUP (the peer shut down its writing side) is not asked for: the
 * same event makes the socket readable, and the read that returns 0 is
 * how the reactor learns of it, on both backends alike.
 *
 * Invariant: ready has room for cap events; a wait asks for at most cap.
 *
 * Your task (chapters/05-reactor.md, "epoll and poll"): every function
 * marked TODO.
 */
#define _GNU_SOURCE
#include "reactor_backend.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

/* book: epoll-state */
struct epoll_state {
    int epfd;                  /* the kernel's watch list */
    struct epoll_event *ready; /* what epoll_wait fills in */
    int cap;
};
/* book: end */

static uint32_t to_epoll(unsigned events)
{
    /* TODO(step 05, "epoll and poll"): REACTOR_READ is EPOLLIN,
     * REACTOR_WRITE is EPOLLOUT. */
    (void)events;
    return 0;
}

static unsigned from_epoll(uint32_t ev)
{
    /* TODO(step 05, "epoll and poll"): EPOLLIN is REACTOR_READ, EPOLLOUT
     * REACTOR_WRITE, and EPOLLERR or EPOLLHUP (which come unasked)
     * REACTOR_HUP. */
    (void)ev;
    return 0;
}

static void *backend_create(void)
{
    /* TODO(step 05, "epoll and poll"): malloc the state and a ready
     * buffer of 64 events, then epoll_create1(EPOLL_CLOEXEC). Undo what
     * was done when a later step fails (goto), and return NULL with its
     * errno. */
    errno = ENOSYS;
    return NULL;
}

static void backend_destroy(void *state)
{
    /* TODO(step 05, "epoll and poll"): close the epoll fd, free both. */
    (void)state;
}

static int backend_set(void *state, int fd, unsigned old_events,
                       unsigned new_events)
{
    /* TODO(step 05, "epoll and poll"): nothing to do from 0 to 0. Else
     * epoll_ctl with EPOLL_CTL_ADD (old 0), EPOLL_CTL_DEL (new 0) or
     * EPOLL_CTL_MOD, and an event of to_epoll(new_events) whose data.fd
     * is fd: each ready event brings it back. */
    (void)state, (void)fd, (void)old_events, (void)new_events,
        (void)to_epoll;
    errno = ENOSYS;
    return -1;
}

static int backend_wait(void *state, struct reactor_event *out, int max,
                        int timeout_ms)
{
    /* TODO(step 05, "epoll and poll"): grow the ready buffer to max (if
     * realloc fails, ask for cap instead: level-triggered, the rest come
     * next time), epoll_wait, and translate each event into out (fd from
     * data.fd, events from from_epoll). Return what epoll_wait did. */
    (void)state, (void)out, (void)max, (void)timeout_ms, (void)from_epoll;
    errno = ENOSYS;
    return -1;
}

const struct reactor_backend reactor_backend_epoll = {
    .name = "epoll",
    .create = backend_create,
    .destroy = backend_destroy,
    .set = backend_set,
    .wait = backend_wait,
};
