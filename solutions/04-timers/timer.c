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

/* ---- the heap ---- */

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

/* book: heap */
static void sift_up(size_t slot)
{
    struct timer *t = heap[slot];
    while (slot > 1 && earlier(t, heap[slot / 2])) {
        place(heap[slot / 2], slot);
        slot /= 2;
    }
    place(t, slot);
}

static void sift_down(size_t slot)
{
    struct timer *t = heap[slot];
    for (;;) {
        size_t child = 2 * slot;
        if (child > count)
            break;
        if (child + 1 <= count && earlier(heap[child + 1], heap[child]))
            child++;
        if (!earlier(heap[child], t))
            break;
        place(heap[child], slot);
        slot = child;
    }
    place(t, slot);
}

/* Removes the timer in slot: the last one takes its place, then moves up
 * or down to where it belongs. */
static void remove_slot(size_t slot)
{
    struct timer *gone = heap[slot];
    struct timer *last = heap[count--];
    gone->slot = 0;
    if (last == gone)
        return;
    place(last, slot);
    sift_up(slot);
    sift_down(last->slot);
}
/* book: end */

/* book: timer-start */
int timer_start(struct timer *t, int64_t deadline,
                void (*fire)(struct timer *t))
{
    if (tasklet_poller() == NULL)
        tasklet_set_poller(timer_poll);
    timer_stop(t);
    if (count + 1 >= capacity) {
        size_t cap = capacity ? 2 * capacity : 64;
        struct timer **grown = realloc(heap, cap * sizeof *grown);
        if (grown == NULL) {
            errno = ENOMEM;
            return -1;
        }
        heap = grown;
        capacity = cap;
    }
    t->deadline = deadline;
    t->fire = fire;
    t->seq = ++started;
    place(t, ++count);
    sift_up(count);
    return 0;
}
/* book: end */

void timer_stop(struct timer *t)
{
    if (t->slot != 0)
        remove_slot(t->slot);
}

bool timer_armed(const struct timer *t)
{
    return t->slot != 0;
}

int64_t timer_next(void)
{
    return count ? heap[1]->deadline : TIMER_NEVER;
}

size_t timer_count(void)
{
    return count;
}

/* book: fire-due */
int timer_fire_due(void)
{
    int fired = 0;
    int64_t now = clock_now();
    while (count > 0 && heap[1]->deadline <= now) {
        struct timer *t = heap[1];
        remove_slot(1);
        t->fire(t);
        fired++;
    }
    return fired;
}

bool timer_poll(bool may_block)
{
    if (timer_fire_due() == 0 && may_block && count > 0) {
        clock_wait(heap[1]->deadline);
        timer_fire_due();
    }
    if (count == 0) {
        free(heap); /* nothing armed: give the memory back */
        heap = NULL;
        capacity = 0;
    }
    return count > 0;
}
/* book: end */

/* ---- sleeping ---- */

/* book: sleeper */
struct sleeper {
    struct timer timer; /* first, so a timer pointer is a sleeper pointer */
    tasklet *tasklet;
};

static void sleeper_fire(struct timer *t)
{
    struct sleeper *s = (struct sleeper *)t;
    tasklet_wake(s->tasklet, 0);
}

static void sleeper_unlink(tasklet *t, void *data)
{
    (void)t;
    timer_stop(&((struct sleeper *)data)->timer);
}
/* book: end */

/* book: sleep */
int timer_sleep_until(int64_t deadline)
{
    /* Already due: let the others run once, as a sleep would. */
    if (deadline <= clock_now()) {
        tasklet_yield();
        int err = tasklet_take_interrupt();
        if (err) {
            errno = err;
            return -1;
        }
        return 0;
    }
    struct sleeper s = {.tasklet = tasklet_current()};
    if (timer_start(&s.timer, deadline, sleeper_fire) < 0)
        return -1;
    int err = tasklet_park("timer_sleep", sleeper_unlink, &s);
    if (err) {
        timer_stop(&s.timer); /* an interruption may have come before */
        errno = err;
        return -1;
    }
    return 0;
}
/* book: end */

int timer_sleep(int64_t ns)
{
    int64_t now = clock_now();
    return timer_sleep_until(ns > TIMER_NEVER - now ? TIMER_NEVER : now + ns);
}

/* ---- deadlines ---- */

/* book: deadline-fire */
static void deadline_fire(struct timer *t)
{
    struct timer_deadline *d = (struct timer_deadline *)t;
    d->expired = true;
    tasklet_interrupt(d->owner, ETIMEDOUT);
}
/* book: end */

/* book: deadline */
int timer_deadline_begin(struct timer_deadline *d, int64_t when)
{
    d->owner = tasklet_current();
    d->expired = false;
    d->timer.slot = 0;
    if (when == TIMER_NEVER)
        return 0;
    if (when <= clock_now()) {
        deadline_fire(&d->timer); /* the next blocking call fails at once */
        return 0;
    }
    return timer_start(&d->timer, when, deadline_fire);
}

bool timer_deadline_end(struct timer_deadline *d)
{
    timer_stop(&d->timer);
    /* Fired, but no blocking call came to take it: drop it, or a later
     * call outside this deadline would fail for it. */
    if (d->expired)
        tasklet_clear_interrupt(d->owner, ETIMEDOUT);
    return d->expired;
}
/* book: end */
