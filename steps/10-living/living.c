/*
 * living.c - step 10 put together: the server of step 09 with a store of
 * files, NPCs, the world tick, an admin's "shutdown" and a clean stop on
 * signals (living.h).
 *
 * Given code: the same in steps/ and in the solutions. It changes
 * nothing in step 09's server; it plugs into it through what that step
 * left open (mud.h): the store and the hooks in the config, a command
 * added to mud_commands(), and mud_shutdown.
 *
 * Invariants:
 *   - The NPCs, the tick and the signal watcher live exactly while
 *     living_serve runs: started before mud_serve, stopped (and their
 *     tasklets ended) after it returns, so none of them outlives the
 *     server it acts on.
 *   - Signals are handled by no handler: living_serve blocks them, so the
 *     kernel keeps them pending, and the watcher reads them from a
 *     signalfd as a socket reader reads a socket. The work of a stop
 *     (telling, saving, closing) runs in ordinary tasklets.
 *   - The command handler finds the living through the mud's hooks
 *     context, the one pointer a command can reach from its player.
 */
#define _GNU_SOURCE
#include "living.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "chan.h"
#include "sock.h"
#include "store.h"
#include "tasklet.h"

struct living {
    struct mud *mud;
    struct player_store *store;
    char **admins;              /* our copies, NULL-ended */
    bool watch_signals;
    struct npc_config npc;
    struct tick_config tick_cfg;
    struct mud_hooks outer;     /* the base config's, called after ours */
    npc_life *npcs;             /* while serving */
    tick *tick;                 /* while serving */
    /* The signal watcher, while serving (and asked for). */
    int sigfd;
    sigset_t oldmask;
    tasklet *watcher;
    bool watcher_done;
    chan *ended;                /* living_serve waits here for it */
};

/* ---- hooks and the shutdown command ---- */

/* The living's own hooks come first; then those of the base config, so a
 * program that counts players (tests/bench/mudserver.c) still can. */
static void entered(struct player *p, void *ctx)
{
    living *l = ctx;
    if (l->outer.entered)
        l->outer.entered(p, l->outer.ctx);
}

static void leaving(struct player *p, void *ctx)
{
    living *l = ctx;
    if (l->outer.leaving)
        l->outer.leaving(p, l->outer.ctx);
}

static void said(struct player *p, const char *text, void *ctx)
{
    living *l = ctx;
    npc_heard(l->npcs, p->body.room);
    if (l->outer.said)
        l->outer.said(p, text, l->outer.ctx);
}

/* book: shutdown-command */
static enum command_result shutdown_command(struct player *p,
                                            const char *arg,
                                            const struct command *self)
{
    (void)self;
    living *l = mud_config(p->mud)->hooks.ctx;
    if (!living_is_admin(l, p->name)) {
        mud_tell(p, "Only an admin can shut the server down.\n");
        return COMMAND_OK;
    }
    mud_tell(p, "You shut the server down. Everyone will be saved.\n");
    living_shutdown(l, *arg ? arg : NULL);
    return COMMAND_OK; /* the stop ends this session like every other */
}

static const struct command shutdown_cmd = {
    "shutdown", NULL, 90, true, "shutdown [MESSAGE]",
    "stop the server, saving everyone (admins)",
    "Saves every character, tells everyone MESSAGE (or that the server is "
    "shutting down), closes every connection and stops the server. Only "
    "admins may use it, and it must be typed in full.\n",
    shutdown_command,
};
/* book: end */

/* ---- the signal watcher ---- */

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    default: return "a signal";
    }
}

/* book: signals */
/* The watcher's tasklet: waits for the signalfd to be readable, like any
 * socket, and turns each signal into a stop. It ends when cancelled. */
static void watch(void *arg)
{
    living *l = arg;
    struct signalfd_siginfo si;
    while (sock_wait(l->sigfd, REACTOR_READ, -1) == 0) {
        if (read(l->sigfd, &si, sizeof si) != (ssize_t)sizeof si)
            continue; /* EAGAIN: someone else took it */
        fprintf(stderr, "mud: %s: saving everyone and shutting down\n",
                signal_name((int)si.ssi_signo));
        living_shutdown(l, NULL);
    }
    l->watcher_done = true;
    if (chan_balance(l->ended) < 0) /* living_serve waits for us */
        chan_send(l->ended, NULL);
}

/* Blocks SIGTERM, SIGINT and SIGHUP (they stay pending instead of
 * killing the process) and starts the watcher on a signalfd. */
