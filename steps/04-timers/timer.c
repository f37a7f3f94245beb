/*
 * timer.c - timers on a binary min-heap, sleeping tasklets, deadlines, and
 * the poller that lets the scheduler sleep until the next timer is due.
 *
 * Invariants:
 *   - heap[1..count] holds the armed timers; heap[0] is unused, so the
 *     children of slot i are 2i and 2i+1 and its parent is i/2.
 *   - t->slot is t's index in the heap, or 0 when t is not armed.
 *   - Each timer is no later than its children, ordered by (deadline, seq):
 *     of two equal deadlines, the one started first fires first.
 *
 * Your task (chapters/04-timers.md): every function marked TODO.
 */
#define _GNU_SOURCE
#include "timer.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

static struct timer **heap;
static size_t count, capacity;
static uint64_t started;

/* ---- the clock ---- */

/* book: clock */
static int64_t monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void monotonic_wait(int64_t deadline)
{
    struct timespec ts = {.tv_sec = deadline / 1000000000,
                          .tv_nsec = deadline % 1000000000};
    /* An interrupted wait just returns early; the poller is called again. */
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static int64_t (*clock_now)(void) = monotonic_now;
static void (*clock_wait)(int64_t) = monotonic_wait;

int64_t timer_now(void)
{
    return clock_now();
}

void timer_set_clock(int64_t (*now)(void), void (*wait_until)(int64_t))
{
    clock_now = now ? now : monotonic_now;
    clock_wait = wait_until ? wait_until : monotonic_wait;
}
/* book: end */

/* ---- the heap ---- */

/* book: order */
static bool earlier(const struct timer *a, const struct timer *b)
{
    return a->deadline < b->deadline ||
           (a->deadline == b->deadline && a->seq < b->seq);
}

static void place(struct timer *t, size_t slot)
{
    heap[slot] = t;
    t->slot = slot;
}
/* book: end */

static void sift_up(size_t slot)
{
    /* TODO(step 04, "A heap of timers"): move heap[slot] up while it is
     * earlier than its parent, keeping every timer's slot right (place). */
    (void)slot, (void)earlier, (void)place;
}

static void sift_down(size_t slot)
{
    /* TODO(step 04): move heap[slot] down while a child is earlier. */
    (void)slot;
}

/* Removes the timer in slot: the last one takes its place, then moves up
 * or down to where it belongs. */
static void remove_slot(size_t slot)
{
    /* TODO(step 04): the last timer takes slot's place and sifts up or
     * down; the removed timer's slot becomes 0. */
    (void)slot, (void)sift_up, (void)sift_down;
}

int timer_start(struct timer *t, int64_t deadline,
                void (*fire)(struct timer *t))
{
    /* TODO(step 04, "A heap of timers"): install timer_poll as the
     * scheduler's poller if none is set; stop t if armed; grow the heap
     * (realloc, ENOMEM on failure); fill in deadline, fire and the next
     * seq; add t at the end and sift it up. */
    (void)t, (void)deadline, (void)fire, (void)capacity, (void)started;
    errno = ENOSYS;
    return -1;
}

void timer_stop(struct timer *t)
{
    /* TODO(step 04): remove t if it is armed. */
    (void)t, (void)remove_slot;
}

bool timer_armed(const struct timer *t)
{
    (void)t;
    return false; /* TODO(step 04) */
}

int64_t timer_next(void)
{
    return TIMER_NEVER; /* TODO(step 04): the earliest deadline */
}

size_t timer_count(void)
{
    return 0; /* TODO(step 04) */
}

int timer_fire_due(void)
{
    /* TODO(step 04, "Letting the scheduler sleep"): while the earliest
     * timer is due (deadline <= now), remove it and call its fire. */
    (void)heap, (void)count;
    return 0;
}

bool timer_poll(bool may_block)
{
    /* TODO(step 04, "Letting the scheduler sleep"): fire what is due; if
     * nothing was and the scheduler may block, wait (clock_wait) until the
     * earliest deadline and fire again. Return whether timers remain. */
    (void)may_block, (void)clock_wait;
    return false;
}

/* ---- sleeping ---- */

struct sleeper {
    struct timer timer; /* first, so a timer pointer is a sleeper pointer */
    tasklet *tasklet;
};

static void sleeper_fire(struct timer *t)
{
    /* TODO(step 04): wake the sleeping tasklet. */
    (void)t;
}

static void sleeper_unlink(tasklet *t, void *data)
{
    /* TODO(step 04, "Cancellation"): stop the sleeper's timer. */
    (void)t, (void)data;
}

int timer_sleep_until(int64_t deadline)
{
    /* TODO(step 04, "Sleeping"): a deadline that has already come only
     * yields once, then returns a pending interruption if there is one
     * (tasklet_take_interrupt) as -1/errno, else 0. Otherwise: a sleeper
     * on this stack, its timer
     * started at deadline, then park ("timer_sleep", sleeper_unlink).
     * Woken with an error: stop the timer, set errno, return -1. */
    (void)deadline, (void)sleeper_fire, (void)sleeper_unlink;
    errno = ENOSYS;
    return -1;
}

int timer_sleep(int64_t ns)
{
    int64_t now = clock_now();
    return timer_sleep_until(ns > TIMER_NEVER - now ? TIMER_NEVER : now + ns);
}

/* ---- deadlines ---- */

static void deadline_fire(struct timer *t)
{
    /* TODO(step 04, "Deadlines"): mark it expired and interrupt its owner
     * with ETIMEDOUT. */
    (void)t;
}

int timer_deadline_begin(struct timer_deadline *d, int64_t when)
{
    /* TODO(step 04, "Deadlines"): note the owner; TIMER_NEVER arms
     * nothing; a deadline already passed fires at once; else start the
     * timer with deadline_fire. */
    (void)d, (void)when, (void)deadline_fire;
    errno = ENOSYS;
    return -1;
}

bool timer_deadline_end(struct timer_deadline *d)
{
    /* TODO(step 04): stop the timer; if it expired, clear an ETIMEDOUT
     * still pending for the owner. Return whether it expired. */
    (void)d;
    return false;
}
