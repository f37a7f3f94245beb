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
    struct out o = {buf, size, 0};
    if (size > 0)
        buf[0] = '\0';
    put(&o, "mud-player %d\nname %s\nhash %s\n", PLAYERFILE_VERSION,
        r->name, r->hash);
    if (r->room[0])
        put(&o, "room %s\n", r->room);
    else
        put(&o, "room\n");
    for (size_t i = 0; i < r->nitems && i < PLAYER_ITEMS_MAX; i++)
        put(&o, "item %s\n", r->items[i]);
    put(&o, "end\n");
    return o.len;
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
    if (rd->pos == rd->len)
        return fail(rd, rd->line + 1,
                    "the file ends here, expected %s (a torn file?)",
                    expected);
    rd->line++;
    const char *s = rd->text + rd->pos;
    size_t left = rd->len - rd->pos;
    const char *nl = memchr(s, '\n', left);
    size_t n = nl ? (size_t)(nl - s) : left;
    if (memchr(s, '\0', n))
        return fail(rd, rd->line, "a NUL byte, expected text (%s)",
                    expected);
    if (nl == NULL)
        return fail(rd, rd->line,
                    "the line has no LF at its end, expected %s and a line "
                    "end (a torn file?)", expected);
    rd->pos += n + 1;
    const char *blank = memchr(s, ' ', n);
    *l = (struct line){
        .key = s,
        .keylen = blank ? (size_t)(blank - s) : n,
        .value = blank ? blank + 1 : s + n,
        .valuelen = blank ? n - (size_t)(blank - s) - 1 : 0,
        .has_value = blank != NULL,
        .all = s,
        .len = n,
    };
    return 0;
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
    char quote[64];
    if (next_line(rd, l, shape) < 0)
        return -1;
    if (is(l->key, l->keylen, fields[f]))
        return 0;
    for (size_t i = 0; i < f; i++)
        if (is(l->key, l->keylen, fields[i]))
            return fail(rd, rd->line, "a second '%s' line, expected %s",
                        fields[i], shape);
    return fail(rd, rd->line,
                "expected %s, found '%s' (the order is mud-player, name, "
                "hash, room, item, end)",
                shape, shown(l, quote, sizeof quote));
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

/* book: parse */
int playerfile_parse(const char *text, size_t len, struct player_record *r,
                struct playerfile_error *err)
{
    struct reader rd = {.text = text, .len = len, .err = err};
    struct player_record rec = {0};
    struct line l;
    char quote[64];
    err->line = 0;
    err->message[0] = '\0';

    if (len == 0)
        return fail(&rd, 1, "the file is empty, expected 'mud-player %d'",
                    PLAYERFILE_VERSION);
    if (field(&rd, 0, "'mud-player 1'", &l) < 0)
        return -1;
    if (!is(l.value, l.valuelen, "1"))
        return fail(&rd, rd.line, "expected 'mud-player %d' (the only "
                    "version), found '%s'", PLAYERFILE_VERSION,
                    shown(&l, quote, sizeof quote));

    if (field(&rd, 1, "'name NAME'", &l) < 0)
        return -1;
    if (!valid_name(l.value, l.valuelen, rec.name))
        return fail(&rd, rd.line, "expected 'name NAME' with NAME 2 to %d "
                    "letters, the first alone a capital, found '%s'",
                    PLAYER_NAME_MAX, shown(&l, quote, sizeof quote));

    if (field(&rd, 2, "'hash HASH'", &l) < 0)
        return -1;
    if (!valid_hash(l.value, l.valuelen))
        return fail(&rd, rd.line, "expected 'hash HASH' with HASH 1 to %d "
                    "printable bytes and no blank, found %zu bytes",
                    PLAYER_HASH_MAX, l.valuelen);
    memcpy(rec.hash, l.value, l.valuelen);

    if (field(&rd, 3, "'room ROOM'", &l) < 0)
        return -1;
    if (l.has_value && !valid_id(l.value, l.valuelen))
        return fail(&rd, rd.line, "expected 'room ROOM' with ROOM an id "
                    "(a-z, 0-9, _ and -), or 'room' alone, found '%s'",
                    shown(&l, quote, sizeof quote));
    memcpy(rec.room, l.value, l.valuelen);

    for (;;) {
        if (next_line(&rd, &l, "'item KIND' or 'end'") < 0)
            return -1;
        if (is(l.all, l.len, "end"))
            break;
        if (!is(l.key, l.keylen, "item")) {
            for (size_t i = 0; i < 4; i++)
                if (is(l.key, l.keylen, fields[i]))
                    return fail(&rd, rd.line, "a second '%s' line, "
                                "expected 'item KIND' or 'end'", fields[i]);
            return fail(&rd, rd.line, "expected 'item KIND' or 'end', "
                        "found '%s'", shown(&l, quote, sizeof quote));
        }
        if (!valid_id(l.value, l.valuelen))
            return fail(&rd, rd.line, "expected 'item KIND' with KIND an "
                        "id (a-z, 0-9, _ and -), found '%s'",
                        shown(&l, quote, sizeof quote));
        if (rec.nitems == PLAYER_ITEMS_MAX)
            return fail(&rd, rd.line, "more than %d items, expected 'end' "
                        "by now", PLAYER_ITEMS_MAX);
        memcpy(rec.items[rec.nitems++], l.value, l.valuelen);
    }
    if (rd.pos != len)
        return fail(&rd, rd.line + 1, "text after 'end', expected the "
                    "file to stop there");
    *r = rec;
    return 0;
}
/* book: end */