static int watch_start(living *l)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, &l->oldmask) < 0)
        return -1;
    l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (l->sigfd < 0)
        goto fail;
    l->watcher_done = false;
    l->watcher = tasklet_spawn(watch, l);
    if (l->watcher == NULL)
        goto fail;
    tasklet_set_name(l->watcher, "signal watcher");
    return 0;
fail:;
    int err = errno;
    if (l->sigfd >= 0)
        close(l->sigfd);
    l->sigfd = -1;
    sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
    errno = err;
    return -1;
}

/* Ends the watcher, then puts the signal mask back. A signal that came
 * after the stop began is read and dropped first: the server is stopping
 * anyway, and unblocked it would kill the process on its way out. */
static void watch_stop(living *l)
{
    if (l->watcher == NULL)
        return;
    if (!l->watcher_done)
        tasklet_cancel(l->watcher);
    while (!l->watcher_done)
        chan_receive(l->ended, NULL);
    struct signalfd_siginfo si;
    while (read(l->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
        continue;
    sock_close(l->sigfd);
    l->sigfd = -1;
    l->watcher = NULL;
    sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
}
/* book: end */

/* ---- the server ---- */

living *living_create(const struct mud_config *base,
                      const struct living_config *cfg)
{
    if (base == NULL || cfg == NULL || cfg->players_dir == NULL) {
        errno = EINVAL;
        return NULL;
    }
    living *l = calloc(1, sizeof *l);
    if (l == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    l->sigfd = -1;
    l->watch_signals = cfg->watch_signals;
    l->npc = cfg->npc;
    l->tick_cfg = cfg->tick;
    size_t n = 0;
    while (cfg->admins && cfg->admins[n])
        n++;
    l->admins = calloc(n + 1, sizeof *l->admins);
    l->ended = chan_create();
    if (l->admins == NULL || l->ended == NULL)
        goto nomem;
    chan_set_preference(l->ended, 1); /* as in npc.c: the sender runs on */
    for (size_t i = 0; i < n; i++)
        if ((l->admins[i] = strdup(cfg->admins[i])) == NULL)
            goto nomem;

    l->store = store_open(cfg->players_dir);
    if (l->store == NULL)
        goto fail;
    struct mud_config mc = *base;
    mc.store = l->store;
    l->outer = base->hooks;
    mc.hooks = (struct mud_hooks){.entered = entered, .leaving = leaving,
                                  .said = said, .ctx = l};
    l->mud = mud_create(&mc);
    if (l->mud == NULL || command_add(mud_commands(l->mud), &shutdown_cmd) < 0)
        goto fail;
    return l;
nomem:
    errno = ENOMEM;
fail:;
    int err = errno;
    living_destroy(l);
    errno = err;
    return NULL;
}

/* book: serve */
int living_serve(living *l, int listen_fd)
{
    l->npcs = npc_start(l->mud, &l->npc);
    if (l->npcs == NULL)
        return -1;
    l->tick = tick_start(l->mud, &l->tick_cfg);
    if (l->tick == NULL || (l->watch_signals && watch_start(l) < 0)) {
        int err = errno;
        tick_stop(l->tick);
        npc_stop(l->npcs);
        l->tick = NULL;
        l->npcs = NULL;
        errno = err;
        return -1;
    }

    int rc = mud_serve(l->mud, listen_fd); /* until a stop */
    int err = errno;

    /* Every session has ended, every player is saved: now the rest. */
    watch_stop(l);
    tick_stop(l->tick);
    npc_stop(l->npcs);
    l->tick = NULL;
    l->npcs = NULL;
    errno = err;
    return rc;
}
/* book: end */

void living_shutdown(living *l, const char *message)
{
    mud_shutdown(l->mud, message ? message : LIVING_FAREWELL);
}

void living_destroy(living *l)
{
    if (l == NULL)
        return;
    mud_free(l->mud);
    store_close(l->store);
    for (size_t i = 0; l->admins && l->admins[i]; i++)
        free(l->admins[i]);
    free(l->admins);
    if (l->ended)
        chan_destroy(l->ended);
    free(l);
}

struct mud *living_mud(const living *l) { return l->mud; }
struct player_store *living_store(const living *l) { return l->store; }
tick *living_tick(const living *l) { return l->tick; }
npc_life *living_npcs(const living *l) { return l->npcs; }

bool living_is_admin(const living *l, const char *name)
{
    for (size_t i = 0; l->admins && l->admins[i]; i++)
        if (strcasecmp(l->admins[i], name) == 0)
            return true;
    return false;
}
