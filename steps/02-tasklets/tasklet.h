/*
 * tasklet.h - tasklets and the scheduler that runs them, in Stackless
 * Python's terms.
 *
 * A tasklet is a function running on a stack of its own. Tasklets take
 * turns on one OS thread: one runs until it yields, blocks or exits, and
 * the scheduler resumes the next from a FIFO run queue. The program's
 * main function counts as a tasklet too (the main tasklet, id 0).
 *
 * The handle is opaque: tasklets are created, scheduled and freed only
 * through these functions. A handle is valid until its tasklet exits.
 *
 * The upper half of this header is what programs use. The lower half is
 * what later layers build blocking operations from: channels (step 03),
 * sleep and deadlines (step 04), sockets (step 06). A blocking operation
 * parks the current tasklet; some other tasklet, or a poller that the
 * scheduler calls when it runs out of work, wakes it.
 *
 * Errors: functions that can fail return -1 (or NULL) and set errno.
 * Misuse that breaks the scheduler's invariants (parking a tasklet that is
 * not running, waking one that is not parked) ends the program with a
 * message naming the invariant.
 */
#ifndef TASKLET_H
#define TASKLET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct tasklet tasklet;

/* ---- what programs use ---- */

/* Creates a tasklet that will call fn(arg), and appends it to the run
 * queue; it first runs when the current tasklet yields, blocks or calls
 * tasklet_run. Returns NULL with errno ENOMEM when no stack can be had.
 * When fn returns, the tasklet exits. */
tasklet *tasklet_spawn(void (*fn)(void *), void *arg);

/* Moves the current tasklet to the end of the run queue and runs the head.
 * With nothing else runnable it returns at once. (stackless.schedule) */
void tasklet_yield(void);

/* Ends the current tasklet; its stack goes back to the cache. Called from
 * the main tasklet, it is an error. */
_Noreturn void tasklet_exit(void);

/* Called from the main tasklet: runs tasklets until none is runnable and no
 * poller can wake one. Returns 0 when every tasklet has exited. If some are
 * still blocked with nothing left that could wake them, that is a deadlock:
 * it writes a report naming them to the report stream and returns -1 with
 * errno EDEADLK. (stackless.run) */
int tasklet_run(void);

/* The number of runnable tasklets, the running one included; so at least 1.
 * (stackless.runcount) */
int tasklet_runcount(void);

/* The running tasklet; the main tasklet before any other has run. */
tasklet *tasklet_current(void);

/* Names show up in reports (deadlocks, stack overflows). The name is
 * copied, up to TASKLET_NAME_MAX - 1 bytes. Unnamed tasklets are "#id". */
#define TASKLET_NAME_MAX 32
void tasklet_set_name(tasklet *t, const char *name);
const char *tasklet_name(const tasklet *t);
uint64_t tasklet_id(const tasklet *t);

/* Where reports go: stderr unless set (tests capture them). */
void tasklet_set_report_stream(FILE *f);

/* ---- what blocking operations are built from ---- */

/* Called if a parked tasklet is woken by tasklet_interrupt instead of by the
 * operation it waits in: it must remove the tasklet from that operation's
 * wait queue. */
typedef void (*tasklet_unlink_fn)(tasklet *t, void *data);

/* Blocks the current tasklet until tasklet_wake or tasklet_interrupt.
 * `why` says what it waits for ("chan_receive"), for reports. Returns the
 * value given to tasklet_wake (0 by convention), or the error number given
 * to tasklet_interrupt. If an interruption is pending, returns it at once
 * without blocking. */
int tasklet_park(const char *why, tasklet_unlink_fn unlink, void *data);

/* Makes the parked tasklet t runnable at the end of the run queue; its
 * tasklet_park returns result. */
void tasklet_wake(tasklet *t, int result);

/* Like tasklet_wake, but t runs at once and the current tasklet goes to the
 * end of the run queue. */
void tasklet_wake_now(tasklet *t, int result);

/* Ends t's current wait, or its next one: if t is parked, unlinks it and
 * wakes it with err; otherwise its next tasklet_park returns err at once.
 * err is a positive errno value (ECANCELED, ETIMEDOUT, ...). A pending
 * ECANCELED is never replaced by another error. */
void tasklet_interrupt(tasklet *t, int err);

/* Drops an interruption still pending for t, if it is err. */
void tasklet_clear_interrupt(tasklet *t, int err);

/* Takes the current tasklet's pending interruption, for a call that ends
 * without parking: returns it and clears it, or returns 0. */
int tasklet_take_interrupt(void);

/* Makes t's current or next blocking call fail with ECANCELED, so that it
 * can clean up and exit. The cancellation is delivered once. */
void tasklet_cancel(tasklet *t);

/* Whether t is parked, and in what. */
bool tasklet_is_parked(const tasklet *t);
const char *tasklet_waiting_for(const tasklet *t);

/* A poller wakes parked tasklets from outside the run queue: timers
 * (step 04), then I/O readiness (step 06). The scheduler calls it with
 * may_block false every TASKLET_POLL_INTERVAL switches, so runnable
 * tasklets cannot starve it, and with may_block true when nothing is
 * runnable; then it may wait until it has something to wake. It returns
 * whether it still holds waits that may wake a tasklet later. */
typedef bool (*tasklet_poll_fn)(bool may_block);
#define TASKLET_POLL_INTERVAL 64
void tasklet_set_poller(tasklet_poll_fn fn);
tasklet_poll_fn tasklet_poller(void);

#endif
