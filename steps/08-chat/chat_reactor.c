/*
 * chat_reactor.c - the chat server in callback style (chat.h), on the
 * reactor of step 05 alone: no tasklets, no blocking call anywhere.
 *
 * Each connection is a struct conn with a dispatcher. Nothing waits: the
 * reactor calls conn_read when the client sent something, and conn_read
 * feeds the line reader and acts on every complete line; it calls
 * conn_write when the socket has room and the output queue has bytes.
 * Where the blocking server keeps its place in the protocol in its
 * program counter (which loop it is in), this one keeps it in c->state.
 *
 * Invariants:
 *   - c->state says what the connection does next:
 *       NAMING    greeted, its lines are nicks; readable
 *       CHATTING  in the room; readable
 *       FLUSHING  quit or end of stream: out of the room, not readable,
 *                 writing what is queued, then DOOMED
 *       DOOMED    on srv->doomed: closed and freed when the handler that
 *                 doomed it returns (reap). Nothing else is done for it.
 *   - A conn is freed only by reap, at the end of a handler, never in the
 *     middle of one: a broadcast may doom many conns (drop_conn) while
 *     the room walks its list, and a conn's own handler may doom it while
 *     it still has lines to look at. (And by chat_reactor_stop, which
 *     runs outside the server's handlers.)
 *   - srv->doomed is empty whenever no handler of the server runs.
 *   - srv->conns lists every conn not yet freed.
 *
 * Your task (chapters/08-chat.md): every function marked TODO. The types,
 * conn_open and conn_free, the dispatcher tables and the small helpers
 * are written for you.
 */
#define _GNU_SOURCE
#include "chat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "line.h"
#include "outq.h"
#include "proto.h"
#include "reactor.h"
#include "room.h"

enum { SINK = 4096 }; /* what discard_input reads at a time */

/* book: types */
enum conn_state { NAMING, CHATTING, FLUSHING, DOOMED };

struct conn {
    struct room_member m;      /* first: the room's callbacks get &c->m */
    struct dispatcher d;
    chat_reactor *srv;
    enum conn_state state;
    struct line_reader in;
    bool mid_line;             /* the bytes sent so far end inside a line */
    struct conn *prev, *next;  /* srv->conns */
    struct conn *next_doomed;  /* srv->doomed */
};

struct chat_reactor {
    struct dispatcher listener;
    reactor *r;
    struct room room;
    size_t queue_max;
    struct conn *conns;        /* every conn not freed yet */
    struct conn *doomed;       /* to close when the handler returns */
    bool accept_paused;        /* out of fds: wait for a conn to close */
};
/* book: end */

static struct conn *conn_of(struct room_member *m)
{
    return (struct conn *)m; /* m is the first member */
}

static void tell(struct conn *c, const char *text)
{
    room_tell(&c->srv->room, &c->m, text, strlen(text));
}

/* ---- closing, always at the end of a handler ---- */

static void doom(struct conn *c)
{
    /* TODO(step 08, "The callback server and its explicit state"): unless it
     * is DOOMED already: DOOMED, and pushed on srv->doomed (next_doomed). */
    (void)c;
}

/* The room's drop callback: runs inside a broadcast, so it only marks. */
static void drop_conn(struct room_member *m)
{
    /* TODO(step 08, "Why broadcast must never block"): doom the conn of m;
     * nothing more, here in the middle of a broadcast. */
    (void)conn_of(m), (void)doom;
}

/* Drops unread input, without waiting: see chat_tasklets.c. */
static void discard_input(int fd)
{
    char sink[SINK];
    for (int i = 0; i < 16; i++)
        if (recv(fd, sink, sizeof sink, MSG_DONTWAIT) <= 0)
            break;
}

static void conn_free(struct conn *c)
{
    chat_reactor *srv = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    dispatcher_close(&c->d);
    line_free(&c->in);
    room_member_free(&c->m);
    free(c);
    srv->accept_paused = false; /* an fd is free again */
}

/* Closes every doomed conn. Leaving the room tells the others, which may
 * doom more of them: the loop takes those too. */
static void reap(chat_reactor *srv)
{
    /* TODO(step 08, "The callback server and its explicit state"): while
     * srv->doomed holds a conn: take it off, room_leave (which may doom
     * others: the loop takes them too), the farewell if it was dropped (send
     * with MSG_DONTWAIT | MSG_NOSIGNAL, proto_farewell, whatever fits),
     * discard_input, conn_free. */
    (void)srv, (void)discard_input, (void)conn_free;
}

/* Quit, or the end of the stream: out of the room, then write what is
 * queued before closing. */
static void finish(struct conn *c)
{
    /* TODO(step 08, "The callback server and its explicit state"): leave the
     * room, FLUSHING; doom it at once if nothing is queued. */
    (void)c;
}

/* ---- acting on a line: the protocol as a state machine ---- */

static void unknown(struct conn *c, struct proto_command cmd)
{
    char text[PROTO_REPLY_MAX];
    room_tell(&c->srv->room, &c->m, text, proto_unknown(text, cmd));
}

