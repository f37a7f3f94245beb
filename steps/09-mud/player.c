/*
 * player.c - names, password hashes and the in-memory store (player.h).
 *
 * Hashing goes through libxcrypt's reentrant calls: crypt_gensalt_rn makes
 * a setting (method, cost and a salt from the kernel's random source) and
 * crypt_rn hashes with it, into a struct crypt_data of our own. That
 * struct is 32 KiB: it lives on the heap, not on a tasklet's stack.
 *
 * Invariants:
 *   - A hash is stored only if crypt returned one: its output starts with
 *     '$' (the methods we allow) and never with '*', which is how crypt
 *     reports a failure. player_check treats any other string as a hash
 *     no password matches.
 *   - The memory store holds copies: records handed to save stay the
 *     caller's.
 *
 * Your task (chapters/09-mud.md, "Passwords and crypt"): the three
 * functions marked TODO. The store in memory is written for you.
 */
#include "player.h"

#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- names ---- */

/* book: name */
int player_name(const char *typed, char *out)
{
    /* TODO(step 09, "The login, written as plain code"): EINVAL unless
     * typed has PLAYER_NAME_MIN to PLAYER_NAME_MAX ASCII letters and
     * nothing else. Write it to out with the first letter capital and the
     * others small ("aLiCe" -> "Alice"), NUL-terminated. */
    (void)typed, (void)out;
    errno = ENOSYS;
    return -1;
}
/* book: end */

/* ---- hashes ---- */

/* book: hash */
int player_hash(const char *password, const char *prefix, unsigned long cost,
                char *out)
{
    /* TODO(step 09, "Passwords and crypt"): make a setting with
     * crypt_gensalt_rn(prefix, cost, NULL, 0, ...) (NULL entropy: it
     * reads the kernel's), then hash with crypt_rn into a struct
     * crypt_data you calloc (32 KiB: not on a tasklet's stack). Keep the
     * result only if it starts with '$' and fits PLAYER_HASH_MAX (else
     * EINVAL; crypt reports failure with a string starting '*'). Wipe
     * the crypt_data (explicit_bzero) before freeing it. */
    (void)password, (void)prefix, (void)cost, (void)out;
    errno = ENOSYS;
    return -1;
}

bool player_check(const char *password, const char *hash)
{
    /* TODO(step 09, "Passwords and crypt"): false unless hash starts with
     * '$'. Hash password with crypt_rn, using hash itself as the setting
     * (it holds the method, cost and salt), and compare the result with
     * hash: every byte, OR-ing their differences, so the time taken does
     * not say where they differ. Wipe and free the crypt_data. */
    (void)password, (void)hash;
    return false;
}
/* book: end */

/* ---- the store in memory ---- */

/* book: store */
struct memory_store {
    struct player_store ops; /* first: the interface's pointer is ours */
    struct player_record **recs;
    size_t n, cap;
};

static struct player_record **find(struct memory_store *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcasecmp(m->recs[i]->name, name) == 0)
            return &m->recs[i];
    return NULL;
}

static int memory_load(struct player_store *s, const char *name,
                       struct player_record *r)
{
    struct player_record **found = find((struct memory_store *)s, name);
    if (found == NULL) {
        errno = ENOENT;
        return -1;
    }
    *r = **found;
    return 0;
}

static int memory_save(struct player_store *s, const struct player_record *r)
{
    struct memory_store *m = (struct memory_store *)s;
    struct player_record **found = find(m, r->name);
    if (found) {
        **found = *r;
        return 0;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        struct player_record **grown = realloc(m->recs, cap * sizeof *grown);
        if (grown == NULL) {
            errno = ENOMEM;
            return -1;
        }
        m->recs = grown;
        m->cap = cap;
    }
    struct player_record *copy = malloc(sizeof *copy);
    if (copy == NULL) {
        errno = ENOMEM;
        return -1;
    }
    *copy = *r;
    m->recs[m->n++] = copy;
    return 0;
}
/* book: end */

static void memory_close(struct player_store *s)
{
    struct memory_store *m = (struct memory_store *)s;
    for (size_t i = 0; i < m->n; i++)
        free(m->recs[i]);
    free(m->recs);
    free(m);
}

struct player_store *player_store_memory(void)
{
    struct memory_store *m = calloc(1, sizeof *m);
    if (m == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    m->ops = (struct player_store){
        .load = memory_load,
        .save = memory_save,
        .close = memory_close,
        .where = "in the server's memory, until it stops (step 10 keeps "
                 "characters on disk)",
    };
    return &m->ops;
}
