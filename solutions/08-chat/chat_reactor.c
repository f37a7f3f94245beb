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

static struct conn *conn_of(struct room_member *m)
{
    return (struct conn *)m; /* m is the first member */
}

static void tell(struct conn *c, const char *text)
{
    room_tell(&c->srv->room, &c->m, text, strlen(text));
}

/* ---- closing, always at the end of a handler ---- */

/* book: doom */
static void doom(struct conn *c)
{
    if (c->state == DOOMED)
        return;
    c->state = DOOMED;
    c->next_doomed = c->srv->doomed;
    c->srv->doomed = c;
}

/* The room's drop callback: runs inside a broadcast, so it only marks. */
static void drop_conn(struct room_member *m)
{
    doom(conn_of(m));
}
/* book: end */

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

/* book: reap */
/* Closes every doomed conn. Leaving the room tells the others, which may
 * doom more of them: the loop takes those too. */
static void reap(chat_reactor *srv)
{
    while (srv->doomed != NULL) {
        struct conn *c = srv->doomed;
        srv->doomed = c->next_doomed;
        room_leave(&srv->room, &c->m); /* "left", or "dropped" */
        if (c->m.dropped) {            /* last words, if they fit now */
            size_t n;
            const char *text = proto_farewell(c->mid_line, &n);
            send(c->d.fd, text, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        discard_input(c->d.fd);
        conn_free(c);
    }
}
/* book: end */

/* Quit, or the end of the stream: out of the room, then write what is
 * queued before closing. */
static void finish(struct conn *c)
{
    room_leave(&c->srv->room, &c->m);
    c->state = FLUSHING;
    if (outq_empty(&c->m.out))
        doom(c);
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

/* book: on-line */
static void on_line(struct conn *c, char *line, size_t len)
{
    struct room *room = &c->srv->room;
    struct proto_command cmd = proto_parse(line, len);
    if (cmd.kind == PROTO_QUIT) {
        tell(c, PROTO_BYE);
        finish(c);
        return;
    }
    if (cmd.kind == PROTO_UNKNOWN) {
        unknown(c, cmd);
        return;
    }
    if (c->state == NAMING) {
        if (cmd.kind == PROTO_WHO) {
            tell(c, PROTO_NICK_FIRST);
            return;
        }
        /* "/nick NAME", or else the whole line is the nick */
        const char *name = cmd.kind == PROTO_NICK ? cmd.arg : line;
        size_t n = cmd.kind == PROTO_NICK ? cmd.len : len;
        if (room_join(room, &c->m, name, n) < 0)
            name_error(c);
        else
            c->state = CHATTING;
        return;
    }
    switch (cmd.kind) { /* CHATTING */
    case PROTO_SAY:
        room_say(room, &c->m, cmd.arg, cmd.len);
        break;
    case PROTO_NICK:
        if (room_rename(room, &c->m, cmd.arg, cmd.len) < 0)
            name_error(c);
        break;
    case PROTO_WHO:
        room_who(room, &c->m);
        break;
    default: /* PROTO_EMPTY; QUIT and UNKNOWN were handled above */
        break;
    }
}
/* book: end */

/* ---- the handlers ---- */

/* book: read */
static void conn_read(struct dispatcher *d)
{
    struct conn *c = d->data;
    chat_reactor *srv = c->srv;
    size_t room;
    char *p = line_space(&c->in, &room);
    ssize_t n = dispatcher_recv(d, p, room);
    if (n > 0) {
        line_fill(&c->in, (size_t)n);
        char *line;
        size_t len;
        /* Every complete line, while the conn still reads: a /quit or a
         * drop ends it, and the lines after are never looked at. */
        while (c->state == NAMING || c->state == CHATTING) {
            enum line_status st = line_next(&c->in, &line, &len);
            if (st == LINE_MORE)
                break;
            if (st == LINE_TOO_LONG) {
                tell(c, PROTO_TOO_LONG);
                continue;
            }
            proto_clean(line, len);
            on_line(c, line, len);
        }
    }
    /* n == -1: conn_eof or conn_error ran, and c may be gone. */
    reap(srv);
}
/* book: end */

/* book: write */
static void conn_write(struct dispatcher *d)
{
    struct conn *c = d->data;
    chat_reactor *srv = c->srv;
    size_t n;
    const char *p = outq_peek(&c->m.out, &n);
    ssize_t sent = dispatcher_send(d, p, n);
    if (sent < 0)
        return; /* conn_error ran, and reaped c */
    if (sent > 0) {
        c->mid_line = p[sent - 1] != '\n';
        outq_consume(&c->m.out, (size_t)sent);
    }
    if (c->state == FLUSHING && outq_empty(&c->m.out))
        doom(c);
    reap(srv);
}
/* book: end */

static bool conn_readable(struct dispatcher *d)
{
    struct conn *c = d->data;
    return c->state == NAMING || c->state == CHATTING;
}

static bool conn_writable(struct dispatcher *d)
{
    struct conn *c = d->data;
    return c->state != DOOMED && !outq_empty(&c->m.out);
}

/* The client closed: it may still read what is queued for it. */
static void conn_eof(struct dispatcher *d)
{
    struct conn *c = d->data;
    chat_reactor *srv = c->srv;
    if (c->state == NAMING || c->state == CHATTING)
        finish(c);
    else
        doom(c);
    reap(srv);
}

static void conn_error(struct dispatcher *d, int err)
{
    (void)err; /* a reset, a broken pipe: the connection is over */
    struct conn *c = d->data;
    chat_reactor *srv = c->srv;
    doom(c);
    reap(srv);
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

/* book: accept */
static void server_accept(struct dispatcher *d)
{
    chat_reactor *srv = d->data;
    for (;;) {
        int fd = dispatcher_accept(d);
        if (fd >= 0) {
            if (conn_open(srv, fd) < 0)
                close(fd);
            continue;
        }
        if (errno == ECONNABORTED || errno == EINTR || errno == EPROTO ||
            errno == EPERM)
            continue; /* that client gave up: take the next */
        if ((errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
             errno == ENOMEM) && srv->conns != NULL)
            srv->accept_paused = true; /* until a conn closes (conn_free) */
        return; /* EAGAIN: nobody else waits */
    }
}
/* book: end */

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
    size_t queue_max = cfg && cfg->queue_max ? cfg->queue_max
                                             : CHAT_QUEUE_MAX;
    if (queue_max < CHAT_QUEUE_MIN) {
        errno = EINVAL;
        return NULL;
    }
    chat_reactor *srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    srv->r = r;
    srv->queue_max = queue_max;
    room_init(&srv->room, NULL, drop_conn);
    srv->listener = (struct dispatcher){.fd = listen_fd, .ops = &server_ops,
                                        .data = srv, .accepting = true};
    if (reactor_add(r, &srv->listener) < 0) {
        int err = errno;
        free(srv);
        errno = err;
        return NULL;
    }
    return srv;
}

void chat_reactor_stop(chat_reactor *srv)
{
    room_close(&srv->room); /* nobody to tell: everyone goes */
    while (srv->conns != NULL)
        conn_free(srv->conns);
    reactor_remove(srv->r, &srv->listener);
    free(srv);
}
