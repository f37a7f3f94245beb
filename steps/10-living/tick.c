/*
 * tick.c - the world's clock: one tasklet, the periodic chores (tick.h).
 *
 * The tick's tasklet sleeps until start + k * tick_ns for k = 1, 2, ...:
 * deadlines computed from the start, never from "now", so that the time
 * a tick takes (an fsync per save) does not make the next one late. A
 * tick that comes late anyway (the process was stopped, the clock
 * jumped) finds its deadline passed, and the missed ticks run at once,
 * one after the other.
 *
 * Invariants:
 *   - A tick runs to its end without blocking: saves are synchronous
 *     (store.h), so the registry cannot change while autosave walks it,
 *     nor the world while repop looks for items.
 *   - t->done is set exactly when the tasklet has ended; tick_stop frees
 *     t only after that.
 *
 * Your task (chapters/10-living.md): every function marked TODO. The
 * counters at the end are written for you.
 */
#define _GNU_SOURCE
#include "tick.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "chan.h"
#include "tasklet.h"
#include "world.h"

struct tick {
    struct mud *m;
    int64_t tick_ns, autosave_ns, repop_ns; /* negative: off */
    int64_t start;        /* tick k comes at start + k * tick_ns */
    tasklet *t;
    bool done;            /* the tasklet has ended */
    chan *ended;          /* tick_stop waits here */
    uint64_t count, saves, failures, repops;
};

/* ---- autosave ---- */

/* Tick k saves the players at positions i with i % S == k % S, where S
 * is the number of ticks in an autosave period: each player once per
 * period, and each tick only its share of the fsyncs. */
static void autosave(tick *t, uint64_t k)
{
    /* TODO(step 10, "Autosave, spread over the ticks"): S is autosave_ns
     * / tick_ns, at least 1. Walk the registry (mud_players, p->next)
     * counting positions i from 0, and mud_save the players with
     * i % S == k % S: each success is one more t->saves, each failure
     * one more t->failures. */
    (void)t, (void)k;
}

/* ---- repop ---- */

/* Whether an item of kind k is anywhere: on the ground or carried by a
 * body. Every body that can carry (players in the game, NPCs) stands in
 * a room, so walking the rooms sees them all. */
static bool exists(const struct world *w, const struct item_kind *k)
{
    /* TODO(step 10, "Putting lost items back"): whether some room of w
     * has an item of kind k lying in it, or a body standing in it that
     * carries one. */
    (void)w, (void)k;
    return true;
}

/* Puts back, in its room, each item kind the world file places that has
 * no instance left anywhere. */
static void repop(tick *t)
{
    /* TODO(step 10, "Putting lost items back"): for each kind of the
     * world that has a start room and exists() nowhere: a new item of it
     * in that room (world_item_new; out of memory, skip it), "A brass
     * lamp appears." to the room (the name with its first letter a
     * capital), and one more t->repops. */
    (void)t, (void)exists;
}

/* ---- the tasklet ---- */

static void tick_main(void *arg)
{
    /* TODO(step 10, "The world tick"): for k = 1, 2, ...: sleep until
     * t->start + k * t->tick_ns (timer_sleep_until: a deadline from the
     * start, never from now); a sleep that fails ends the loop (ECANCELED:
     * tick_stop). Then t->count = k; autosave(t, k) if autosave_ns > 0;
     * and if repop_ns > 0 and this tick's time has reached the next
     * repop's (the first at t->start + repop_ns), repop(t) and move the
     * next repop's time on by repop_ns (past this tick's time). After the
     * loop: t->done = true, and if tick_stop waits on t->ended
     * (chan_balance < 0), send it a NULL. */
    (void)arg, (void)autosave, (void)repop;
}

tick *tick_start(struct mud *m, const struct tick_config *cfg)
{
    /* TODO(step 10, "The world tick"): EINVAL for a negative tick_ns.
     * calloc a tick; tick_ns, autosave_ns and repop_ns from cfg, each 0
     * taking its default (cfg NULL: all defaults); t->start is now
     * (timer_now), so that the first tick comes one tick_ns after this
     * call. The channel `ended` with preference 1 (the ending tasklet
     * runs on past the send, and is done with t before tick_stop frees
     * it). Spawn tick_main, named "world tick". On failure free what
     * you made and return NULL, errno kept. */
    (void)m, (void)cfg, (void)tick_main;
    errno = ENOSYS;
    return NULL;
}

void tick_stop(tick *t)
{
    /* TODO(step 10, "The world tick"): t may be NULL. Unless it is done
     * already, cancel the tasklet; chan_receive on t->ended until it is
     * done; then free everything. */
    (void)t;
}

uint64_t tick_count(const tick *t) { return t->count; }
uint64_t tick_saves(const tick *t) { return t->saves; }
uint64_t tick_save_failures(const tick *t) { return t->failures; }
uint64_t tick_repops(const tick *t) { return t->repops; }
