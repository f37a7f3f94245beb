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
 *
 * Your task (chapters/08-chat.md): every function marked TODO. line_free,
 * line_fill, line_pending and compact are written for you.
 */
#include "line.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int line_init(struct line_reader *lr, size_t max)
{
    /* TODO(step 08, "The protocol"): zero *lr with its max, and malloc a
     * buffer of max + 2 bytes (the longest line and its CR LF). ENOMEM if
     * malloc fails. */
    *lr = (struct line_reader){.max = max};
    errno = ENOSYS;
    return -1;
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
    /* TODO(step 08, "The protocol"): compact, then the free part of the
     * buffer: from buf + len, max + 2 - len bytes. No room at all means the
     * caller skipped line_next: say so on stderr and abort(). */
    (void)compact;
    *room = 0;
    return lr->buf;
}

void line_fill(struct line_reader *lr, size_t n)
{
    lr->len += n;
}

enum line_status line_next(struct line_reader *lr, char **line, size_t *len)
{
    /* TODO(step 08, "The protocol"): compact first. While discarding, drop
     * everything up to and including the first LF (all of it, and LINE_MORE,
     * if there is none). Then look for an LF (memchr): a line goes up to it,
     * minus a CR just before it; mark it taken (with its LF) and return
     * LINE_OK, or LINE_TOO_LONG if it still has more than max bytes. With no
     * LF: max + 2 bytes, or max + 1 whose last is not a CR, are too long
     * already: empty the buffer, start discarding, LINE_TOO_LONG. Otherwise
     * LINE_MORE. */
    (void)line, (void)len;
    lr->len = 0;
    return LINE_MORE;
}

size_t line_pending(const struct line_reader *lr)
{
    return lr->len - lr->taken;
}
