/*
 * outbuf.c - a bounded ring buffer of bytes (outbuf.h).
 *
 * Given code: the same in steps/ and in the solutions.
 *
 * Invariants:
 *   - len <= max, always: a push that would break it fails and changes
 *     nothing. That is the point: what one client can make the server
 *     hold is bounded, whatever it does.
 *   - The queued bytes are buf[(head + i) & (size - 1)] for i < len; an
 *     empty queue has head 0.
 */
#include "outbuf.h"

#include <errno.h>
#include <stdlib.h>

void outbuf_init(struct outbuf *q, size_t max)
{
    *q = (struct outbuf){.max = max};
}

void outbuf_free(struct outbuf *q)
{
    free(q->buf);
    *q = (struct outbuf){.max = q->max};
}

static size_t at(const struct outbuf *q, size_t i)
{
    return (q->head + i) & (q->size - 1);
}

int outbuf_push(struct outbuf *q, const void *data, size_t n)
{
    if (n > q->max - q->len) {
        errno = ENOBUFS;
        return -1;
    }
    if (q->len + n > q->size) { /* grow, unwrapping at the front */
        size_t size = q->size ? q->size : 256;
        while (size < q->len + n)
            size *= 2;
        char *buf = malloc(size);
        if (buf == NULL) {
            errno = ENOMEM;
            return -1;
        }
        for (size_t i = 0; i < q->len; i++)
            buf[i] = q->buf[at(q, i)];
        free(q->buf);
        q->buf = buf;
        q->size = size;
        q->head = 0;
    }
    const char *p = data;
    for (size_t i = 0; i < n; i++)
        q->buf[at(q, q->len + i)] = p[i];
    q->len += n;
    return 0;
}

size_t outbuf_take(struct outbuf *q, char *out, size_t max)
{
    size_t n = q->len < max ? q->len : max;
    for (size_t i = 0; i < n; i++)
        out[i] = q->buf[at(q, i)];
    q->len -= n;
    q->head = q->len ? at(q, n) : 0;
    return n;
}

void outbuf_clear(struct outbuf *q)
{
    q->len = 0;
    q->head = 0;
}
