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
 */
#define _GNU_SOURCE
#include "reactor_backend.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

struct epoll_state {
    int epfd;                  /* the kernel's watch list */
    struct epoll_event *ready; /* what epoll_wait fills in */
    int cap;
};

static uint32_t to_epoll(unsigned events)
{
    return (events & REACTOR_READ ? EPOLLIN : 0) |
           (events & REACTOR_WRITE ? EPOLLOUT : 0);
}

static unsigned from_epoll(uint32_t ev)
{
    /* EPOLLERR and EPOLLHUP come whether asked for or not. */
    return (ev & EPOLLIN ? REACTOR_READ : 0) |
           (ev & EPOLLOUT ? REACTOR_WRITE : 0) |
           (ev & (EPOLLERR | EPOLLHUP) ? REACTOR_HUP : 0);
}

static void *backend_create(void)
{
    struct epoll_state *s = malloc(sizeof *s);
    if (s == NULL)
        return NULL;
    s->cap = 64;
    s->ready = malloc((size_t)s->cap * sizeof *s->ready);
    if (s->ready == NULL)
        goto fail_state;
    /* CLOEXEC: a program that runs another one must not leak this fd. */
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0)
        goto fail_ready;
    return s;

fail_ready:
    free(s->ready);
fail_state:
    free(s); /* free leaves errno alone: the caller sees epoll's error */
    return NULL;
}

static void backend_destroy(void *state)
{
    struct epoll_state *s = state;
    close(s->epfd);
    free(s->ready);
    free(s);
}

/* book: epoll-set */
static int backend_set(void *state, int fd, unsigned old_events,
                       unsigned new_events)
{
    struct epoll_state *s = state;
    /* data.fd comes back with each event: that is how we find the fd. */
    struct epoll_event ev = {.events = to_epoll(new_events), .data.fd = fd};
    int op;
    if (old_events == 0 && new_events == 0)
        return 0; /* not watched, and not to be */
    else if (old_events == 0)
        op = EPOLL_CTL_ADD;
    else if (new_events == 0)
        op = EPOLL_CTL_DEL; /* ignores ev; kernels before 2.6.9 wanted one */
    else
        op = EPOLL_CTL_MOD;
    return epoll_ctl(s->epfd, op, fd, &ev);
}
/* book: end */

/* book: epoll-wait */
static int backend_wait(void *state, struct reactor_event *out, int max,
                        int timeout_ms)
{
    struct epoll_state *s = state;
    if (max > s->cap) {
        struct epoll_event *grown = realloc(s->ready, (size_t)max * sizeof *grown);
        if (grown != NULL) {
            s->ready = grown;
            s->cap = max;
        }
        /* Out of memory: ask for fewer. The ones left out are still ready
         * at the next wait (level-triggered), so nothing is lost. */
    }
    if (max > s->cap)
        max = s->cap;
    int n = epoll_wait(s->epfd, s->ready, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        out[i].fd = s->ready[i].data.fd;
        out[i].events = from_epoll(s->ready[i].events);
    }
    return n; /* -1 with errno (EINTR when a signal came) */
}
/* book: end */

const struct reactor_backend reactor_backend_epoll = {
    .name = "epoll",
    .create = backend_create,
    .destroy = backend_destroy,
    .set = backend_set,
    .wait = backend_wait,
};
