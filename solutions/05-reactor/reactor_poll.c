/*
 * reactor_poll.c - the poll backend (POSIX).
 *
 * poll() keeps nothing between calls: the whole list of watched fds goes
 * to the kernel at every wait, and the kernel looks at each one, ready or
 * not. A wait costs in proportion to the fds watched. It runs anywhere
 * POSIX does, and it is the easiest backend to read.
 *
 * Invariants:
 *   - fds[0..nfds) are the watched fds, in no particular order, each once.
 *   - index[fd] is fd's position in fds, or -1 when fd is not watched;
 *     index has nindex entries, and an fd beyond them is not watched.
 * Removing swaps the last entry into the hole, so fds stays dense and a
 * removal costs O(1): that is what index is for.
 */
#define _GNU_SOURCE
#include "reactor_backend.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

struct poll_state {
    struct pollfd *fds; /* what poll() gets: fds[0..nfds) */
    size_t nfds, cap;
    int *index;         /* index[fd]: fd's place in fds, or -1 */
    size_t nindex;
};

enum { FIRST_SIZE = 64 };

static short to_poll(unsigned events)
{
    return (short)((events & REACTOR_READ ? POLLIN : 0) |
                   (events & REACTOR_WRITE ? POLLOUT : 0));
}

static unsigned from_poll(short revents)
{
    /* POLLERR, POLLHUP and POLLNVAL (not an open fd) come unasked. */
    return (revents & POLLIN ? REACTOR_READ : 0) |
           (revents & POLLOUT ? REACTOR_WRITE : 0) |
           (revents & (POLLERR | POLLHUP | POLLNVAL) ? REACTOR_HUP : 0);
}

static void *backend_create(void)
{
    struct poll_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->fds = malloc(FIRST_SIZE * sizeof *s->fds);
    if (s->fds == NULL)
        goto fail_state;
    s->cap = FIRST_SIZE;
    s->index = malloc(FIRST_SIZE * sizeof *s->index);
    if (s->index == NULL)
        goto fail_fds;
    s->nindex = FIRST_SIZE;
    memset(s->index, 0xff, FIRST_SIZE * sizeof *s->index); /* all -1 */
    return s;

fail_fds:
    free(s->fds);
fail_state:
    free(s);
    return NULL;
}

static void backend_destroy(void *state)
{
    struct poll_state *s = state;
    free(s->fds);
    free(s->index);
    free(s);
}

/* Makes index[fd] exist; new entries are -1. */
static int grow_index(struct poll_state *s, int fd)
{
    if ((size_t)fd < s->nindex)
        return 0;
    size_t n = s->nindex * 2;
    while (n <= (size_t)fd)
        n *= 2;
    int *grown = realloc(s->index, n * sizeof *grown);
    if (grown == NULL) {
        errno = ENOMEM;
        return -1;
    }
    memset(grown + s->nindex, 0xff, (n - s->nindex) * sizeof *grown);
    s->index = grown;
    s->nindex = n;
    return 0;
}

/* Makes room for one more pollfd. */
static int grow_fds(struct poll_state *s)
{
    if (s->nfds < s->cap)
        return 0;
    struct pollfd *grown = realloc(s->fds, 2 * s->cap * sizeof *grown);
    if (grown == NULL) {
        errno = ENOMEM;
        return -1;
    }
    s->fds = grown;
    s->cap *= 2;
    return 0;
}

/* book: poll-set */
static int backend_set(void *state, int fd, unsigned old_events,
                       unsigned new_events)
{
    struct poll_state *s = state;
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    int at = (size_t)fd < s->nindex ? s->index[fd] : -1;
    if (old_events == 0 && new_events == 0)
        return 0;
    if (old_events == 0) { /* add: the errors epoll_ctl would give */
        if (at >= 0) {
            errno = EEXIST;
            return -1;
        }
        if (grow_index(s, fd) < 0 || grow_fds(s) < 0)
            return -1;
        s->fds[s->nfds] = (struct pollfd){.fd = fd, .events = to_poll(new_events)};
        s->index[fd] = (int)s->nfds++;
        return 0;
    }
    if (at < 0) {
        errno = ENOENT;
        return -1;
    }
    if (new_events != 0) { /* change */
        s->fds[at].events = to_poll(new_events);
        return 0;
    }
    /* remove: the last entry fills the hole (it may be this one) */
    s->fds[at] = s->fds[--s->nfds];
    s->index[s->fds[at].fd] = at;
    s->index[fd] = -1;
    return 0;
}
/* book: end */

/* book: poll-wait */
static int backend_wait(void *state, struct reactor_event *out, int max,
                        int timeout_ms)
{
    struct poll_state *s = state;
    int ready = poll(s->fds, s->nfds, timeout_ms);
    if (ready <= 0)
        return ready; /* 0: the timeout passed; -1 with errno (EINTR) */
    /* poll marked `ready` entries somewhere in fds: find them, which
     * means looking at every watched fd. The reactor passes max >= nfds,
     * so none is left out (if one were, the last fds could starve). */
    int n = 0;
    for (size_t i = 0; i < s->nfds && n < ready && n < max; i++) {
        if (s->fds[i].revents == 0)
            continue;
        out[n].fd = s->fds[i].fd;
        out[n].events = from_poll(s->fds[i].revents);
        n++;
    }
    return n;
}
/* book: end */

const struct reactor_backend reactor_backend_poll = {
    .name = "poll",
    .create = backend_create,
    .destroy = backend_destroy,
    .set = backend_set,
    .wait = backend_wait,
};
