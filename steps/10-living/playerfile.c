/*
 * playerfile.c - a player record as text, and back (playerfile.h).
 *
 * The writer and the reader are built as a pair: the reader takes the
 * lines in the one order the writer writes them, and accepts nothing
 * else.
 *
 * Invariants:
 *   - The parser accepts exactly the texts playerfile_format writes: a
 *     text it accepts formats back to the same bytes (the fuzzer checks
 *     it).
 *   - A parse that fails leaves *r untouched: the record is built in a
 *     local copy, and copied out only once the whole text is read.
 *
 * Your task (chapters/10-living.md, "Reading a player file strictly"):
 * playerfile_format and playerfile_parse. The checks of a field's value
 * (valid_id, valid_name, valid_hash) and the error messages' helpers are
 * written for you.
 */
#define _GNU_SOURCE
#include "playerfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct out {
    char *buf;
    size_t size, len; /* len: what the whole text needs so far */
};

static void put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
                      o->len < o->size ? o->size - o->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

size_t playerfile_format(const struct player_record *r, char *buf, size_t size)
{
    /* TODO(step 10, "A file per player"): the lines of playerfile.h's format,
     * each ending in LF, through put() (it counts what the whole text
     * needs, like snprintf, and writes what fits): "mud-player 1",
     * "name NAME", "hash HASH", "room ROOM" (or "room" alone when r->room
     * is ""), one "item KIND" per item (at most PLAYER_ITEMS_MAX), "end".
     * With size > 0, buf is a string even when the text is cut. Return
     * the whole text's length. */
    (void)r, (void)buf, (void)size, (void)put;
    return 0;
}

/* The parser walks the text one line at a time. */
struct reader {
    const char *text;
    size_t len, pos;
    int line;                 /* the line last read */
    struct playerfile_error *err;
};

/* One line, split: keyword, then (after one blank) value. */
struct line {
    const char *key, *value;
    size_t keylen, valuelen;
    bool has_value;           /* a blank followed the keyword */
    const char *all;
    size_t len;
};

static int fail(struct reader *rd, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct reader *rd, int line, const char *fmt, ...)
{
    rd->err->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rd->err->message, sizeof rd->err->message, fmt, ap);
    va_end(ap);
    errno = EINVAL;
    return -1;
}

/* A line as a message may quote it: at most 40 bytes, anything not
 * printable shown as '?'. */
static const char *shown(const struct line *l, char *buf, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < l->len && n + 4 < size && i < 40; i++) {
        unsigned char c = (unsigned char)l->all[i];
        buf[n++] = c >= 32 && c < 127 ? (char)c : '?';
    }
    if (l->len > 40 && n + 4 < size)
        n += (size_t)snprintf(buf + n, size - n, "...");
    buf[n] = '\0';
    return buf;
}

/* Reads the next line into *l. `expected` says what should come there
 * ("'hash HASH'"), for the message when the line is not whole. 0, or
 * -1. */
static int next_line(struct reader *rd, struct line *l, const char *expected)
{
    /* TODO(step 10, "Reading a player file strictly"): if nothing is left
     * (rd->pos == rd->len), fail on the line after the last one read:
     * "the file ends here, expected EXPECTED (a torn file?)". Else count
     * the line (rd->line++), and find its LF. A NUL byte in it fails
     * ("a NUL byte, expected text (EXPECTED)"); no LF at all fails too:
     * the last line of a torn file ("the line has no LF at its end,
     * expected EXPECTED and a line end"). Then step rd->pos past the LF
     * and fill *l: the keyword runs to the first blank (or the end),
     * the value is everything after that blank, has_value says whether
     * there was one, and all/len are the whole line without its LF. */
    (void)rd, (void)l, (void)expected, (void)fail;
    errno = ENOSYS;
    return -1;
}

static bool is(const char *s, size_t n, const char *word)
{
    return n == strlen(word) && memcmp(s, word, n) == 0;
}

/* The fields, in the order of the file. */
static const char *const fields[] = {"mud-player", "name", "hash", "room",
                                     "item", "end"};

/* Reads the line of field number f into *l; shape is the line as it
 * should be ("'hash HASH'"). A keyword out of order is named: a second
 * copy of an earlier field, or one that comes later. */
static int field(struct reader *rd, size_t f, const char *shape,
                 struct line *l)
{
    /* TODO(step 10, "Reading a player file strictly"): next_line, with
     * shape as what is expected. A line whose keyword is fields[f] is
     * the one: return 0. A keyword of an earlier field fails with "a
     * second 'KEYWORD' line, expected SHAPE"; anything else with
     * "expected SHAPE, found 'LINE' (the order is mud-player, name,
     * hash, room, item, end)", the line shown() as a message may quote
     * it. */
    (void)rd, (void)f, (void)shape, (void)l, (void)fields, (void)shown,
        (void)next_line;
    errno = ENOSYS;
    return -1;
}

/* Whether s (n bytes) is an id of world.h: 1 to WORLD_ID_MAX of a-z, 0-9,
 * '_' and '-'. */
static bool valid_id(const char *s, size_t n)
{
    if (n < 1 || n > WORLD_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

/* Whether s (n bytes) is a name as player_name() writes it ("Alice"),
 * copied into out. */
static bool valid_name(const char *s, size_t n, char *out)
{
    char typed[PLAYER_NAME_MAX + 1];
    if (n > PLAYER_NAME_MAX)
        return false;
    memcpy(typed, s, n);
    typed[n] = '\0';
    return player_name(typed, out) == 0 && strcmp(typed, out) == 0;
}

/* Whether s (n bytes) is a hash as crypt(3) writes them: printable, no
 * blank. */
static bool valid_hash(const char *s, size_t n)
{
    if (n < 1 || n > PLAYER_HASH_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 127)
            return false;
    return true;
}

int playerfile_parse(const char *text, size_t len, struct player_record *r,
                struct playerfile_error *err)
{
    /* TODO(step 10, "Reading a player file strictly"): into a local
     * record, zeroed, so that a refused file leaves *r untouched. Clear
     * *err. An empty text fails on line 1 ("the file is empty, expected
     * 'mud-player 1'"). Then, with field(): "mud-player" whose value is
     * exactly "1"; "name" with a value valid_name() accepts; "hash" with
     * one valid_hash() accepts; "room" alone (the start) or with a value
     * valid_id() accepts. Then lines until "end": each "item KIND" with
     * KIND valid_id(), at most PLAYER_ITEMS_MAX of them; a keyword of
     * the fields above is "a second 'KEYWORD' line"; anything else is
     * "expected 'item KIND' or 'end', found ...". Anything after "end"
     * fails on the line after it. Every message says what was expected
     * there; fail() sets err and errno. Copy the record out last. */
    (void)text, (void)len, (void)r, (void)field, (void)is, (void)valid_id,
        (void)valid_name, (void)valid_hash;
    err->line = 0;
    snprintf(err->message, sizeof err->message,
             "playerfile_parse is not written yet (its TODO in playerfile.c)");
    errno = EINVAL;
    return -1;
}
