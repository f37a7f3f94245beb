/*
 * line.h - splits a byte stream into lines, with a limit on their length.
 *
 * A line reader owns a buffer of max + 2 bytes: room for the longest line
 * allowed plus its CR LF. The program reads from its socket straight into
 * the free part of that buffer (line_space, then line_fill with the count
 * read), and takes complete lines out (line_next). It knows nothing of
 * sockets, so the blocking server calls it after a recv that parked, and
 * the callback server from handle_read; the MUD of step 09 feeds it what
 * its telnet decoder leaves.
 *
 * A line ends at LF; a CR just before the LF is dropped, any other byte
 * (NUL included) is part of the line. A line longer than max is reported
 * once, as LINE_TOO_LONG, as soon as the reader holds max + 1 bytes of it
 * without its end; the rest of it, through its LF, is then discarded as
 * it arrives. The reader's memory never grows past max + 2 bytes, whatever
 * the peer sends.
 *
 * Errors: line_init returns -1 with errno ENOMEM.
 */
#ifndef LINE_H
#define LINE_H

#include <stdbool.h>
#include <stddef.h>

enum line_status {
    LINE_MORE,     /* no complete line yet: read more into line_space */
    LINE_OK,       /* *line, *len hold the next line, without its end */
    LINE_TOO_LONG, /* a line passed max bytes: it is being discarded */
};

struct line_reader {
    char *buf;       /* max + 2 bytes */
    size_t max;      /* the longest line allowed, end not counted */
    size_t len;      /* bytes in buf */
    size_t taken;    /* bytes at the front of buf already returned */
    bool discarding; /* inside a line too long, until its LF */
};

int line_init(struct line_reader *lr, size_t max);
void line_free(struct line_reader *lr);

/* Where the next bytes read from the peer go, and how many fit there
 * (*room, always at least 1). The line last returned by line_next may be
 * moved by this call: finish with it first. */
char *line_space(struct line_reader *lr, size_t *room);

/* Counts n bytes just written at line_space's pointer (n <= *room). */
void line_fill(struct line_reader *lr, size_t n);

/* The next complete line: LINE_OK with *line (not NUL-terminated, and
 * writable, so the caller may clean it in place) and *len, valid until
 * the next call on lr. LINE_TOO_LONG once per line too long. LINE_MORE
 * when the buffer holds no complete line. */
enum line_status line_next(struct line_reader *lr, char **line, size_t *len);

/* Bytes held that are not yet part of a returned line: a partial line.
 * At the end of the stream they are discarded; the tests look at this. */
size_t line_pending(const struct line_reader *lr);

#endif
