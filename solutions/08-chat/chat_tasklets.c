/*
 * chat_tasklets.c - the chat server in blocking style (chat.h): one
 * tasklet per connection, running the protocol as plain sequential code
 * on the sockets of step 06.
 *
 * A connection is a session with two tasklets. The reader reads a line,
 * acts on it, and reads the next; it never writes to the socket. What the
 * client is to receive, its own replies and everyone's broadcasts, goes
 * into its bounded output queue (room.h, outq.h), and the writer tasklet
 * drains that queue into the socket. The writer may park in a send for as
 * long as the client does not read; the reader, and everyone else, never
 * waits for it. When the queue is empty, the writer waits on its channel,
 * `wake`, and whoever queues something wakes it there.
 *
 * Invariants:
 *   - Nothing that runs inside a broadcast switches tasklets: the wake
 *     channels prefer senders (preference 1), so waking a writer only
 *     makes it runnable, and tasklet_cancel never switches. So a broadcast
 *     walks the room's list while nobody else can change it.
 *   - Only the writer writes to the socket; only the reader reads it and,
 *     last of all, closes it and frees the session.
 *   - The reader frees the session only after the writer has finished
 *     (writer_done); once writer_done is set, nobody touches the writer's
 *     handle, which dies with it.
 *   - srv->sessions lists every session whose reader has not finished;
 *     nsessions counts them, and serve returns only once it is 0.
 */
#define _GNU_SOURCE
#include "chat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "chan.h"
#include "line.h"
#include "outq.h"
#include "proto.h"
#include "room.h"
#include "sock.h"
#include "tasklet.h"

enum { CHUNK = 4096 }; /* the most the writer sends in one call */

struct server {
    struct room room;
    size_t queue_max;
    struct session *sessions; /* every session not finished yet */
    size_t nsessions;
    chan *ended;              /* serve waits here for sessions to end */
};

struct session {
    struct room_member m;     /* first: the room's callbacks get &s->m */
    struct server *srv;
    int fd;
    struct line_reader in;
    tasklet *reader, *writer;
    chan *wake;               /* the writer waits here for output */
    chan *done;               /* the reader waits here for the writer */
    bool writer_done;         /* the writer has finished for good */
    bool mid_line;            /* the bytes sent so far end inside a line */
    struct session *prev, *next;
};

static struct session *session_of(struct room_member *m)
{
    return (struct session *)m; /* m is the first member */
}

static void tell(struct session *s, const char *text)
{
    room_tell(&s->srv->room, &s->m, text, strlen(text));
}

/* ---- the room's callbacks: they run inside a broadcast ---- */

/* book: callbacks */
static void wake_writer(struct room_member *m)
{
    struct session *s = session_of(m);
    if (chan_balance(s->wake) < 0) /* it waits for output: no blocking */
        chan_send(s->wake, NULL);
}

static void drop_session(struct room_member *m)
{
    /* Its reader's blocking call (or its next one) fails with ECANCELED,
     * and the reader ends the session. */
    tasklet_cancel(session_of(m)->reader);
}
/* book: end */

