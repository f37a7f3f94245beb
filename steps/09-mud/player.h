/*
 * player.h - characters as they are stored: names, password hashes, and
 * the store that keeps them between logins.
 *
 * A character's record holds its name, the hash of its password, the room
 * it stands in and the kinds of the items it carries. Records live in a
 * *store*, an interface of three functions, so that where they live can
 * change without changing the server: step 09 keeps them in memory (they
 * last until the server stops), and step 10 writes each one to a file.
 *
 * Passwords are never stored, only salted hashes made by crypt(3) (from
 * libxcrypt, Debian's libcrypt). A hash carries its method, cost and salt
 * ("$y$j9T$salt$hash"), so checking a password needs nothing but the
 * hash. Hashing is slow on purpose, and it runs on the server's only OS
 * thread: every tasklet waits while it runs (chapters/09-mud.md,
 * "Passwords and crypt"). The cost is therefore configurable; the tests
 * use the cheapest.
 *
 * Errors: -1 with errno, as each function says.
 */
#ifndef PLAYER_H
#define PLAYER_H

#include <stdbool.h>
#include <stddef.h>

#include "world.h"

#define PLAYER_NAME_MIN 2
#define PLAYER_NAME_MAX 16
#define PLAYER_PASSWORD_MIN 4
#define PLAYER_PASSWORD_MAX 72
#define PLAYER_HASH_MAX 255
#define PLAYER_ITEMS_MAX 50

struct player_record {
    char name[PLAYER_NAME_MAX + 1];   /* "Alice" */
    char hash[PLAYER_HASH_MAX + 1];   /* crypt(3)'s output */
    char room[WORLD_ID_MAX + 1];      /* "" for the world's start */
    size_t nitems;
    char items[PLAYER_ITEMS_MAX][WORLD_ID_MAX + 1]; /* item kinds */
};

/* Where records are kept. load fills *r and returns 0, or returns -1 with
 * errno ENOENT (no such character) or another error; save stores a copy
 * of *r, replacing any record of that name; close frees the store.
 * `where` says in a few words where records go, for the help of "save". */
struct player_store {
    int (*load)(struct player_store *s, const char *name,
                struct player_record *r);
    int (*save)(struct player_store *s, const struct player_record *r);
    void (*close)(struct player_store *s);
    const char *where;
};

/* A store in memory. NULL with errno ENOMEM. */
struct player_store *player_store_memory(void);

/* Normalises a name as typed: 2 to 16 ASCII letters, stored with the
 * first capital and the rest small ("aLiCe" -> "Alice"). Returns 0, or -1
 * with errno EINVAL. out has PLAYER_NAME_MAX + 1 bytes. */
int player_name(const char *typed, char *out);

/* Hashes password with a new random salt for the method `prefix` ("$y$"
 * for yescrypt; NULL for libcrypt's preferred one) at cost `cost` (0:
 * the method's default). out has PLAYER_HASH_MAX + 1 bytes. Returns 0,
 * or -1 with errno (EINVAL for a bad prefix, or what crypt set). */
int player_hash(const char *password, const char *prefix, unsigned long cost,
                char *out);

/* Whether password hashes to hash. False for a hash crypt rejects. The
 * comparison takes the same time wherever the hashes differ. */
bool player_check(const char *password, const char *hash);

#endif
