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

/* book: autosave */
/* Tick k saves the players at positions i with i % S == k % S, where S
 * is the number of ticks in an autosave period: each player once per
 * period, and each tick only its share of the fsyncs. */
static void autosave(tick *t, uint64_t k)
{
    uint64_t slices = (uint64_t)(t->autosave_ns / t->tick_ns);
    if (slices == 0)
        slices = 1;
    uint64_t i = 0;
    for (struct player *p = mud_players(t->m); p; p = p->next, i++) {
        if (i % slices != k % slices)
            continue;
        if (mud_save(p) == 0)
            t->saves++;
        else
            t->failures++; /* the file keeps the last save that worked */
    }
}
/* book: end */

/* ---- repop ---- */

/* book: repop */
/* Whether an item of kind k is anywhere: on the ground or carried by a
 * body. Every body that can carry (players in the game, NPCs) stands in
 * a room, so walking the rooms sees them all. */
static bool exists(const struct world *w, const struct item_kind *k)
{
    for (size_t i = 0; i < w->nrooms; i++) {
        const struct room *r = &w->rooms[i];
        for (const struct item *it = r->items.first; it; it = it->next)
            if (it->kind == k)
                return true;
        for (const struct body *b = r->first; b; b = b->next)
            for (const struct item *it = b->carried.first; it; it = it->next)
                if (it->kind == k)
                    return true;
    }
    return false;
}

/* Puts back, in its room, each item kind the world file places that has
 * no instance left anywhere. */
static void repop(tick *t)
{
    struct world *w = mud_world(t->m);
    for (size_t i = 0; i < w->nkinds; i++) {
        const struct item_kind *k = &w->kinds[i];
        if (k->start == NULL || exists(w, k))
            continue;
        if (world_item_new(k, &k->start->items) == NULL)
            continue; /* out of memory: the next repop tries again */
        char name[256];
        snprintf(name, sizeof name, "%s", k->name);
        name[0] = (char)toupper((unsigned char)name[0]);
        mud_to_room(k->start, NULL, NULL, "%s appears.\n", name);
        t->repops++;
    }
}
/* book: end */

/* ---- the tasklet ---- */

/* book: loop */
static void tick_main(void *arg)
{
    tick *t = arg;
    int64_t next_repop = t->start + t->repop_ns;
    for (uint64_t k = 1;; k++) {
        int64_t when = t->start + (int64_t)k * t->tick_ns;
        if (timer_sleep_until(when) < 0)
            break; /* ECANCELED: tick_stop */
        t->count = k;
        if (t->autosave_ns > 0)
            autosave(t, k);
        if (t->repop_ns > 0 && when >= next_repop) {
            repop(t);
            while (next_repop <= when)
                next_repop += t->repop_ns;
        }
    }
    t->done = true;
    if (chan_balance(t->ended) < 0) /* tick_stop waits for us */
        chan_send(t->ended, NULL);
}
/* book: end */

tick *tick_start(struct mud *m, const struct tick_config *cfg)
{
    struct tick_config c = cfg ? *cfg : (struct tick_config){0};
    if (m == NULL || c.tick_ns < 0) {
        errno = EINVAL;
        return NULL;
    }
    tick *t = calloc(1, sizeof *t);
    if (t == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    t->m = m;
    t->tick_ns = c.tick_ns ? c.tick_ns : TICK_DEFAULT;
    t->autosave_ns = c.autosave_ns ? c.autosave_ns : TICK_AUTOSAVE;
    t->repop_ns = c.repop_ns ? c.repop_ns : TICK_REPOP;
    t->start = timer_now();
    t->ended = chan_create();
    if (t->ended == NULL) {
        free(t);
        errno = ENOMEM;
        return NULL;
    }
    /* The ending tasklet runs on past the rendezvous: it is done with t
     * before tick_stop, queued, frees it. */
    chan_set_preference(t->ended, 1);
    t->t = tasklet_spawn(tick_main, t);
    if (t->t == NULL) {
        int err = errno;
        chan_destroy(t->ended);
        free(t);
        errno = err;
        return NULL;
    }
    tasklet_set_name(t->t, "world tick");
    return t;
}

void tick_stop(tick *t)
{
    if (t == NULL)
        return;
    if (!t->done)
        tasklet_cancel(t->t);
    while (!t->done)
        chan_receive(t->ended, NULL);
    chan_destroy(t->ended);
    free(t);
}

uint64_t tick_count(const tick *t) { return t->count; }
uint64_t tick_saves(const tick *t) { return t->saves; }
uint64_t tick_save_failures(const tick *t) { return t->failures; }
uint64_t tick_repops(const tick *t) { return t->repops; }
