/*
 * reactor.h - an asyncore-style dispatcher: one object per socket, asked
 * what it wants (readable? writable?) and called back when it can.
 *
 * A dispatcher is a struct the program embeds in its own per-connection
 * state, with a table of callbacks. The reactor's loop asks every
 * dispatcher's predicates, waits until some socket is ready (or the
 * timeout passes), and calls the matching handlers:
 *
 *   ready to read,  accepting    -> handle_accept
 *   ready to read,  connected    -> handle_read
 *   ready to write, connecting   -> handle_connect, or handle_error with
 *                                   the connect's error (ECONNREFUSED, ...)
 *   ready to write, connected    -> handle_write
 *   hung up or failed            -> handle_error, or handle_close when the
 *                                   peer simply closed
 *
 * A hang-up that comes with readiness to read or write goes to that
 * handler instead: its own recv or send then meets the end of the stream
 * or the error (ECONNRESET), which reading SO_ERROR here would consume.
 *
 * The struct dispatcher is public on purpose: its flags (accepting,
 * connecting, connected) are the state a callback program must track by
 * hand, which is the lesson of this step. The reactor itself is opaque.
 *
 * How the reactor waits is a backend (reactor_backend.h): epoll or poll.
 *
 * Errors: functions return -1 and set errno. Callbacks run on the thread
 * that called reactor_poll and must not block.
 */
#ifndef REACTOR_H
#define REACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

typedef struct reactor reactor;
struct dispatcher;

/* Every callback may be NULL. Without readable, a dispatcher is readable
 * while accepting or connected; without writable, it is writable only
 * while connecting. A missing handler ignores its event, except
 * handle_close, whose default closes the dispatcher, and handle_error,
 * whose default calls handle_close. */
struct dispatcher_ops {
    bool (*readable)(struct dispatcher *d);
    bool (*writable)(struct dispatcher *d);
    void (*handle_accept)(struct dispatcher *d);
    void (*handle_connect)(struct dispatcher *d);
    void (*handle_read)(struct dispatcher *d);
    void (*handle_write)(struct dispatcher *d);
    void (*handle_close)(struct dispatcher *d);
    void (*handle_error)(struct dispatcher *d, int err);
};

struct dispatcher {
    int fd;                            /* non-blocking; -1 once closed */
    const struct dispatcher_ops *ops;
    void *data;                        /* the program's own */
    bool accepting;                    /* a listening socket */
    bool connecting;                   /* connect() in progress */
    bool connected;
    reactor *reactor;                  /* NULL when not added */
    unsigned events;                   /* what the backend watches now */
};

/* backend: "epoll", "poll", or NULL for the best one available. Returns
 * NULL with errno EINVAL for an unknown name, or what the backend set. */
reactor *reactor_create(const char *backend);

/* Dispatchers still added are removed, not closed. */
void reactor_destroy(reactor *r);

const char *reactor_backend_name(const reactor *r);

/* Starts watching d->fd. The fd is made non-blocking. EEXIST if the fd
 * is already watched. */
int reactor_add(reactor *r, struct dispatcher *d);

/* Stops watching d. Safe from inside d's own callbacks. */
int reactor_remove(reactor *r, struct dispatcher *d);

/* The number of dispatchers added. */
size_t reactor_count(const reactor *r);

/* One turn: ask the predicates, wait at most timeout_ms (-1: no limit, 0:
 * do not wait), run the handlers. Returns the number of events handled,
 * or -1 with errno (EINTR is not an error: it returns 0). */
int reactor_poll(reactor *r, int timeout_ms);

/* Turns until no dispatcher is left, or `turns` turns when turns > 0.
 * (asyncore.loop) */
int reactor_loop(reactor *r, int timeout_ms, int turns);

/* ---- asyncore's conveniences, for handlers ---- */

/* Creates a non-blocking socket in d (d->fd), unadded. */
int dispatcher_socket(struct dispatcher *d, int domain, int type);

/* Binds and listens; d becomes accepting. */
int dispatcher_listen(struct dispatcher *d, const struct sockaddr *addr,
                      socklen_t len, int backlog);

/* Starts a non-blocking connect; d becomes connecting (or connected at
 * once). An immediate failure is returned as -1 with errno. */
int dispatcher_connect(struct dispatcher *d, const struct sockaddr *addr,
                       socklen_t len);

/* Accepts one connection: the new fd (non-blocking), or -1 with errno
 * EAGAIN when there is none after all. */
int dispatcher_accept(struct dispatcher *d);

/* Reads what is there: > 0 bytes read; 0 when nothing is available now;
 * -1 once the peer has closed or an error happened, after calling
 * handle_close (or handle_error) on d. */
ssize_t dispatcher_recv(struct dispatcher *d, void *buf, size_t len);

/* Writes what fits: the bytes written (0 if none fit now), or -1 after
 * calling handle_error / handle_close on d. */
ssize_t dispatcher_send(struct dispatcher *d, const void *buf, size_t len);

/* Removes d from its reactor and closes its fd. */
void dispatcher_close(struct dispatcher *d);

#endif
