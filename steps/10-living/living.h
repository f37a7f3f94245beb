/*
 * living.h - step 10 put together: step 09's server with players kept in
 * files (store.h), NPCs (npc.h), the world tick (tick.h), an admin's
 * "shutdown" command, and a clean stop on SIGTERM.
 *
 * Given code. It only wires the modules you write to the server of step
 * 09, through the hooks that step left for it (mud.h): the store in the
 * config, a command added to mud_commands(), mud_shutdown.
 *
 * Stopping. Whatever asks for it (the shutdown command, SIGTERM, SIGINT
 * or SIGHUP, living_shutdown), a stop goes the same way: every
 * connection is told `message`, every player is saved as its session
 * ends (mud.c's leave), the NPCs and the tick are stopped, and
 * living_serve returns. Signals are read from a signalfd by a tasklet of
 * their own, blocked in sock_wait like any socket reader: no work is done
 * in a signal handler.
 *
 * Errors: -1 (or NULL) with errno; living_create says what failed on
 * stderr only through its errno.
 */
#ifndef LIVING_H
#define LIVING_H

#include <stdbool.h>

#include "mud.h"
#include "npc.h"
#include "tick.h"

#define LIVING_FAREWELL "The server is shutting down. Your character has " \
                        "been saved."

struct living_config {
    const char *players_dir;      /* required: the store's folder */
    const char *const *admins;    /* names that may "shutdown"; NULL-ended
                                     array, or NULL for none */
    bool watch_signals;           /* stop cleanly on SIGTERM, SIGINT, SIGHUP */
    struct npc_config npc;        /* npc.h; zeros are its defaults */
    struct tick_config tick;      /* tick.h; zeros are its defaults */
};

typedef struct living living;

/* A server: base (mud.h; its world required, its store ignored; its
 * hooks are called after the living's own) with a store in
 * cfg->players_dir and the shutdown command. NULL with errno. */
living *living_create(const struct mud_config *base,
                      const struct living_config *cfg);

/* Starts the NPCs, the tick and (if asked) the signal watcher, then
 * serves listen_fd (mud_serve) until a stop; then stops them and returns
 * what mud_serve returned. From a tasklet. */
int living_serve(living *l, int listen_fd);

/* Asks for a stop, from any tasklet; message NULL: LIVING_FAREWELL. */
void living_shutdown(living *l, const char *message);

/* Frees the server and closes its store, once living_serve returned (or
 * never ran). NULL is allowed. */
void living_destroy(living *l);

struct mud *living_mud(const living *l);
struct player_store *living_store(const living *l);
tick *living_tick(const living *l);      /* NULL unless serving */
npc_life *living_npcs(const living *l);  /* NULL unless serving */

/* Whether the player named may use the admin commands. */
bool living_is_admin(const living *l, const char *name);

#endif
