/*
 * login.h - the login dialogue: from a new connection to a player in the
 * game.
 *
 * It is written as what it is, a conversation, in plain sequential code
 * running in the connection's own tasklet: ask, read the answer (the
 * tasklet blocks, nobody else does), decide, ask again. A server built on
 * one select() loop must write the same dialogue as a state machine
 * instead, one callback per line (chapters/09-mud.md, "The login,
 * written as plain code").
 *
 *   Welcome to WORLD.
 *   What is your name? NAME
 *     a new character:       Choose a password: ....
 *                            Type it again: ....
 *                            (they differ: "Passwords differ." and again)
 *     an existing one:       Password: ....
 *                            (wrong: "Wrong password."; the third wrong
 *                            one: "Three wrong passwords. Goodbye." and
 *                            the connection closes)
 *     already in the game:   the password, then the body is taken over
 *
 * Echo is off while a password is typed: IAC WILL ECHO before its prompt,
 * IAC WONT ECHO once it is read, and then a line end, since the client did
 * not echo the one the user typed. Every prompt is under the login idle
 * limit (mud_config's login_idle_ns): "Too slow; goodbye." and the
 * connection closes.
 */
#ifndef LOGIN_H
#define LOGIN_H

#include "conn.h"
#include "mud.h"

#define LOGIN_TRIES 3 /* wrong passwords before the connection closes */

/* Runs the dialogue on c, from c's owner. Returns the player c now plays,
 * in the game; or NULL when the dialogue ended without one (the client
 * left, was too slow, failed its password, or the server is stopping),
 * and c is the caller's to close. */
struct player *login_run(struct mud *m, conn *c);

#endif
