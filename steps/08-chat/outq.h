/*
 * outq.h - a bounded output queue: the bytes a server has for one client
 * and has not handed to the kernel yet.
 *
 * A queue holds at most `max` bytes, in a ring buffer that grows (by
 * doubling, from OUTQ_FIRST bytes) only as far as they need: a client that
 * keeps up never costs more than a small buffer, and one that stops
 * reading costs `max` bytes, never more. A push takes all of its bytes or
 * none: a message is never cut in two, so what a client receives is
 * always whole lines.
 *
 * The queue decides nothing when it is full: outq_push fails, and the
 * caller applies its policy. The chat servers drop the client (chat.h,
 * "The slow reader"); the queue itself never waits and never discards.
 *
 * A writer takes bytes out in two steps: outq_peek shows the oldest
 * queued bytes that lie in one piece, and outq_consume removes what was
 * sent. A push may move the buffer (it grows), so a pointer from
 * outq_peek is good only until the next push: the callback server sends
 * from it at once; the blocking server, which may park in its send while
 * others push, copies the bytes out first.
 *
 * Errors: outq_push returns -1 with errno ENOBUFS (it does not fit under
 * max) or ENOMEM (the buffer could not grow); the queue is unchanged.
 */
#ifndef OUTQ_H
#define OUTQ_H

#include <stdbool.h>
#include <stddef.h>

#define OUTQ_FIRST 256 /* the buffer's first size, in bytes */

struct outq {
    char *buf;   /* the ring; NULL until the first push */
    size_t size; /* bytes allocated, a power of two, or 0 */
    size_t head; /* index of the oldest queued byte */
    size_t len;  /* bytes queued */
    size_t max;  /* the bound on len */
};

/* An empty queue bounded at max bytes; allocates nothing. */
void outq_init(struct outq *q, size_t max);
void outq_free(struct outq *q);

/* Appends all n bytes of data, or nothing (see Errors above). */
int outq_push(struct outq *q, const void *data, size_t n);

/* The oldest queued bytes in one piece: *n of them at the pointer (0 and
 * NULL when the queue is empty). More may follow at the ring's start. */
const char *outq_peek(const struct outq *q, size_t *n);

/* Removes the n oldest bytes (n <= outq_len). */
void outq_consume(struct outq *q, size_t n);

/* Removes everything queued (the buffer is kept). */
void outq_clear(struct outq *q);

size_t outq_len(const struct outq *q);
bool outq_empty(const struct outq *q);

#endif
