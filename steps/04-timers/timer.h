/*
 * timer.h - time for tasklets: a monotonic clock, timers on a min-heap,
 * sleeping, and deadlines that make any blocking call give up.
 *
 * Times are int64_t nanoseconds on the monotonic clock. TIMER_NEVER is a
 * deadline that never comes.
 *
 * The timer module plugs into the scheduler as its poller (tasklet.h): when
 * no tasklet is runnable, the scheduler asks it to wait until the earliest
 * timer is due, so sleeping tasklets cost no CPU. A later layer that also
 * waits for I/O installs its own poller and calls timer_fire_due and
 * timer_next itself.
 *
 * Timers are intrusive: a struct timer lives inside whatever owns it (a
 * sleeping tasklet's frame, a deadline), so starting one allocates nothing.
 *
 * Errors: functions return 0, or -1 with errno: ECANCELED or ETIMEDOUT
 * for the blocking calls, ENOMEM when the heap cannot grow.
 */
#ifndef TIMER_H
#define TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tasklet.h"

#define TIMER_NEVER INT64_MAX
#define TIMER_MS(n) ((int64_t)(n) * 1000 * 1000)

struct timer {
    int64_t deadline;
    void (*fire)(struct timer *t); /* called once, from the poller */
    uint64_t seq;                  /* start order: equal deadlines fire FIFO */
    size_t slot;                   /* index in the heap; 0 when not started */
};

/* The current time. */
int64_t timer_now(void);

/* Arms t to call fire(t) at deadline (at once if it has passed, on the
 * poller's next turn). Restarting an armed timer moves it. Returns 0, or
 * -1 with errno ENOMEM when the heap cannot grow. */
int timer_start(struct timer *t, int64_t deadline,
                void (*fire)(struct timer *t));

/* Disarms t; harmless if it is not armed. */
void timer_stop(struct timer *t);

bool timer_armed(const struct timer *t);

/* Blocks the current tasklet until the deadline (a point in time) or for ns
 * nanoseconds. Returns 0, or -1 with errno ECANCELED or ETIMEDOUT. */
int timer_sleep_until(int64_t deadline);
int timer_sleep(int64_t ns);

/* A deadline for the current tasklet. Between begin and end, the blocking
 * call (sleep, send, receive, and later socket calls) that is waiting when
 * `when` comes fails with ETIMEDOUT; if none is waiting then, the next one
 * fails at once. Only one call fails: afterwards the tasklet can clean up.
 * Deadlines nest; the inner one must end first. */
struct timer_deadline {
    struct timer timer;
    tasklet *owner;
    bool expired;
};
int timer_deadline_begin(struct timer_deadline *d, int64_t when);
/* Returns whether the deadline expired. */
bool timer_deadline_end(struct timer_deadline *d);

/* ---- for pollers ---- */

/* The earliest armed deadline, or TIMER_NEVER. */
int64_t timer_next(void);

/* Fires every timer whose deadline has come; returns how many fired. */
int timer_fire_due(void);

/* The number of armed timers. */
size_t timer_count(void);

/* The poller timer_sleep installs when no poller is set. */
bool timer_poll(bool may_block);

/* Tests replace the clock and the wait with ones they control: `now`
 * returns the time, `wait_until` blocks the thread until a deadline. NULL
 * restores the monotonic clock and clock_nanosleep. */
void timer_set_clock(int64_t (*now)(void), void (*wait_until)(int64_t));

#endif
