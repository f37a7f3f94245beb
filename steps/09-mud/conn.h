/*
 * conn.h - one client connection of the MUD: a telnet decoder and encoder
 * (telnet.h) on a socket (sock.h), with every limit that keeps one client
 * from hurting the server or the other players.
 *
 * A connection is driven by one tasklet, its *owner*: the one that opened
 * it. The owner reads lines with conn_read_line, as plain blocking code,
 * and finally closes it. Anyone may write to it (conn_send, conn_printf:
 * another player's "say" writes to everyone in the room), and writing
 * never blocks and never switches tasklets: the bytes go into the
 * connection's bounded output queue, and a writer tasklet of the
 * connection's own sends them when the socket takes them.
 *
 * ---- The limits ----
 *
 *   Line length. A line longer than line_max bytes is answered, at once,
 *     with "Line too long (at most N characters); it was ignored." and
 *     dropped through its end.
 *   Flood. Lines are handed to the owner at most `rate` a second, after
 *     a first `burst` at once (a token bucket). Lines that come faster
 *     wait in a queue of at most `backlog` lines; a line that finds the
 *     queue full is dropped with "Too many commands at once; 'LINE' was
 *     ignored." Telnet negotiation is answered at once all the same.
 *   Output. The output queue holds at most queue_max bytes. A client that
 *     does not read lets it fill; the write that does not fit *drops* the
 *     connection: the queue is discarded, the client is sent (once, if
 *     its socket has room) "*** Output queue full: disconnecting.", the
 *     owner's conn_read_line fails with ECONNABORTED, and the socket is
 *     closed. No writer ever waits for a slow client.
 *   Idle time. conn_read_line takes a time limit: with no complete line
 *     for that long, it fails with ETIMEDOUT.
 *
 * ---- Configuration ----
 *
 * struct conn_config; a field left 0 takes the default shown. The tests
 * set small values (and a test clock, timer.h) to reach every limit
 * quickly, without sleeping.
 *
 * Errors: -1 (or NULL) with errno, as each function says.
 */
#ifndef CONN_H
#define CONN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "telnet.h"

#define CONN_LINE_MAX 256            /* default line_max */
#define CONN_QUEUE_MAX (64 * 1024)   /* default queue_max */
#define CONN_QUEUE_MIN 4096          /* the least queue_max allowed */
#define CONN_RATE 10                 /* default rate, lines a second */
#define CONN_BURST 10                /* default burst */
#define CONN_BACKLOG 20              /* default backlog */

struct conn_config {
    size_t line_max;  /* CONN_LINE_MAX; at most TELNET_LINE_MAX */
    size_t queue_max; /* CONN_QUEUE_MAX; at least CONN_QUEUE_MIN */
    unsigned rate;    /* CONN_RATE */
    unsigned burst;   /* CONN_BURST */
    size_t backlog;   /* CONN_BACKLOG */
    int sndbuf;       /* SO_SNDBUF for the socket; 0: the kernel's */
};

typedef struct conn conn;

/* Takes over fd (a connected socket) for the calling tasklet, which
 * becomes the owner, and starts its writer tasklet. Sends the opening
 * telnet offer (telnet_start). Returns NULL with errno EINVAL (a bad
 * config) or ENOMEM; fd is then left open, for the caller to close. */
conn *conn_open(int fd, const struct conn_config *cfg);

/* The next line, for the owner: waits until a line is complete and the
 * flood limit lets it through. Returns its length, with *line pointing to
 * it (NUL-terminated; valid until the next call); 0 with *line NULL at the
 * end of the stream (after the queued lines); -1 with errno:
 *   ETIMEDOUT     no line for idle_ns nanoseconds (0: no limit)
 *   ECONNABORTED  the connection was dropped (output queue full)
 *   ECANCELED     conn_kick, or the owner was cancelled
 *   others        the socket's errors (ECONNRESET, ...) */
ssize_t conn_read_line(conn *c, int64_t idle_ns, const char **line);

/* Queues text for the client, encoded (telnet_send). Never blocks. A
 * connection that is dropped or closing ignores writes. */
void conn_send(conn *c, const char *text, size_t n);
void conn_printf(conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void conn_vprintf(conn *c, const char *fmt, va_list ap);

/* Queues a prompt (telnet_prompt). */
void conn_prompt(conn *c, const char *text);

/* Echo off (IAC WILL ECHO: the server will echo, and echoes nothing) or
 * back on (IAC WONT ECHO), around a password. */
void conn_echo(conn *c, bool on);

/* From any tasklet: queues message (may be NULL), then makes the owner's
 * current or next conn_read_line fail with ECANCELED. The owner then
 * closes the connection, which still delivers what is queued. */
void conn_kick(conn *c, const char *message);

/* Whether the connection was dropped (its output queue overflowed). */
bool conn_dropped(const conn *c);

/* Bytes waiting in the output queue. */
size_t conn_queued(const conn *c);

/* For the owner: ends the connection. Unless it was dropped, the queued
 * output is sent first, waiting for the client at most linger_ns
 * (0: not at all). Then the writer stops, the socket is closed, and c
 * is freed. */
void conn_close(conn *c, int64_t linger_ns);

#endif