static void name_error(struct conn *c)
{
    tell(c, errno == EEXIST ? PROTO_NICK_TAKEN : PROTO_BAD_NICK);
}

static void on_line(struct conn *c, char *line, size_t len)
{
    /* TODO(step 08, "The callback server and its explicit state"):
     * proto_parse. /quit in any state: tell PROTO_BYE, finish. Unknown
     * commands: the error. NAMING: /who gets PROTO_NICK_FIRST; otherwise
     * "/nick NAME" or the whole line is the nick: room_join, CHATTING if it
     * worked, name_error if not. CHATTING: SAY, NICK (room_rename), WHO. */
    (void)c, (void)line, (void)len, (void)finish, (void)unknown;
    (void)name_error;
}

/* ---- the handlers ---- */

static void conn_read(struct dispatcher *d)
{
    /* TODO(step 08, "The callback server and its explicit state"):
     * dispatcher_recv into line_space (-1: conn_eof or conn_error ran, c may
     * be gone; 0: nothing after all). line_fill, then every complete line
     * while the conn is NAMING or CHATTING: PROTO_TOO_LONG for a line too
     * long, else proto_clean and on_line. Last of all, reap (with srv saved
     * before: c may be gone). */
    (void)d, (void)on_line, (void)reap, (void)tell;
}

static void conn_write(struct dispatcher *d)
{
    /* TODO(step 08, "The callback server and its explicit state"):
     * dispatcher_send the piece outq_peek shows (-1: conn_error ran; return).
     * Consume what went, note mid_line. FLUSHING and empty now: doom. Then
     * reap. */
    (void)d;
}

static bool conn_readable(struct dispatcher *d)
{
    /* TODO(step 08, "The callback server and its explicit state"): only while
     * NAMING or CHATTING. */
    (void)d;
    return false;
}

static bool conn_writable(struct dispatcher *d)
{
    /* TODO(step 08, "The callback server and its explicit state"): while
     * something is queued, unless DOOMED. */
    (void)d;
    return false;
}

/* The client closed: it may still read what is queued for it. */
static void conn_eof(struct dispatcher *d)
{
    /* TODO(step 08, "The callback server and its explicit state"): NAMING or
     * CHATTING: finish (it may still read what is queued); otherwise doom.
     * Reap. */
    (void)d;
}

static void conn_error(struct dispatcher *d, int err)
{
    /* TODO(step 08, "The callback server and its explicit state"): doom, and
     * reap. */
    (void)d, (void)err;
}

static const struct dispatcher_ops conn_ops = {
    .readable = conn_readable,
    .writable = conn_writable,
    .handle_read = conn_read,
    .handle_write = conn_write,
    .handle_close = conn_eof,
    .handle_error = conn_error,
};

static int conn_open(chat_reactor *srv, int fd)
{
    struct conn *c = calloc(1, sizeof *c);
    if (c == NULL)
        return -1;
    room_member_init(&c->m, srv->queue_max);
    if (line_init(&c->in, CHAT_LINE_MAX) < 0) {
        free(c);
        return -1;
    }
    c->srv = srv;
    c->state = NAMING;
    c->d = (struct dispatcher){.fd = fd, .ops = &conn_ops, .data = c,
                               .connected = true};
    if (reactor_add(srv->r, &c->d) < 0) {
        line_free(&c->in);
        free(c);
        return -1;
    }
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    tell(c, PROTO_WELCOME);
    return 0;
}

static void server_accept(struct dispatcher *d)
{
    /* TODO(step 08, "The callback server and its explicit state"):
     * dispatcher_accept until it fails; conn_open each (close the fd if that
     * fails). ECONNABORTED, EINTR, EPROTO, EPERM: that one gave up, go on.
     * EMFILE, ENFILE, ENOBUFS, ENOMEM with conns open: accept_paused
     * (conn_free clears it). EAGAIN: nobody else waits; return. */
    (void)d, (void)conn_open;
}

static bool server_readable(struct dispatcher *d)
{
    chat_reactor *srv = d->data;
    return !srv->accept_paused;
}

static const struct dispatcher_ops server_ops = {
    .readable = server_readable,
    .handle_accept = server_accept,
};

chat_reactor *chat_reactor_start(reactor *r, int listen_fd,
                                 const struct chat_config *cfg)
{
    /* TODO(step 08, "The callback server and its explicit state"): the queue's
     * bound (0 or no cfg: CHAT_QUEUE_MAX; under CHAT_QUEUE_MIN: EINVAL),
     * calloc the server, room_init with drop_conn, and reactor_add a listener
     * dispatcher (accepting, server_ops, data = the server) on listen_fd. Undo
     * and return NULL with errno if anything fails. */
    (void)r, (void)listen_fd, (void)cfg, (void)server_ops, (void)drop_conn;
    errno = ENOSYS;
    return NULL;
}

void chat_reactor_stop(chat_reactor *srv)
{
    /* TODO(step 08, "The callback server and its explicit state"): room_close
     * (nobody to tell), conn_free every conn, reactor_remove the listener (its
     * fd is the caller's), free. */
    (void)srv;
}
