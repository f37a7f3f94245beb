/*
 * outbuf.h - a bounded queue of bytes: what a connection has yet to send.
 *
 * A ring buffer that holds at most `max` bytes, and grows (doubling, from
 * 256 bytes) only as far as what it holds needs: a client that keeps up
 * costs a small buffer, one that stops reading costs `max`, never more.
 * A push takes all its bytes or none. The queue decides nothing when it
 * is full: outbuf_push fails, and the connection applies its policy
 * (conn.h: the client is dropped).
 *
 * Given code: the same in steps/ and in the solutions.
 *
 * Errors: outbuf_push returns -1 with errno ENOBUFS (past max) or ENOMEM,
 * and the queue is unchanged.
 */
#ifndef OUTBUF_H
#define OUTBUF_H

#include <stddef.h>

struct outbuf {
    char *buf;   /* the ring; NULL until the first push */
    size_t size; /* a power of two, or 0 */
    size_t head; /* the oldest byte */
    size_t len;  /* bytes queued, at most max */
    size_t max;
};

/* An empty queue of at most max bytes; allocates nothing. */
void outbuf_init(struct outbuf *q, size_t max);
void outbuf_free(struct outbuf *q);

/* Appends all n bytes, or none. */
int outbuf_push(struct outbuf *q, const void *data, size_t n);

/* Copies up to max of the oldest bytes to out and removes them; returns
 * how many. */
size_t outbuf_take(struct outbuf *q, char *out, size_t max);

/* Empties the queue (keeping its buffer). */
void outbuf_clear(struct outbuf *q);

#endif
