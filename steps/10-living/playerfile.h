/*
 * playerfile.h - the text of a player file, and reading it strictly.
 *
 * store.h keeps each character in a file of its own; this module turns a
 * record into that file's text and back. It does no I/O, so the tests and
 * the fuzzer (tests/10-living/fuzz) can feed it any bytes at all.
 *
 * Plain text, one field per line, in this order; a line is a keyword, one
 * blank, and a value with no line end in it:
 *
 *     mud-player 1          the format and its version (must be 1)
 *     name Alice            as player_name() normalises it
 *     hash $y$j9T$...       crypt(3)'s output, 1 to PLAYER_HASH_MAX bytes
 *     room square           a room id, or "room" alone for the start
 *     item lamp             zero to PLAYER_ITEMS_MAX lines, item kind ids
 *     end                   the last line: a file without it is torn
 *
 * Every line ends in LF, including the last. Nothing may follow "end".
 * Reading is strict: a malformed file is an error naming its line, never
 * a half-loaded character.
 *
 * Errors: playerfile_parse returns -1 with errno EINVAL and says in a
 * struct playerfile_error which line was wrong, and how.
 */
#ifndef PLAYERFILE_H
#define PLAYERFILE_H

#include <stddef.h>

#include "player.h"

#define PLAYERFILE_VERSION 1
#define PLAYERFILE_MAX 8192   /* a record's text never grows past this */

/* Where in a file, and what, was wrong. */
struct playerfile_error {
    int line;           /* 1-based; 0 when not about one line */
    char message[160];  /* "expected 'hash HASH', found 'room square'" */
};

/* Writes r in the file format into buf, like snprintf: returns the length
 * the whole text needs (buf holds it if that is below size). */
size_t playerfile_format(const struct player_record *r, char *buf,
                         size_t size);

/* Reads the text of one file (len bytes; it need not end in NUL) into *r.
 * Returns 0, or -1 with errno EINVAL and *err filled; *r is then
 * untouched. */
int playerfile_parse(const char *text, size_t len, struct player_record *r,
                     struct playerfile_error *err);

#endif
