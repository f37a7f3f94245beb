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
 *
 * Your task (chapters/08-chat.md): every function marked TODO. The types,
 * session_start (which spawns the reader), the small helpers and the
 * replies to unknown commands and bad nicks are written for you.
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

/* book: types */
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
/* book: end */

static struct session *session_of(struct room_member *m)
{
    return (struct session *)m; /* m is the first member */
}

static void tell(struct session *s, const char *text)
{
    room_tell(&s->srv->room, &s->m, text, strlen(text));
}

/* ---- the room's callbacks: they run inside a broadcast ---- */

static void wake_writer(struct room_member *m)
{
    /* TODO(step 08, "Why broadcast must never block"): the room queued
     * something for m. If its writer waits on `wake` (a negative balance),
     * send it a NULL there: the channel prefers senders, so the writer only
     * becomes runnable, and the broadcast goes on. Never send when nobody
     * waits: that would block. */
    (void)session_of(m);
}

static void drop_session(struct room_member *m)
{
    /* TODO(step 08, "Why broadcast must never block"): m's queue overflowed.
     * Cancel its reader (tasklet_cancel never switches): its blocking call
     * fails with ECANCELED and it ends the session. */
    (void)m;
}

/* The last words to a dropped client, if its socket takes them now. */
static void farewell(struct session *s)
{
    size_t n;
    const char *text = proto_farewell(s->mid_line, &n);
    outq_clear(&s->m.out);
    sock_send(s->fd, text, n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void writer(void *arg)
{
    /* TODO(step 08, "The blocking server read top to bottom"): until the
     * member is dropped: peek at the queue. Empty: wait on s->wake (a failure
     * means the reader closed it, or we were cancelled: stop). Else copy at
     * most CHUNK bytes into a local buffer (a push may move the queue's buffer
     * while we park), sock_send them with MSG_NOSIGNAL, and only then consume
     * what was sent and note whether it ended inside a line (s->mid_line);
     * stop if not everything went. After the loop: the farewell if dropped,
     * then writer_done, then a NULL on s->done if the reader waits there. */
    struct session *s = arg;
    (void)farewell;
    s->writer_done = true;
}

/* The next line from the client: 1 with *line and *len, 0 at the end of
 * the stream, -1 with errno on an error or a cancellation. A line too
 * long is answered here, and the loop goes on with the next one. */
static int read_line(struct session *s, char **line, size_t *len)
{
    /* TODO(step 08, "The blocking server read top to bottom"): loop: -1 with
     * ECANCELED once dropped. line_next: LINE_OK: proto_clean the line, return
     * 1. LINE_TOO_LONG: tell PROTO_TOO_LONG, go on. LINE_MORE: sock_recv into
     * line_space; 0 or -1 is the answer; else line_fill, and tasklet_yield (a
     * recv that finds data does not park). */
    (void)s, (void)line, (void)len;
    errno = ENOSYS;
    return -1;
}

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
    /* TODO(step 08, "The blocking server read top to bottom"): cancel
     * s->writer, unless it has finished (its handle dies with it). */
    (void)s;
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

/* Leaves the room, lets the writer finish (flushing the queue, or
 * stopping at once), closes the socket and frees the session. */
static void session_end(struct session *s, bool flush)
{
    /* TODO(step 08, "The blocking server read top to bottom"): leave the room;
     * close s->wake; unless flushing (or dropped), stop the writer. Wait on
     * s->done until writer_done (a failed wait means the server stops: stop
     * the writer, wait again). Then discard_input, sock_close, unlink the
     * session from srv->sessions, count it out, send a NULL on srv->ended if
     * serve waits there, and free everything. */
    (void)s, (void)flush, (void)stop_writer, (void)discard_input;
}

static void session(void *arg)
{
    /* TODO(step 08, "The blocking server read top to bottom"): spawn the
     * writer (on failure: writer_done, session_end, return). Tell
     * PROTO_WELCOME. Then, top to bottom: a loop of read_line until the member
     * has joined (/quit, /who, unknown commands; "/nick NAME" or the whole
     * line as the nick; name_error when room_join fails). Then a loop of
     * read_line and proto_parse in the room: SAY, NICK, WHO, QUIT, UNKNOWN.
     * /quit: tell PROTO_BYE, session_end(s, true). The end of the stream
     * (read_line 0): session_end(s, true); an error or a cancellation:
     * session_end(s, false). */
    (void)arg, (void)writer, (void)read_line, (void)session_end;
    (void)unknown, (void)name_error;
}

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

int chat_tasklets_serve(int listen_fd, const struct chat_config *cfg)
{
    /* TODO(step 08, "The blocking server read top to bottom"): a struct server
     * on this stack: queue_max from cfg (0 or no cfg: CHAT_QUEUE_MAX; under
     * CHAT_QUEUE_MIN: EINVAL), room_init with wake_writer and drop_session,
     * the `ended` channel preferring senders. Accept in a loop, session_start
     * for each connection (close it if that fails). ECANCELED: stop.
     * out_of_room with sessions left: wait on `ended`. passing: go on.
     * Anything else: stop with that error. To stop: room_close, cancel every
     * session's reader, wait on `ended` until nsessions is 0, destroy the
     * channel; 0, or -1 with the error. */
    (void)listen_fd, (void)cfg, (void)session_start;
    (void)passing, (void)out_of_room, (void)wake_writer, (void)drop_session;
    errno = ENOSYS;
    return -1;
}
