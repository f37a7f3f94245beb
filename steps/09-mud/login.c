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
 *
 * Your task (chapters/09-mud.md, "The login, written as plain code"):
 * every function marked TODO.
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
    /* TODO(step 09, "The login, written as plain code"): with secret,
     * echo off first (conn_echo). Send the prompt (conn_prompt), read a
     * line (conn_read_line, with mud_config(m)->login_idle_ns), and with
     * secret, echo back on, whatever the read gave. A read that failed
     * with ETIMEDOUT tells the client "Too slow; goodbye.\n". Return -1
     * if the read gave no line (-1, or 0 with a NULL line: the end of
     * the stream; an empty line is 0 with a line "", and is an answer);
     * else copy the line into buf and return 0. */
    (void)m, (void)c, (void)prompt, (void)secret, (void)buf, (void)size;
    return -1;
}
/* book: end */

/* book: new-password */
/* A new character: a password, twice. Fills r->hash; 0 or -1. */
static int choose_password(struct mud *m, conn *c, struct player_record *r)
{
    /* TODO(step 09, "Passwords and crypt"): loop: ask (secret) "Choose a
     * password: "; one of the wrong length is answered "A password has
     * 4 to 72 characters.\n" and asked again. Ask (secret) "Type it
     * again: "; if they differ, "Passwords differ.\n" and start over.
     * Then player_hash it into r->hash with mud_config(m)'s crypt_prefix
     * and crypt_cost. Return 0, or -1 when ask failed (or the hash did).
     * Wipe both buffers (explicit_bzero) before returning. */
    (void)m, (void)c, (void)r, (void)ask;
    return -1;
}
/* book: end */

/* book: password */
/* An existing character: LOGIN_TRIES chances. 0 or -1. */
static int give_password(struct mud *m, conn *c,
                         const struct player_record *r)
{
    /* TODO(step 09, "The login, written as plain code"): LOGIN_TRIES
     * times: ask (secret) "Password: "; if player_check accepts it,
     * return 0; else "Wrong password.\n", and after the last try "Three
     * wrong passwords. Goodbye.\n" instead, and return -1. Wipe the
     * buffer before returning. */
    (void)m, (void)c, (void)r;
    return -1;
}
/* book: end */

/* book: login */
struct player *login_run(struct mud *m, conn *c)
{
    /* TODO(step 09, "The login, written as plain code"): "Welcome to
     * WORLD.\n" (mud_world(m)->name), then loop on "What is your name? ":
     *   - not a name (player_name): "A name has 2 to 16 letters, and
     *     nothing else.\n", and ask again;
     *   - in the store (store->load gives 0): give_password, then on;
     *   - load failed for another reason than ENOENT: "Sorry, NAME cannot
     *     be loaded now.\n", return NULL;
     *   - new: "NAME is a new name here.\n", choose_password; then load
     *     again: if someone took the name meanwhile, "Someone just took
     *     that name; choose another.\n" and ask again; if that load
     *     failed for another reason than ENOENT, "Sorry, NAME cannot be
     *     loaded now.\n" and return NULL (never write over a record you
     *     could not read); else save it.
     * Then: if the player is in the game (mud_find_player), take it over
     * (mud_take_over) and return it. Else load the record once more (the
     * character may have left the game, saving a newer one, while the
     * password was typed) and mud_enter it. Any ask that failed returns
     * NULL. */
    (void)m, (void)c, (void)choose_password, (void)give_password;
    return NULL;
}
/* book: end */
