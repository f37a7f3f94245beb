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
    size_t n = strlen(typed);
    if (n < PLAYER_NAME_MIN || n > PLAYER_NAME_MAX) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = typed[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            errno = EINVAL;
            return -1;
        }
        c = (char)(c | 0x20); /* lower case, in ASCII */
        out[i] = i == 0 ? (char)(c - 'a' + 'A') : c;
    }
    out[n] = '\0';
    return 0;
}
/* book: end */

/* ---- hashes ---- */

/* book: hash */
int player_hash(const char *password, const char *prefix, unsigned long cost,
                char *out)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    /* No entropy given: libxcrypt reads the kernel's (getrandom). */
    if (crypt_gensalt_rn(prefix, cost, NULL, 0, setting, sizeof setting) ==
        NULL)
        return -1; /* errno: EINVAL for an unknown method or a bad cost */
    struct crypt_data *data = calloc(1, sizeof *data);
    if (data == NULL) {
        errno = ENOMEM;
        return -1;
    }
    int rc = -1;
    const char *h = crypt_rn(password, setting, data, sizeof *data);
    if (h != NULL && h[0] == '$' && strlen(h) <= PLAYER_HASH_MAX) {
        strcpy(out, h);
        rc = 0;
    } else if (h != NULL) {
        errno = EINVAL;
    }
    explicit_bzero(data, sizeof *data); /* it held the password */
    free(data);
    return rc;
}

bool player_check(const char *password, const char *hash)
{
    if (hash[0] != '$')
        return false; /* not a hash we made: it matches nothing */
    struct crypt_data *data = calloc(1, sizeof *data);
    if (data == NULL)
        return false;
    const char *h = crypt_rn(password, hash, data, sizeof *data);
    bool ok = false;
    if (h != NULL && strlen(h) == strlen(hash)) {
        /* Compare every byte, whatever differs first: the time taken
         * says nothing about where the hashes part. */
        unsigned char diff = 0;
        for (size_t i = 0; hash[i]; i++)
            diff |= (unsigned char)(h[i] ^ hash[i]);
        ok = diff == 0;
    }
    explicit_bzero(data, sizeof *data);
    free(data);
    return ok;
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
