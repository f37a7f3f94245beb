/*
 * store.h - characters kept on disk, one file per character, written so
 * that a crash at any moment leaves either the old file or the new one:
 * never a torn one, an empty one, or none.
 *
 * store_open gives a struct player_store (player.h) whose records are the
 * files DIR/NAME.player, NAME in lower case ("Alice" -> alice.player).
 * The server sees only the interface of player.h, so swapping step 09's
 * memory store for this one changes nothing else.
 *
 * ---- Saving: the atomic replace ----
 *
 * A record is written whole to a temporary file in the same folder
 * (DIR/.NAME.player.tmp), flushed to the disk with fsync, and renamed over
 * DIR/NAME.player; then the folder itself is fsynced, so that the rename
 * is on the disk too. rename(2) replaces a name in one step: a reader, or
 * a server started after a crash, finds the whole old file or the whole
 * new one. A temporary file left by a crash is only ever a leftover, and
 * store_open removes it.
 *
 * fsync waits for the disk, and it blocks the whole process, not one
 * tasklet: every tasklet waits while a record is saved
 * (chapters/10-living.md, "What fsync costs a green-thread server").
 *
 * The text of a file, and reading it strictly, are playerfile.h's. The
 * store never writes over a file it could not read (login.c refuses the
 * login instead), so a damaged file waits, whole, for an admin.
 *
 * Errors: -1 (or NULL) with errno. load: ENOENT when the character has no
 * file; EINVAL when the file is malformed (store_last_error says where
 * and what); others from the system. save: errno from the system; the old
 * file is then untouched. A name that player_name() would not accept is
 * EINVAL for both, so that no name can reach outside DIR.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>

#include "player.h"
#include "playerfile.h"

/* A store in folder dir, created (mode 0700) if it does not exist; its
 * leftover temporary files are removed. NULL with errno. */
struct player_store *store_open(const char *dir);

/* Closes a store from store_open (the same as s->close(s)). NULL is
 * allowed. */
void store_close(struct player_store *s);

/* The last load error of s, as "DIR/alice.player:3: expected ...", or ""
 * when the last load succeeded. For the server's log. */
const char *store_last_error(const struct player_store *s);

/* Replaces the file dir/name with data, atomically and durably, as
 * described above; the temporary file is dir/.name.tmp. 0, or -1 with
 * errno: dir/name is then unchanged, unless only the last step failed,
 * the folder's fsync (the new file is in place, but may not be on the
 * disk yet). */
int store_replace(const char *dir, const char *name, const void *data,
                  size_t len);

#endif
