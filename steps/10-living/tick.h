/*
 * tick.h - the world's clock: one tasklet that wakes every tick and does
 * the world's periodic chores, autosave and putting lost items back.
 *
 * Ticks come at fixed times, start + k * tick_ns (timer_sleep_until, not
 * timer_sleep), so a slow tick does not push every later one back.
 *
 * Autosave. Every player in the game is saved to the store at least once
 * per autosave_ns (and again on save, on quit, on shutdown: mud.c does
 * those). The saves are spread over the ticks of each period rather than
 * made all at once: with S = autosave_ns / tick_ns slices, tick k saves
 * the players at positions i of the registry with i % S == k % S. Each
 * save blocks the whole process on fsync (store.h), so spreading them
 * keeps one tick's pause short. A player whose position changes (someone
 * ahead of it left) may wait up to one more period.
 *
 * Repop. Every repop_ns, each item kind the world file places in a room
 * is put back there if no item of that kind is anywhere in the world now:
 * lying in a room, or carried by a player in the game or an NPC. Its room
 * is told: "A brass lamp appears." (first letter capitalised).
 *
 * Errors: tick_start returns NULL with errno (ENOMEM; EINVAL for a
 * negative tick_ns).
 */
#ifndef TICK_H
#define TICK_H

#include <stddef.h>
#include <stdint.h>

#include "mud.h"
#include "timer.h"

#define TICK_DEFAULT (TIMER_MS(1000))            /* one tick a second */
#define TICK_AUTOSAVE (5 * 60 * TIMER_MS(1000))  /* everyone, every 5 min */
#define TICK_REPOP (10 * 60 * TIMER_MS(1000))    /* lost items, every 10 */

struct tick_config {
    int64_t tick_ns;      /* 0: TICK_DEFAULT */
    int64_t autosave_ns;  /* 0: TICK_AUTOSAVE; negative: no autosave */
    int64_t repop_ns;     /* 0: TICK_REPOP; negative: no repop */
};

typedef struct tick tick;

/* Spawns the tick's tasklet for m. The first tick comes one tick_ns
 * after the call. */
tick *tick_start(struct mud *m, const struct tick_config *cfg);

/* Cancels the tasklet, waits until it has ended, frees t. From a tasklet;
 * NULL is allowed. */
void tick_stop(tick *t);

/* Ticks so far; players saved by autosave; saves that failed; items put
 * back. For the tests and the server's log. */
uint64_t tick_count(const tick *t);
uint64_t tick_saves(const tick *t);
uint64_t tick_save_failures(const tick *t);
uint64_t tick_repops(const tick *t);

#endif
