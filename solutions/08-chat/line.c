/*
 * line.c - a line reader with a length limit (line.h).
 *
 * Invariants:
 *   - buf holds len bytes. The first `taken` of them are the line last
 *     returned (with its end), kept only so that the pointer handed out
 *     stays good until the next call; every call starts by dropping them.
 *   - Outside a call, the len - taken bytes after them hold no complete
 *     line that line_next could still return: line_next returns lines
 *     until LINE_MORE, and only then does the program read more.
 *   - len <= max + 2. A buffer that would fill up without an LF holds a
 *     line too long; it is emptied at once (discarding), so line_space
 *     always has room after LINE_MORE.
 *   - While discarding, buf holds only bytes after the end of the line
 *     too long: everything before its LF is dropped as it comes.
 */
#include "line.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int line_init(struct line_reader *lr, size_t max)
{
    *lr = (struct line_reader){.max = max};
    lr->buf = malloc(max + 2);
    if (lr->buf == NULL) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void line_free(struct line_reader *lr)
{
    free(lr->buf);
    lr->buf = NULL;
    lr->len = lr->taken = 0;
}

/* Drops the line returned last: the bytes after it move to the front. */
static void compact(struct line_reader *lr)
{
    if (lr->taken == 0)
        return;
    memmove(lr->buf, lr->buf + lr->taken, lr->len - lr->taken);
    lr->len -= lr->taken;
    lr->taken = 0;
}

char *line_space(struct line_reader *lr, size_t *room)
{
    compact(lr);
    *room = lr->max + 2 - lr->len;
    if (*room == 0) {
        /* Only a caller that skipped line_next gets here. */
        fprintf(stderr, "line: broken invariant: line_space is called only "
                        "after line_next returned LINE_MORE\n");
        abort();
    }
    return lr->buf + lr->len;
}

void line_fill(struct line_reader *lr, size_t n)
{
    lr->len += n;
}

/* book: line-next */
enum line_status line_next(struct line_reader *lr, char **line, size_t *len)
{
    compact(lr);
    if (lr->discarding) {
        char *lf = memchr(lr->buf, '\n', lr->len);
        if (lf == NULL) {
            lr->len = 0; /* all of it belongs to the line too long */
            return LINE_MORE;
        }
        lr->taken = (size_t)(lf - lr->buf) + 1;
        lr->discarding = false;
        compact(lr);
    }

    char *lf = memchr(lr->buf, '\n', lr->len);
    if (lf != NULL) {
        size_t n = (size_t)(lf - lr->buf);
        lr->taken = n + 1;
        if (n > 0 && lr->buf[n - 1] == '\r')
            n--;
        if (n > lr->max)
            return LINE_TOO_LONG; /* its end came with it: nothing to skip */
        *line = lr->buf;
        *len = n;
        return LINE_OK;
    }

    /* No end yet. max + 1 bytes are too many, unless the last one is a
     * CR that the next byte, an LF, would make part of the end. */
    bool too_long = lr->len == lr->max + 2 ||
                    (lr->len == lr->max + 1 && lr->buf[lr->max] != '\r');
    if (too_long) {
        lr->len = 0;
        lr->discarding = true;
        return LINE_TOO_LONG;
    }
    return LINE_MORE;
}
/* book: end */

size_t line_pending(const struct line_reader *lr)
{
    return lr->len - lr->taken;
}
