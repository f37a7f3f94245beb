/*
 * mud.h - the MUD server: an accept loop, one tasklet per connection, and
 * the registry of the players in the game.
 *
 * mud_serve accepts connections on a listening socket and gives each a
 * tasklet of its own, which runs the whole life of the connection as
 * plain sequential code: the login dialogue (login.h), then "prompt, read
 * a line, run it" (game.h) until the player quits, goes idle, is taken
 * over or is dropped. Everything a command does happens at once, without
 * blocking: output goes into connections' queues (conn.h). So while one
 * command runs, nothing else runs, and nothing else can change the world
 * under it.
 *
 * ---- Players ----
 *
 * A struct player is a character in the game: its body stands in a room
 * of the world, and one connection plays it. The registry lists them in
 * the order they came in. Logging in as a character already in the game
 * takes it over: the new connection gets the body where it stands, with
 * what it carries, and the old connection is told and closed. A player
 * leaves the game (and is saved to the store) when its connection ends
 * for any reason other than a takeover.
 *
 * ---- For later steps ----
 *
 * Step 10 adds to this server without changing it: commands go into
 * mud_commands() before mud_serve; the store (player.h) is given in the
 * config; hooks (struct mud_hooks) are called when players come and go
 * and speak; mud_to_room and the registry let other tasklets (NPCs, a
 * world tick) act in the world; mud_shutdown ends everything cleanly.
 *
 * Errors: -1 (or NULL) with errno, as each function says.
 */
#ifndef MUD_H
#define MUD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "command.h"
#include "conn.h"
#include "player.h"
#include "timer.h"
#include "world.h"

#define MUD_LOGIN_IDLE (60 * TIMER_MS(1000))   /* at the login prompt */
#define MUD_IDLE (30 * 60 * TIMER_MS(1000))    /* in the game */
#define MUD_LINGER (5 * TIMER_MS(1000))        /* flushing at the end */

struct mud;

struct player {
    char name[PLAYER_NAME_MAX + 1];
    char keywords[PLAYER_NAME_MAX + 1]; /* the name in lower case */
    char hash[PLAYER_HASH_MAX + 1];
    struct body body;                   /* owner: this player */
    conn *conn;                         /* the connection playing it */
    struct mud *mud;
    struct player *prev, *next;         /* the registry, in login order */
};

/* Called from the tasklet of the player concerned, after the fact; each
 * may be NULL. They must not block. */
struct mud_hooks {
    void (*entered)(struct player *p, void *ctx); /* came into the game */
    void (*leaving)(struct player *p, void *ctx); /* about to leave it */
    void (*said)(struct player *p, const char *text, void *ctx); /* "say" */
    void *ctx;
};

struct mud_config {
    struct world *world;        /* required; the caller frees it, after
                                   mud_free */
    struct player_store *store; /* NULL: an in-memory store of the mud's */
    struct conn_config conn;    /* conn.h; zeros are its defaults */
    int64_t login_idle_ns;      /* 0: MUD_LOGIN_IDLE */
    int64_t idle_ns;            /* 0: MUD_IDLE; negative: no limit */
    int64_t linger_ns;          /* 0: MUD_LINGER */
    const char *crypt_prefix;   /* player_hash's prefix; NULL: default */
    unsigned long crypt_cost;   /* player_hash's cost; 0: default */
    struct mud_hooks hooks;
};

/* A server for cfg's world, with the built-in commands (game.h) in its
 * table. NULL with errno EINVAL (no world, a bad conn config) or ENOMEM. */
struct mud *mud_create(const struct mud_config *cfg);

/* Serves listen_fd from the calling tasklet until mud_shutdown, or until
 * that tasklet is cancelled. Then it tells every connection goodbye,
 * waits until all have ended (and their players are saved), and returns
 * 0. listen_fd stays open. -1 with errno if accept fails for good. */
int mud_serve(struct mud *m, int listen_fd);

/* Ends mud_serve, from any tasklet: every connection is sent message (if
 * not NULL) and closed. */
void mud_shutdown(struct mud *m, const char *message);

/* Frees the server, once mud_serve has returned (or never ran). */
void mud_free(struct mud *m);

command_table *mud_commands(struct mud *m);
struct world *mud_world(const struct mud *m);
const struct mud_config *mud_config(const struct mud *m);

/* The registry: the first player in the game (then p->next), how many
 * there are, and one by name (any case). */
struct player *mud_players(const struct mud *m);
size_t mud_player_count(const struct mud *m);
struct player *mud_find_player(const struct mud *m, const char *name);

/* For login.h. mud_enter makes a player of record r, played by c, and
 * puts it into the game: in r's room if the world has it, else at the
 * start, with r's items. mud_take_over hands p to c and closes p's old
 * connection with a message. */
struct player *mud_enter(struct mud *m, const struct player_record *r,
                         conn *c);
void mud_take_over(struct player *p, conn *c);

/* Saves p to the store. 0, or -1 with errno from the store. */
int mud_save(struct player *p);

/* Output. mud_tell writes to one player; mud_to_room to every player in
 * r but the bodies except1 and except2 (either may be NULL); mud_to_all
 * to every player but except. None of them blocks. */
void mud_tell(struct player *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void mud_to_room(struct room *r, const struct body *except1,
                 const struct body *except2, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void mud_to_all(struct mud *m, const struct player *except,
                const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
