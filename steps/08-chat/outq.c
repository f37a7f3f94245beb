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
 *
 * Your task (chapters/08-chat.md): every function marked TODO. The ring's
 * mechanics, copy_in and grow, are written for you.
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

int outq_push(struct outq *q, const void *data, size_t n)
{
    /* TODO(step 08, "The slow-reader problem and the bounded queue policy"):
     * all or nothing. If n bytes more would pass max: -1 with ENOBUFS, and
     * nothing changes (the caller's policy decides what a full queue means).
     * Pushing 0 bytes does nothing. If the buffer is too small, grow it to len
     * + n (ENOMEM passes through); then copy_in at the queue's end (index len)
     * and count the bytes. */
    (void)q, (void)data, (void)n, (void)copy_in, (void)grow;
    errno = ENOSYS;
    return -1;
}

const char *outq_peek(const struct outq *q, size_t *n)
{
    /* TODO(step 08, "The slow-reader problem and the bounded queue policy"):
     * the oldest bytes in one piece: from buf + head, as many as are queued
     * but not past the end of the buffer. Empty: 0 and NULL. */
    (void)q;
    *n = 0;
    return NULL;
}

void outq_consume(struct outq *q, size_t n)
{
    /* TODO(step 08, "The slow-reader problem and the bounded queue policy"):
     * remove the n oldest bytes (no more than are queued): head moves on,
     * wrapping (size is a power of two: & (size - 1)). A queue that becomes
     * empty starts again at head 0. */
    (void)q, (void)n;
}

void outq_clear(struct outq *q)
{
    /* TODO(step 08, "The slow-reader problem and the bounded queue policy"):
     * empty, keeping the buffer; head 0. */
    (void)q;
}
