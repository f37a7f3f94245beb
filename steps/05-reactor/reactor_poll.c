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
 *
 * Your task (chapters/05-reactor.md, "epoll and poll"): every function
 * marked TODO.
 */
#define _GNU_SOURCE
#include "reactor_backend.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* book: poll-state */
struct poll_state {
    struct pollfd *fds; /* what poll() gets: fds[0..nfds) */
    size_t nfds, cap;
    int *index;         /* index[fd]: fd's place in fds, or -1 */
    size_t nindex;
};
/* book: end */

enum { FIRST_SIZE = 64 };

static short to_poll(unsigned events)
{
    /* TODO(step 05, "epoll and poll"): REACTOR_READ is POLLIN,
     * REACTOR_WRITE is POLLOUT. */
    (void)events;
    return 0;
}

static unsigned from_poll(short revents)
{
    /* TODO(step 05, "epoll and poll"): POLLIN is REACTOR_READ, POLLOUT
     * REACTOR_WRITE; POLLERR, POLLHUP and POLLNVAL (which come unasked)
     * are REACTOR_HUP. */
    (void)revents;
    return 0;
}

static void *backend_create(void)
{
    /* TODO(step 05, "epoll and poll"): calloc the state, malloc fds and
     * index with FIRST_SIZE entries each, every index entry -1 (memset
     * with 0xff). Undo what was done when a later step fails (goto). */
    errno = ENOSYS;
    return NULL;
}

static void backend_destroy(void *state)
{
    /* TODO(step 05, "epoll and poll"): free the arrays and the state. */
    (void)state;
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

/* Makes index[fd] exist; new entries are -1. */
static int grow_index(struct poll_state *s, int fd)
{
    /* TODO(step 05, "epoll and poll"): double nindex until fd fits,
     * realloc, and set the new entries to -1. ENOMEM on failure. */
    (void)s, (void)fd;
    errno = ENOSYS;
    return -1;
}

static int backend_set(void *state, int fd, unsigned old_events,
                       unsigned new_events)
{
    /* TODO(step 05, "epoll and poll"): EBADF for fd < 0; nothing to do
     * from 0 to 0. Look up at = index[fd] (-1 beyond the array).
     *   - add (old 0): EEXIST if at >= 0; grow index and fds; append a
     *     pollfd with to_poll(new_events); index[fd] = its position.
     *   - otherwise ENOENT if at < 0;
     *   - change (new != 0): update fds[at].events;
     *   - remove (new 0): the last entry moves into the hole at `at`; fix
     *     the moved entry's index, then index[fd] = -1 (in that order: the
     *     last entry may be this very fd). */
    (void)state, (void)fd, (void)old_events, (void)new_events,
        (void)to_poll, (void)grow_fds, (void)grow_index;
    errno = ENOSYS;
    return -1;
}

static int backend_wait(void *state, struct reactor_event *out, int max,
                        int timeout_ms)
{
    /* TODO(step 05, "epoll and poll"): poll(fds, nfds, timeout_ms); 0 or
     * -1 are returned as they are. Else poll marked that many entries:
     * walk fds and copy each entry with revents into out (fd, and
     * from_poll(revents)), stopping once you found them all, or max. */
    (void)state, (void)out, (void)max, (void)timeout_ms, (void)from_poll;
    errno = ENOSYS;
    return -1;
}

const struct reactor_backend reactor_backend_poll = {
    .name = "poll",
    .create = backend_create,
    .destroy = backend_destroy,
    .set = backend_set,
    .wait = backend_wait,
};
