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
    c->dropped = true;
    outbuf_clear(&c->out);
    if (!c->writer_done)
        tasklet_cancel(c->writer); /* it may be parked in a send */
    stop_reading(c);
}

/* telnet's output, and so every byte the server sends: into the queue. */
static void out(void *ctx, const void *bytes, size_t n)
{
    conn *c = ctx;
    if (c->dropped || c->broken || c->closing)
        return;
    if (outbuf_push(&c->out, bytes, n) < 0) {
        drop(c);
        return;
    }
    if (chan_balance(c->wake) < 0) /* the writer waits: wake it */
        chan_send(c->wake, NULL);
}
/* book: end */

/* book: writer */
static void writer(void *arg)
{
    conn *c = arg;
    char chunk[CHUNK];
    while (!c->dropped) {
        if (c->out.len == 0) {
            if (c->closing || chan_receive(c->wake, NULL) < 0)
                break; /* done, or cancelled */
            continue;
        }
        /* Copy out first: while the send waits, others push and the
         * ring may move. */
        size_t n = outbuf_take(&c->out, chunk, sizeof chunk);
        if (sock_send(c->fd, chunk, n, MSG_NOSIGNAL) != (ssize_t)n) {
            if (!c->dropped)
                c->broken = true; /* the client is gone */
            break;
        }
    }
    if (c->dropped) /* a last word, if the socket has room for it now */
        sock_send(c->fd, DROP_NOTICE, strlen(DROP_NOTICE),
                  MSG_DONTWAIT | MSG_NOSIGNAL);
    c->writer_done = true;
    if (chan_balance(c->done) < 0)
        chan_send(c->done, NULL);
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
    conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    if (configure(&c->cfg, cfg) < 0) {
        free(c);
        return NULL;
    }
    outbuf_init(&c->out, c->cfg.queue_max);
    c->fd = fd;
    c->owner = tasklet_current();
    c->interval = TIMER_MS(1000) / c->cfg.rate;
    c->tau = (int64_t)(c->cfg.burst - 1) * c->interval;
    telnet_init(&c->tn, c->cfg.line_max, out, c);
    c->pending = malloc(c->cfg.backlog * (c->cfg.line_max + 1));
    c->wake = chan_create();
    c->done = chan_create();
    if (c->pending == NULL || c->wake == NULL || c->done == NULL)
        goto fail;
    chan_set_preference(c->wake, 1);
    chan_set_preference(c->done, 1);
    if (c->cfg.sndbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &c->cfg.sndbuf,
                   sizeof c->cfg.sndbuf);
    /* Prompts are small and must go at once: no Nagle (which would hold
     * them until the client acknowledges what went before). */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->writer = tasklet_spawn(writer, c);
    if (c->writer == NULL)
        goto fail;
    tasklet_set_name(c->writer, "mud writer");
    telnet_start(&c->tn);
    return c;
fail:
    free_conn(c);
    errno = ENOMEM;
    return NULL;
}

/* ---- reading ---- */

/* book: flood */
/* The flood limit, as a "generic cell rate algorithm": tat is when the
 * next line would be due at the steady rate; a line may pass while tat
 * is at most tau ahead of now, which allows a burst. */
static int64_t next_turn(const conn *c, int64_t now)
{
    int64_t tat = c->tat > now ? c->tat : now;
    return tat - c->tau;
}

static void take_turn(conn *c, int64_t now)
{
    c->tat = (c->tat > now ? c->tat : now) + c->interval;
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
    size_t used;
    enum telnet_event ev = telnet_decode(&c->tn, c->raw + c->raw_off,
                                         c->raw_len - c->raw_off, &used);
    c->raw_off += used;
    if (ev == TELNET_TOO_LONG) {
        conn_printf(c, "Line too long (at most %zu characters); it was "
                    "ignored.\n", c->cfg.line_max);
    } else if (ev == TELNET_LINE) {
        size_t n;
        const char *line = telnet_line(&c->tn, &n);
        if (c->pcount == c->cfg.backlog) {
            conn_printf(c, "Too many commands at once; '%.40s%s' was "
                        "ignored.\n", line, n > 40 ? "..." : "");
            return;
        }
        memcpy(slot(c, c->pcount), line, n + 1);
        c->pcount++;
    }
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
    int64_t idle_at = idle_ns > 0 ? timer_now() + idle_ns : TIMER_NEVER;
    *line = NULL;
    for (;;) {
        if (c->dropped || c->kicked) {
            errno = c->dropped ? ECONNABORTED : ECANCELED;
            return -1;
        }
        int64_t now = timer_now();
        if (c->pcount > 0 && next_turn(c, now) <= now) {
            take_turn(c, now);
            size_t n = strlen(slot(c, 0));
            memcpy(c->current, slot(c, 0), n + 1);
            c->phead = (c->phead + 1) % c->cfg.backlog;
            c->pcount--;
            *line = c->current;
            return (ssize_t)n;
        }
        if (c->raw_off < c->raw_len) {
            decode_some(c);
            continue;
        }
        if (c->eof || c->broken)
            return 0; /* lines still waiting have nobody to answer */
        /* Wait for input, the next line's turn, or the idle limit. */
        int64_t when = c->pcount > 0 ? next_turn(c, now) : idle_at;
        ssize_t n = recv_until(c, when);
        if (n > 0) {
            c->raw_off = 0;
            c->raw_len = (size_t)n;
        } else if (n == 0) {
            c->eof = true;
        } else if (errno == ETIMEDOUT && c->pcount == 0) {
            return -1; /* idle */
        } else if (errno != ETIMEDOUT && errno != EINTR && errno != EAGAIN) {
            return -1;
        }
    }
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
    if (on) {
        telnet_wont(&c->tn, TELNET_OPT_ECHO);
        conn_send(c, "\n", 1); /* the line end the client did not echo */
    } else {
        telnet_will(&c->tn, TELNET_OPT_ECHO);
    }
}
/* book: end */

void conn_kick(conn *c, const char *message)
{
    if (message)
        conn_send(c, message, strlen(message));
    c->kicked = true;
    stop_reading(c);
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
    c->closing = true;
    if (!c->writer_done && (c->dropped || linger_ns <= 0))
        tasklet_cancel(c->writer);
    else if (chan_balance(c->wake) < 0)
        chan_send(c->wake, NULL); /* it sees `closing` once the queue is
                                     empty */
    struct timer_deadline d;
    bool timed = linger_ns > 0 &&
                 timer_deadline_begin(&d, timer_now() + linger_ns) == 0;
    while (!c->writer_done)
        if (chan_receive(c->done, NULL) < 0 && !c->writer_done)
            tasklet_cancel(c->writer); /* too slow, or we are stopping */
    if (timed)
        timer_deadline_end(&d);
    discard_input(c->fd);
    sock_close(c->fd);
    free_conn(c);
}
/* book: end */
