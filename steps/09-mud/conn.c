/*
 * conn.c - one client connection, with its limits (conn.h).
 *
 * Two tasklets share a connection. The owner reads: conn_read_line feeds
 * what the socket gives to the telnet decoder, keeps the lines that come
 * faster than the flood limit in a small queue, and waits (in sock_recv,
 * under a deadline) for more input, for the next line's turn, or for the
 * idle limit, whichever comes first. The writer sends: it drains the
 * output queue into the socket, and it alone may park in a send for a
 * client that reads slowly. Everyone else only appends to the queue.
 *
 * Invariants:
 *   - Writing never blocks and never switches tasklets: the queue takes
 *     the bytes or the connection is dropped; the channels prefer senders
 *     (preference 1), so waking the writer only makes it runnable.
 *   - The output queue (outbuf.h) holds at most cfg.queue_max bytes.
 *   - Only the writer writes to the socket; only the owner reads it, and
 *     closes it, last, in conn_close, after the writer has finished
 *     (writer_done); from then on nobody touches the writer's handle.
 *   - To stop the owner's read from another tasklet (a drop, a kick) we
 *     set a flag and shut the socket's reading side: the owner's recv
 *     returns at once, and the loop in conn_read_line sees the flag. No
 *     interruption is left pending to surprise its next blocking call.
 *
 * Your task (chapters/09-mud.md): every function marked TODO. The
 * configuration, the socket helpers and the printf family are
 * written for you.
 */
#define _GNU_SOURCE
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "chan.h"
#include "outbuf.h"
#include "sock.h"
#include "tasklet.h"
#include "timer.h"

enum { CHUNK = 4096, RAW = 4096 };

#define DROP_NOTICE "\r\n*** Output queue full: disconnecting.\r\n"

/* book: struct */
struct conn {
    int fd;
    struct conn_config cfg;
    struct telnet tn;
    tasklet *owner, *writer;
    chan *wake;                 /* the writer waits here for output */
    chan *done;                 /* the owner waits here for the writer */
    bool writer_done, closing, dropped, kicked, eof, broken;

    struct outbuf out;          /* what the client has yet to receive */

    unsigned char raw[RAW];     /* read from the socket, not yet decoded */
    size_t raw_off, raw_len;
    char *pending;              /* backlog lines of line_max + 1 bytes */
    size_t phead, pcount;
    char current[TELNET_LINE_MAX + 1]; /* the line handed out */

    int64_t tat;                /* flood: when the next line is due */
    int64_t interval, tau;      /* 1 s / rate; (burst - 1) * interval */
};
/* book: end */

/* Makes the owner's read return now: its loop then sees our flags. */
static void stop_reading(conn *c)
{
    shutdown(c->fd, SHUT_RD);
}

/* book: drop */
/* The queue overflowed: the client is not reading. Nobody waits for it. */
static void drop(conn *c)
{
    /* TODO(step 09, "Limits: the output queue"): the connection is
     * dropped: set dropped, empty the queue (outbuf_clear), cancel
     * the writer unless it has finished (it may be parked in a send to
     * this very client), and stop_reading so the owner's read returns. */
    (void)c, (void)stop_reading;
}

/* telnet's output, and so every byte the server sends: into the queue. */
static void out(void *ctx, const void *bytes, size_t n)
{
    /* TODO(step 09, "Limits: the output queue"): ignore the bytes if the
     * connection is dropped, broken or closing. outbuf_push them; if they
     * do not fit, drop(). Else, if the writer waits on c->wake (balance
     * below 0), wake it with a send (preference 1: no switch). */
    (void)ctx, (void)bytes, (void)n, (void)drop;
}
/* book: end */

/* book: writer */
static void writer(void *arg)
{
    /* TODO(step 09, "The connection: a reader, a writer and a queue"):
     * until the connection is dropped: with the queue empty, stop if
     * closing, else wait on c->wake (stop if that fails: cancelled).
     * Otherwise take up to CHUNK bytes out of the queue (outbuf_take: copy
     * them out before sending, since others push while the send waits)
     * and sock_send them with MSG_NOSIGNAL; if not all went, mark the
     * connection broken (unless dropped) and stop. At the end: if
     * dropped, try once to send DROP_NOTICE with MSG_DONTWAIT. Set
     * writer_done, and wake the owner if it waits on c->done. */
    conn *c = arg;
    c->writer_done = true;
}
/* book: end */

