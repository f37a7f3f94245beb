/*
 * reactor_backend.h - the small fixed interface between the reactor and
 * the system call it waits in. One file per backend: reactor_epoll.c,
 * reactor_poll.c. A backend knows nothing of dispatchers, only of file
 * descriptors and the events wanted on each.
 *
 * Errors: functions return -1 and set errno.
 */
#ifndef REACTOR_BACKEND_H
#define REACTOR_BACKEND_H

enum {
    REACTOR_READ = 1,  /* ready to read or accept */
    REACTOR_WRITE = 2, /* ready to write, or a connect finished */
    REACTOR_HUP = 4,   /* hung up or failed (reported, never asked for) */
};

struct reactor_event {
    int fd;
    unsigned events;
};

struct reactor_backend {
    const char *name;
    void *(*create)(void);
    void (*destroy)(void *state);
    /* Changes what fd is watched for from old to new; 0 means not watched,
     * so (0 -> x) adds fd and (x -> 0) removes it. */
    int (*set)(void *state, int fd, unsigned old_events, unsigned new_events);
    /* Waits at most timeout_ms for events; fills at most max of them. */
    int (*wait)(void *state, struct reactor_event *out, int max, int timeout_ms);
};

extern const struct reactor_backend reactor_backend_epoll;
extern const struct reactor_backend reactor_backend_poll;

#endif