/* The last words to a dropped client, if its socket takes them now. */
static void farewell(struct session *s)
{
    size_t n;
    const char *text = proto_farewell(s->mid_line, &n);
    outq_clear(&s->m.out);
    sock_send(s->fd, text, n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* book: writer */
static void writer(void *arg)
{
    struct session *s = arg;
    char chunk[CHUNK];
    while (!s->m.dropped) {
        size_t n;
        const char *p = outq_peek(&s->m.out, &n);
        if (n == 0) {
            if (chan_receive(s->wake, NULL) < 0)
                break; /* closed (the reader is done) or cancelled */
            continue;
        }
        /* Send a copy: while we park in the send, others push, and a push
         * may move the queue's buffer. The bytes stay queued, and count
         * against the bound, until the kernel has taken them. */
        if (n > sizeof chunk)
            n = sizeof chunk;
        memcpy(chunk, p, n);
        ssize_t sent = sock_send(s->fd, chunk, n, MSG_NOSIGNAL);
        if (sent > 0) {
            outq_consume(&s->m.out, (size_t)sent);
            s->mid_line = chunk[sent - 1] != '\n';
        }
        if (sent < (ssize_t)n)
            break; /* the client is gone, or we were cancelled */
    }
    if (s->m.dropped)
        farewell(s);
    s->writer_done = true;
    if (chan_balance(s->done) < 0) /* the reader waits for us */
        chan_send(s->done, NULL);
}
/* book: end */

/* book: read-line */
/* The next line from the client: 1 with *line and *len, 0 at the end of
 * the stream, -1 with errno on an error or a cancellation. A line too
 * long is answered here, and the loop goes on with the next one. */
static int read_line(struct session *s, char **line, size_t *len)
{
    for (;;) {
        if (s->m.dropped) {
            errno = ECANCELED;
            return -1;
        }
        enum line_status st = line_next(&s->in, line, len);
        if (st == LINE_OK) {
            proto_clean(*line, *len);
            return 1;
        }
        if (st == LINE_TOO_LONG) {
            tell(s, PROTO_TOO_LONG);
            continue;
        }
        size_t room;
        char *p = line_space(&s->in, &room);
        ssize_t n = sock_recv(s->fd, p, room, 0);
        if (n <= 0)
            return (int)n;
        line_fill(&s->in, (size_t)n);
        /* A recv that finds data returns without parking: without this, a
         * client that never pauses would starve the writers. */
        tasklet_yield();
    }
}
/* book: end */

static void unknown(struct session *s, struct proto_command c)
{
    char text[PROTO_REPLY_MAX];
    room_tell(&s->srv->room, &s->m, text, proto_unknown(text, c));
}

static void name_error(struct session *s)
{
    tell(s, errno == EEXIST ? PROTO_NICK_TAKEN : PROTO_BAD_NICK);
}

/* Cancels the writer unless it has finished: it stops at once, even in
 * the middle of a send to a client that does not read. */
static void stop_writer(struct session *s)
{
    if (!s->writer_done)
        tasklet_cancel(s->writer);
}

/* Drops unread input, without waiting: closing a socket with unread input
 * sends a reset, and what of ours the kernel has not delivered yet is
 * thrown away, the last lines included. */
static void discard_input(int fd)
{
    char sink[CHUNK];
    for (int i = 0; i < 16; i++) /* a client that floods gets no more */
        if (sock_recv(fd, sink, sizeof sink, MSG_DONTWAIT) <= 0)
            break;
}

/* book: session-end */
/* Leaves the room, lets the writer finish (flushing the queue, or
 * stopping at once), closes the socket and frees the session. */
static void session_end(struct session *s, bool flush)
{
    struct server *srv = s->srv;
    room_leave(&srv->room, &s->m); /* "* NICK left", or "dropped" */
    chan_close(s->wake); /* the writer ends when the queue is empty */
    if (!flush || s->m.dropped)
        stop_writer(s);
    while (!s->writer_done)
        if (chan_receive(s->done, NULL) < 0) /* cancelled: the server stops */
            stop_writer(s);
    discard_input(s->fd);
    sock_close(s->fd);
    if (s->prev)
        s->prev->next = s->next;
    else
        srv->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    srv->nsessions--;
    if (chan_balance(srv->ended) < 0) /* serve waits for a session to end */
        chan_send(srv->ended, NULL);
    chan_destroy(s->wake);
    chan_destroy(s->done);
    line_free(&s->in);
    room_member_free(&s->m);
    free(s);
}
/* book: end */

/* book: session */
static void session(void *arg)
{
    struct session *s = arg;
    struct room *room = &s->srv->room;
    char *line;
    size_t len;
    int r = 0;

    s->writer = tasklet_spawn(writer, s);
    if (s->writer == NULL) {
        s->writer_done = true;
        session_end(s, false);
        return;
    }
    tell(s, PROTO_WELCOME);
    while (!s->m.joined) { /* the first lines: a nick */
        if ((r = read_line(s, &line, &len)) <= 0)
            goto end;
        struct proto_command c = proto_parse(line, len);
        if (c.kind == PROTO_QUIT)
            goto quit;
        if (c.kind == PROTO_WHO) {
            tell(s, PROTO_NICK_FIRST);
        } else if (c.kind == PROTO_UNKNOWN) {
            unknown(s, c);
        } else { /* "/nick NAME", or else the whole line is the nick */
            const char *name = c.kind == PROTO_NICK ? c.arg : line;
            size_t n = c.kind == PROTO_NICK ? c.len : len;
            if (room_join(room, &s->m, name, n) < 0)
                name_error(s);
        }
    }
    while ((r = read_line(s, &line, &len)) > 0) { /* in the room */
        struct proto_command c = proto_parse(line, len);
        switch (c.kind) {
        case PROTO_EMPTY:
            break;
        case PROTO_SAY:
            room_say(room, &s->m, c.arg, c.len);
            break;
        case PROTO_NICK:
            if (room_rename(room, &s->m, c.arg, c.len) < 0)
                name_error(s);
            break;
        case PROTO_WHO:
            room_who(room, &s->m);
            break;
        case PROTO_QUIT:
            goto quit;
        case PROTO_UNKNOWN:
            unknown(s, c);
            break;
        }
    }
end:
    session_end(s, r == 0); /* at the end of the stream, flush */
    return;
quit:
    tell(s, PROTO_BYE);
    session_end(s, true);
}
/* book: end */

/* ---- the server ---- */

static int session_start(struct server *srv, int fd)
{
    struct session *s = calloc(1, sizeof *s);
    if (s == NULL) {
        errno = ENOMEM;
        return -1;
    }
    room_member_init(&s->m, srv->queue_max);
    s->srv = srv;
    s->fd = fd;
    if (line_init(&s->in, CHAT_LINE_MAX) < 0)
        goto fail;
    s->wake = chan_create();
    s->done = chan_create();
    if (s->wake == NULL || s->done == NULL)
        goto fail;
    /* Senders go on: a broadcast or a finishing writer never switches. */
    chan_set_preference(s->wake, 1);
    chan_set_preference(s->done, 1);
    s->reader = tasklet_spawn(session, s);
    if (s->reader == NULL)
        goto fail;
    char name[TASKLET_NAME_MAX];
    snprintf(name, sizeof name, "chat session fd %d", fd);
    tasklet_set_name(s->reader, name);
    s->next = srv->sessions;
    if (srv->sessions)
        srv->sessions->prev = s;
    srv->sessions = s;
    srv->nsessions++;
    return 0;

fail:
    chan_destroy(s->wake);
    chan_destroy(s->done);
    line_free(&s->in);
    free(s);
    errno = ENOMEM;
    return -1;
}

/* Errors of accept that concern one connection, not the server; and
 * those that pass once some connection has closed. */
static bool passing(int err)
{
    return err == ECONNABORTED || err == EINTR || err == EPROTO ||
           err == EPERM;
}

static bool out_of_room(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* book: serve */
int chat_tasklets_serve(int listen_fd, const struct chat_config *cfg)
{
    struct server srv = {0};
    srv.queue_max = cfg && cfg->queue_max ? cfg->queue_max : CHAT_QUEUE_MAX;
    if (srv.queue_max < CHAT_QUEUE_MIN) {
        errno = EINVAL;
        return -1;
    }
    room_init(&srv.room, wake_writer, drop_session);
    srv.ended = chan_create();
    if (srv.ended == NULL)
        return -1;
    chan_set_preference(srv.ended, 1);

    int err = 0;
    for (;;) {
        int fd = sock_accept(listen_fd, NULL, NULL);
        if (fd >= 0) {
            if (session_start(&srv, fd) < 0)
                sock_close(fd);
        } else if (errno == ECANCELED) {
            break; /* asked to stop */
        } else if (out_of_room(errno) && srv.nsessions > 0) {
            if (chan_receive(srv.ended, NULL) < 0)
                break; /* cancelled while waiting */
        } else if (!passing(errno)) {
            err = errno;
            break;
        }
    }

    /* Stop: empty the room, end every session, wait for the last. */
    room_close(&srv.room);
    for (struct session *s = srv.sessions; s != NULL; s = s->next)
        tasklet_cancel(s->reader);
    while (srv.nsessions > 0)
        chan_receive(srv.ended, NULL);
    chan_destroy(srv.ended);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}
/* book: end */