/* ---- opening ---- */

static int configure(struct conn_config *cfg, const struct conn_config *in)
{
    struct conn_config d = in ? *in : (struct conn_config){0};
    if (d.line_max == 0)
        d.line_max = CONN_LINE_MAX;
    if (d.queue_max == 0)
        d.queue_max = CONN_QUEUE_MAX;
    if (d.rate == 0)
        d.rate = CONN_RATE;
    if (d.burst == 0)
        d.burst = CONN_BURST;
    if (d.backlog == 0)
        d.backlog = CONN_BACKLOG;
    if (d.line_max > TELNET_LINE_MAX || d.queue_max < CONN_QUEUE_MIN ||
        d.rate > 1000000 || d.sndbuf < 0) {
        errno = EINVAL;
        return -1;
    }
    *cfg = d;
    return 0;
}

static void free_conn(conn *c)
{
    chan_destroy(c->wake);
    chan_destroy(c->done);
    free(c->pending);
    outbuf_free(&c->out);
    free(c);
}

conn *conn_open(int fd, const struct conn_config *cfg)
{
    /* TODO(step 09, "The connection: a reader, a writer and a queue"):
     * calloc the conn, configure() its cfg (EINVAL), outbuf_init its
     * queue with cfg.queue_max, note fd and the owner (tasklet_current). interval is one second over the rate, tau
     * (burst - 1) intervals. telnet_init with line_max and out(). malloc
     * `pending` (backlog lines of line_max + 1 bytes); create wake and
     * done, both with preference 1. If cfg.sndbuf, setsockopt SO_SNDBUF;
     * and TCP_NODELAY (IPPROTO_TCP), so prompts go out at once.
     * Spawn the writer, then telnet_start. On failure free_conn and
     * return NULL with ENOMEM (fd stays open). */
    (void)fd, (void)cfg, (void)configure, (void)free_conn, (void)writer;
    (void)out;
    errno = ENOSYS;
    return NULL;
}

/* ---- reading ---- */

/* book: flood */
/* The flood limit, as a "generic cell rate algorithm": tat is when the
 * next line would be due at the steady rate; a line may pass while tat
 * is at most tau ahead of now, which allows a burst. */
static int64_t next_turn(const conn *c, int64_t now)
{
    /* TODO(step 09, "Limits: flood control"): when the next line may
     * pass: the later of tat and now, minus tau. */
    (void)c;
    return now;
}

static void take_turn(conn *c, int64_t now)
{
    /* TODO(step 09, "Limits: flood control"): a line passes: tat becomes
     * the later of tat and now, plus one interval. */
    (void)c, (void)now;
}
/* book: end */

static char *slot(conn *c, size_t i)
{
    return c->pending + ((c->phead + i) % c->cfg.backlog) *
                            (c->cfg.line_max + 1);
}

/* book: decode */
/* Decodes raw input up to the next event: a line joins the queue of
 * waiting lines, or is refused if the queue is full. */
static void decode_some(conn *c)
{
    /* TODO(step 09, "Limits: flood control"): telnet_decode the raw bytes
     * from raw_off, and advance raw_off by what it used. TELNET_TOO_LONG:
     * "Line too long (at most N characters); it was ignored.\n".
     * TELNET_LINE: if backlog lines wait already, "Too many commands at
     * once; 'LINE' was ignored.\n" (the line cut at 40 bytes, "..." if it
     * was longer); else copy it, NUL included, into slot(c, pcount) and
     * count it. */
    (void)c, (void)slot;
}
/* book: end */

