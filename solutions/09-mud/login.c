/*
 * login.c - the login dialogue, as plain sequential code (login.h).
 *
 * Each step of the conversation is a call that blocks the connection's
 * own tasklet until the client answers: ask() writes a prompt and reads
 * the reply. Where a select() server keeps "which question did I ask this
 * client?" in a state field and jumps on it at every line, here that
 * state is simply where the code is: the program counter, and the local
 * variables on the tasklet's stack.
 *
 * Invariants:
 *   - Every read is bounded by the login idle limit, so a connection that
 *     never finishes logging in costs a tasklet for that long at most.
 *   - A password is on the stack only while it is checked or hashed, and
 *     is wiped (explicit_bzero) before the function returns.
 *   - Nothing here blocks except ask(): between two reads the dialogue
 *     runs alone, so "is this name in the game?" cannot change between
 *     the question and the action taken on the answer.
 */
#define _GNU_SOURCE
#include "login.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "mud.h"
#include "player.h"

/* book: ask */
/* Prompts, and reads the answer into buf (cut to size - 1 bytes). With
 * secret, echo is off while the answer is typed. Returns 0, or -1 when
 * the connection is over (the client left, was too slow, or the server
 * is stopping). */
static int ask(struct mud *m, conn *c, const char *prompt, bool secret,
               char *buf, size_t size)
{
    if (secret)
        conn_echo(c, false);
    conn_prompt(c, prompt);
    const char *line;
    ssize_t n = conn_read_line(c, mud_config(m)->login_idle_ns, &line);
    int err = errno;
    if (secret)
        conn_echo(c, true);
    if (n < 0 && err == ETIMEDOUT)
        conn_printf(c, "Too slow; goodbye.\n");
    if (n < 0 || line == NULL) /* an empty line is "", not the end */
        return -1;
    snprintf(buf, size, "%s", line);
    return 0;
}
/* book: end */

/* book: new-password */
/* A new character: a password, twice. Fills r->hash; 0 or -1. */
static int choose_password(struct mud *m, conn *c, struct player_record *r)
{
    char pass[PLAYER_PASSWORD_MAX + 2], again[PLAYER_PASSWORD_MAX + 2];
    int rc = -1;
    for (;;) {
        if (ask(m, c, "Choose a password: ", true, pass, sizeof pass) < 0)
            break;
        size_t n = strlen(pass);
        if (n < PLAYER_PASSWORD_MIN || n > PLAYER_PASSWORD_MAX) {
            conn_printf(c, "A password has %d to %d characters.\n",
                        PLAYER_PASSWORD_MIN, PLAYER_PASSWORD_MAX);
            continue;
        }
        if (ask(m, c, "Type it again: ", true, again, sizeof again) < 0)
            break;
        if (strcmp(pass, again) != 0) {
            conn_printf(c, "Passwords differ.\n");
            continue;
        }
        const struct mud_config *cfg = mud_config(m);
        if (player_hash(pass, cfg->crypt_prefix, cfg->crypt_cost, r->hash) <
            0) {
            conn_printf(c, "Sorry, the password could not be stored.\n");
            break;
        }
        rc = 0;
        break;
    }
    explicit_bzero(pass, sizeof pass);
    explicit_bzero(again, sizeof again);
    return rc;
}
/* book: end */

/* book: password */
/* An existing character: LOGIN_TRIES chances. 0 or -1. */
static int give_password(struct mud *m, conn *c,
                         const struct player_record *r)
{
    char pass[PLAYER_PASSWORD_MAX + 2];
    int rc = -1;
    for (int tries = 0; tries < LOGIN_TRIES; tries++) {
        if (ask(m, c, "Password: ", true, pass, sizeof pass) < 0)
            break;
        if (player_check(pass, r->hash)) {
            rc = 0;
            break;
        }
        conn_printf(c, tries + 1 < LOGIN_TRIES
                           ? "Wrong password.\n"
                           : "Three wrong passwords. Goodbye.\n");
    }
    explicit_bzero(pass, sizeof pass);
    return rc;
}
/* book: end */

/* book: login */
struct player *login_run(struct mud *m, conn *c)
{
    struct player_store *store = mud_config(m)->store;
    struct player_record r;
    char typed[64];

    conn_printf(c, "Welcome to %s.\n", mud_world(m)->name);
    for (;;) {
        memset(&r, 0, sizeof r);
        if (ask(m, c, "What is your name? ", false, typed, sizeof typed) < 0)
            return NULL;
        if (player_name(typed, r.name) < 0) {
            conn_printf(c, "A name has %d to %d letters, and nothing else."
                        "\n", PLAYER_NAME_MIN, PLAYER_NAME_MAX);
            continue;
        }
        if (store->load(store, r.name, &r) == 0) {
            if (give_password(m, c, &r) < 0)
                return NULL;
            break;
        }
        if (errno != ENOENT) {
            conn_printf(c, "Sorry, %s cannot be loaded now.\n", r.name);
            return NULL;
        }
        conn_printf(c, "%s is a new name here.\n", r.name);
        if (choose_password(m, c, &r) < 0)
            return NULL;
        /* Someone may have taken the name while we asked: look again. */
        struct player_record other;
        if (store->load(store, r.name, &other) == 0) {
            conn_printf(c, "Someone just took that name; choose another.\n");
            continue;
        }
        if (errno != ENOENT) { /* a file we cannot read: never write over it */
            conn_printf(c, "Sorry, %s cannot be loaded now.\n", r.name);
            return NULL;
        }
        if (store->save(store, &r) < 0) {
            conn_printf(c, "Sorry, %s cannot be saved now.\n", r.name);
            return NULL;
        }
        break;
    }

    struct player *p = mud_find_player(m, r.name);
    if (p) { /* in the game already: take the body over */
        mud_take_over(p, c);
        return p;
    }
    /* While the password was typed, the character may have been in the
     * game and left, saving a newer record: enter with that one. */
    if (store->load(store, r.name, &r) < 0) {
        conn_printf(c, "Sorry, %s cannot be loaded now.\n", r.name);
        return NULL;
    }
    p = mud_enter(m, &r, c);
    if (p == NULL)
        conn_printf(c, "Sorry, the game is full.\n");
    return p;
}
/* book: end */
