/*
 * outq.c - a bounded output queue in a ring buffer that grows on demand
 * (outq.h).
 *
 * Invariants:
 *   - len <= max, always: a push that would break it fails and changes
 *     nothing. This is the whole point: the memory one client can make the
 *     server hold is bounded, whatever that client does.
 *   - size is 0 (buf NULL) or a power of two with len <= size. The queued
 *     bytes are the len bytes from buf[head] on, wrapping past the end to
 *     buf[0]: index i of the queue is buf[(head + i) & (size - 1)].
 *   - An empty queue has head 0, so that a queue that drains completely
 *     starts again at the front and outq_peek hands out the longest
 *     piece it can.
 */
#include "outq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void outq_init(struct outq *q, size_t max)
{
    *q = (struct outq){.max = max};
}

void outq_free(struct outq *q)
{
    free(q->buf);
    *q = (struct outq){.max = q->max};
}

size_t outq_len(const struct outq *q)
{
    return q->len;
}

bool outq_empty(const struct outq *q)
{
    return q->len == 0;
}

/* Copies n bytes of data into the ring at queue index `at`, wrapping. */
static void copy_in(struct outq *q, size_t at, const char *data, size_t n)
{
    size_t start = (q->head + at) & (q->size - 1);
    size_t first = q->size - start < n ? q->size - start : n;
    memcpy(q->buf + start, data, first);
    memcpy(q->buf, data + first, n - first);
}

/* Makes room for `want` bytes in all: a new buffer, twice as large as
 * needed, with the queue unwrapped at its front. */
static int grow(struct outq *q, size_t want)
{
    size_t size = q->size ? q->size : OUTQ_FIRST;
    while (size < want)
        size *= 2;
    char *buf = malloc(size);
    if (buf == NULL) {
        errno = ENOMEM;
        return -1;
    }
    if (q->len > 0) {
        size_t first;
        const char *piece = outq_peek(q, &first);
        memcpy(buf, piece, first);
        memcpy(buf + first, q->buf, q->len - first);
    }
    free(q->buf);
    q->buf = buf;
    q->size = size;
    q->head = 0;
    return 0;
}

/* book: push */
int outq_push(struct outq *q, const void *data, size_t n)
{
    if (n > q->max - q->len) {
        errno = ENOBUFS; /* the bound: the caller's policy decides */
        return -1;
    }
    if (n == 0)
        return 0;
    if (q->len + n > q->size && grow(q, q->len + n) < 0)
        return -1;
    copy_in(q, q->len, data, n);
    q->len += n;
    return 0;
}
/* book: end */

const char *outq_peek(const struct outq *q, size_t *n)
{
    if (q->len == 0) {
        *n = 0;
        return NULL;
    }
    size_t to_end = q->size - q->head;
    *n = q->len < to_end ? q->len : to_end;
    return q->buf + q->head;
}

void outq_consume(struct outq *q, size_t n)
{
    if (n > q->len)
        n = q->len;
    q->len -= n;
    q->head = q->len == 0 ? 0 : (q->head + n) & (q->size - 1);
}

void outq_clear(struct outq *q)
{
    q->len = 0;
    q->head = 0;
}