/* sock_recv that gives up at `when` with ETIMEDOUT. */
static ssize_t recv_until(conn *c, int64_t when)
{
    if (when == TIMER_NEVER)
        return sock_recv(c->fd, c->raw, sizeof c->raw, 0);
    struct timer_deadline d;
    if (timer_deadline_begin(&d, when) < 0)
        return -1;
    ssize_t n = sock_recv(c->fd, c->raw, sizeof c->raw, 0);
    int err = errno;
    bool expired = timer_deadline_end(&d);
    if (n < 0 && err == ETIMEDOUT && !expired)
        err = EINTR; /* not ours: go round again */
    errno = err;
    return n;
}

/* book: read-line */
ssize_t conn_read_line(conn *c, int64_t idle_ns, const char **line)
{
    /* TODO(step 09, "Limits: idle timeouts"): idle_at is now + idle_ns
     * (TIMER_NEVER for 0). Loop:
     *   - dropped: -1 ECONNABORTED; kicked: -1 ECANCELED.
     *   - a line waits and its turn has come (next_turn <= now):
     *     take_turn, copy it from slot(c, 0) into current, remove it,
     *     return its length with *line = current.
     *   - raw bytes not decoded yet: decode_some, and go round.
     *   - at the end of the stream (eof), or broken: return 0.
     *   - else recv_until the next line's turn if one waits, else
     *     idle_at. Bytes: raw_off 0, raw_len n. 0: eof. ETIMEDOUT with no
     *     line waiting: return -1 (idle). ETIMEDOUT otherwise, EINTR,
     *     EAGAIN: go round. Any other error: return -1. */
    (void)c, (void)idle_ns, (void)decode_some, (void)recv_until;
    (void)next_turn, (void)take_turn;
    *line = NULL;
    errno = ENOSYS;
    return -1;
}
/* book: end */

/* ---- writing ---- */

void conn_send(conn *c, const char *text, size_t n)
{
    telnet_send(&c->tn, text, n);
}

void conn_vprintf(conn *c, const char *fmt, va_list ap)
{
    char buf[1024];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (n >= 0 && (size_t)n < sizeof buf) {
        conn_send(c, buf, (size_t)n);
    } else if (n >= 0) {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, again);
            conn_send(c, big, (size_t)n);
            free(big);
        }
    }
    va_end(again);
}

void conn_printf(conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    conn_vprintf(c, fmt, ap);
    va_end(ap);
}

void conn_prompt(conn *c, const char *text)
{
    telnet_prompt(&c->tn, text);
}

/* book: echo */
void conn_echo(conn *c, bool on)
{
    /* TODO(step 09, "Passwords and crypt"): on: telnet_wont ECHO, then
     * send "\n" (the line end the client did not echo). Off: telnet_will
     * ECHO. */
    (void)c, (void)on;
}
/* book: end */

void conn_kick(conn *c, const char *message)
{
    /* TODO(step 09, "Taking over a body"): send message if there is one,
     * set kicked, and stop_reading. */
    (void)c, (void)message;
}

bool conn_dropped(const conn *c)
{
    return c->dropped;
}

size_t conn_queued(const conn *c)
{
    return c->out.len;
}

/* ---- closing ---- */

/* Reads and drops, without waiting, a bounded amount of unread input:
 * closing a socket with unread input sends a reset, and a reset may
 * make the client's kernel discard our last lines before they are read. */
static void discard_input(int fd)
{
    char sink[CHUNK];
    for (int i = 0; i < 16; i++)
        if (sock_recv(fd, sink, sizeof sink, MSG_DONTWAIT) <= 0)
            break;
}

/* book: close */
void conn_close(conn *c, int64_t linger_ns)
{
    /* TODO(step 09, "The connection: a reader, a writer and a queue"):
     * set closing. If the writer has not finished: cancel it when the
     * connection was dropped or linger_ns is 0, else wake it if it waits
     * on c->wake (it stops once the queue is empty). Under a deadline of
     * linger_ns (timer_deadline_begin/end), wait on c->done until
     * writer_done; a wait that fails (the deadline, or a cancellation)
     * cancels the writer, and the wait goes on. Then discard_input,
     * sock_close the fd, free_conn. */
    (void)linger_ns, (void)discard_input;
    sock_close(c->fd);
    free_conn(c);
}
/* book: end */
