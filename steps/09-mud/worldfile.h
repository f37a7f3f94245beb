/*
 * worldfile.h - loads a world (world.h) from a plain text file.
 *
 * ---- The format ----
 *
 * A world file is lines of text. Outside descriptions, leading and
 * trailing blanks are ignored, and blank lines and lines starting with
 * '#' are comments. The file is a list of directives and records:
 *
 *   name TEXT            the world's name (optional; once)
 *   start ROOM           where new characters appear (optional, once;
 *                        by default the first room)
 *
 *   room ID              a room; then, on the lines below it:
 *     title TEXT           required, once
 *     desc                 required, once: the lines that follow, as
 *     ...                  they are, up to a line holding only "." (the
 *     .                    description may not be empty)
 *     exit NAME ROOM       any number: an exit called NAME (north, south,
 *                          east, west, up, down, or any word: "gate")
 *                          to the room with id ROOM. Names are unique
 *                          within a room.
 *
 *   item ID              a kind of item:
 *     name TEXT            required: "a brass lamp"
 *     keywords WORD...     optional: words that name it (default: its id)
 *     desc ... .           required, as for rooms
 *     in ROOM              optional: one is put there when the world loads
 *
 *   npc ID               a non-player character:
 *     name TEXT            required: "a grey cat"
 *     keywords WORD...     optional (default: its id)
 *     desc ... .           required
 *     in ROOM              required: where it stands
 *     say TEXT             any number: what it may say (step 10)
 *     wander yes|no        optional, default no (step 10)
 *
 * A record runs from its first line to the next record. IDs are 1 to
 * WORLD_ID_MAX lowercase letters, digits, '_' or '-'; each kind of record
 * has ids of its own (a room and an item may share one). Exits may lead
 * to rooms defined later in the file. A line may hold at most
 * WORLDFILE_LINE_MAX bytes, the file at most WORLDFILE_MAX bytes, and it
 * may not contain a NUL byte. A CR before a line's LF is ignored.
 *
 * ---- Errors ----
 *
 * A malformed file never crashes the loader and never loads halfway: it
 * returns NULL and fills a struct worldfile_error with the number of the
 * line at fault and a message; worldfile_message formats both as
 * "FILE:LINE: message", the way compilers do. (Line 0 means the file as
 * a whole: it cannot be read, or it has no room.)
 */
#ifndef WORLDFILE_H
#define WORLDFILE_H

#include <stddef.h>

#include "world.h"

#define WORLDFILE_LINE_MAX 1000
#define WORLDFILE_MAX (4 * 1024 * 1024)

struct worldfile_error {
    int line;          /* 1-based; 0 for the file as a whole */
    char file[128];    /* the file's name, as given */
    char text[256];    /* what is wrong, without file and line */
};

/* Loads the world in the file at path. Returns it, or NULL with *err
 * filled (and errno EINVAL for a malformed file, or the error that
 * stopped the file being read). */
struct world *worldfile_load(const char *path, struct worldfile_error *err);

/* The same from n bytes in memory; name is what messages call the file. */
struct world *worldfile_parse(const char *text, size_t n, const char *name,
                              struct worldfile_error *err);

/* "FILE:LINE: text" (or "FILE: text" for line 0) into buf; returns buf. */
const char *worldfile_message(const struct worldfile_error *err, char *buf,
                              size_t size);

#endif
