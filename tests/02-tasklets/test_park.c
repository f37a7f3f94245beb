/*
 * test_park.c - step 02: what blocking operations are built from.
 *
 * What these tests check:
 *   - a parked tasklet stays off the run queue until tasklet_wake, and its
 *     tasklet_park returns the value given to the wake;
 *   - tasklet_wake_now runs the woken tasklet at once and sends the waker
 *     to the END of the run queue (exact traces);
 *   - tasklet_interrupt and tasklet_cancel: on a parked tasklet they call
 *     its unlink function and its park returns the error; on one that is
 *     not parked, its next park returns the error at once, only once;
 *   - a deadlock: tasklet_run returns -1 with EDEADLK and reports every
 *     blocked tasklet by name and by what it waits for;
 *   - a poller wakes parked tasklets when nothing else can run, and is
 *     polled without blocking while tasklets keep yielding.
 *
 * Tasklets never call check(): they trace() or record into globals, and
 * main checks once tasklet_run has returned.
 */
#include "harness.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasklet.h"

#define SEC_SPAWN "Spawning"
#define SEC_PARK "Parking and waking"
#define SEC_INTERRUPT "Interrupting a wait"
#define SEC_DEADLOCK "When nothing can run"
#define SEC_POLL "Pollers"

/* ---- helpers main uses ---- */

static tasklet *spawn_or_fail(void (*fn)(void *), void *arg)
{
    errno = 0;
    tasklet *t = tasklet_spawn(fn, arg);
    check(t != NULL, SEC_SPAWN,
          "tasklet_spawn should return a new tasklet,\n  but it returned "
          "NULL (errno %d: %s)", errno, strerror(errno));
    return t;
}

/* What tasklet_run returned, kept to be checked after the traces, which
 * tell more about what went wrong. */
struct run_result {
    int r;
    int err;
};

static struct run_result run_tasklets(void)
{
    errno = 0;
    struct run_result x = {tasklet_run(), 0};
    x.err = errno;
    return x;
}

static void check_run(struct run_result x, const char *section)
{
    check(x.r == 0, section,
          "tasklet_run should return 0 once every tasklet has exited,\n  "
          "but it returned %d (errno %d: %s)", x.r, x.err, strerror(x.err));
}

/* ---- state the tasklets share with main ---- */

static tasklet *waiter;     /* the tasklet that parks */
static int park_result[2];  /* what its parks returned */
static bool parked_seen[2]; /* tasklet_is_parked(waiter), seen by others */
static char why_seen[32];   /* tasklet_waiting_for(waiter) */
static int unlink_calls;
static tasklet *unlink_t;
static void *unlink_data;
static int unlink_token;

static void record_unlink(tasklet *t, void *data)
{
    unlink_calls++;
    unlink_t = t;
    unlink_data = data;
}

/* ---- park and wake ---- */

/* Traces its argument, a string, and exits. */
static void say(void *arg)
{
    trace("%s", (const char *)arg);
}

static void park_once(void *arg)
{
    (void)arg;
    trace("w-park");
    park_result[0] = tasklet_park("test_wait", record_unlink, &unlink_token);
    trace("w-back");
}

static void wake_later(void *arg)
{
    (void)arg;
    parked_seen[0] = tasklet_is_parked(waiter);
    const char *why = tasklet_waiting_for(waiter);
    snprintf(why_seen, sizeof why_seen, "%s", why ? why : "(null)");
    trace("k-wake");
    if (parked_seen[0]) /* waking a tasklet that is not parked is fatal */
        tasklet_wake(waiter, 42);
    parked_seen[1] = tasklet_is_parked(waiter);
    trace("k-after");
}

static void test_park_and_wake(void **state)
{
    (void)state;
    trace_reset();
    waiter = spawn_or_fail(park_once, NULL);
    spawn_or_fail(wake_later, NULL);
    struct run_result run = run_tasklets();
    /* wake appends the waiter to the run queue: the waker goes on. */
    check_trace("w-park k-wake k-after w-back", SEC_PARK);
    check(parked_seen[0] && strcmp(why_seen, "test_wait") == 0, SEC_PARK,
          "while it waits, tasklet_is_parked should be true and "
          "tasklet_waiting_for \"test_wait\",\n  but they were %s and "
          "\"%s\"", parked_seen[0] ? "true" : "false", why_seen);
    check(!parked_seen[1], SEC_PARK,
          "after tasklet_wake, tasklet_is_parked should be false");
    check_eq(park_result[0], 42, SEC_PARK,
             "tasklet_park's result after tasklet_wake(t, 42)");
    check_eq(unlink_calls, 0, SEC_PARK,
             "calls of the unlink function when the wait ended by a wake");
    check_run(run, SEC_PARK);
}

static void wake_now_then_trace(void *arg)
{
    (void)arg;
    trace("k1");
    if (tasklet_is_parked(waiter))
        tasklet_wake_now(waiter, 7);
    trace("k2");
}

static void test_wake_now_runs_woken_first(void **state)
{
    (void)state;
    trace_reset();
    waiter = spawn_or_fail(park_once, NULL);
    spawn_or_fail(wake_now_then_trace, NULL);
    spawn_or_fail(say, "c1");
    struct run_result run = run_tasklets();
    /* The woken tasklet runs at once; the waker goes behind c. */
    check_trace("w-park k1 w-back c1 k2", SEC_PARK);
    check_eq(park_result[0], 7, SEC_PARK,
             "tasklet_park's result after tasklet_wake_now(t, 7)");
    check_run(run, SEC_PARK);
}

/* ---- interruptions ---- */

static void interrupt_parked(void *arg)
{
    int err = *(int *)arg;
    trace("i1");
    if (err == ECANCELED)
        tasklet_cancel(waiter);
    else
        tasklet_interrupt(waiter, err);
    parked_seen[0] = tasklet_is_parked(waiter);
    trace("i2");
}

static void test_interrupt_parked_tasklet(void **state)
{
    (void)state;
    int err = ETIMEDOUT;
    trace_reset();
    waiter = spawn_or_fail(park_once, NULL);
    spawn_or_fail(interrupt_parked, &err);
    struct run_result run = run_tasklets();
    check_trace("w-park i1 i2 w-back", SEC_INTERRUPT);
    check(unlink_calls == 1 && unlink_t == waiter &&
              unlink_data == &unlink_token,
          SEC_INTERRUPT,
          "interrupting a parked tasklet should call its unlink function "
          "once, with the tasklet and the data given to tasklet_park,\n  "
          "but it was called %d times (last with %p and %p, expected %p "
          "and %p)", unlink_calls, (void *)unlink_t, unlink_data,
          (void *)waiter, (void *)&unlink_token);
    check(!parked_seen[0], SEC_INTERRUPT,
          "right after tasklet_interrupt the tasklet should no longer be "
          "parked");
    check_eq(park_result[0], ETIMEDOUT, SEC_INTERRUPT,
             "tasklet_park's result after tasklet_interrupt(t, ETIMEDOUT)");
    check_run(run, SEC_INTERRUPT);
}

static void test_cancel_parked_tasklet(void **state)
{
    (void)state;
    int err = ECANCELED;
    trace_reset();
    waiter = spawn_or_fail(park_once, NULL);
    spawn_or_fail(interrupt_parked, &err);
    struct run_result run = run_tasklets();
    check_trace("w-park i1 i2 w-back", SEC_INTERRUPT);
    check_eq(unlink_calls, 1, SEC_INTERRUPT,
             "calls of the unlink function when a parked tasklet is "
             "cancelled");
    check_eq(park_result[0], ECANCELED, SEC_INTERRUPT,
             "tasklet_park's result after tasklet_cancel (ECANCELED)");
    check_run(run, SEC_INTERRUPT);
}

/* Parks twice: the first park is meant to fail at once with a pending
 * interruption, the second to block until the other tasklet wakes it. */
static void park_twice(void *arg)
{
    (void)arg;
    trace("t0");
    tasklet_yield();
    park_result[0] = tasklet_park("first", record_unlink, &unlink_token);
    trace("t1");
    tasklet_yield();
    park_result[1] = tasklet_park("second", record_unlink, &unlink_token);
    trace("t2");
}

/* Interrupts the waiter while it is runnable, not parked; arg says how:
 * an error for tasklet_interrupt, or ECANCELED for tasklet_cancel. With
 * clear set, it also drops the interruption with tasklet_clear_interrupt,
 * first naming another error (which must not drop it), then the right one,
 * before the waiter's second park. */
struct early {
    int err;
    bool clear;
    int then; /* if not 0, a second interruption right after the first */
};

static void interrupt_early(void *arg)
{
    const struct early *e = arg;
    if (e->err == ECANCELED)
        tasklet_cancel(waiter);
    else
        tasklet_interrupt(waiter, e->err);
    if (e->then)
        tasklet_interrupt(waiter, e->then);
    if (e->clear)
        tasklet_clear_interrupt(waiter, ENOENT);
    trace("k1");
    tasklet_yield();
    if (e->clear) {
        tasklet_interrupt(waiter, e->err);
        tasklet_clear_interrupt(waiter, e->err);
    }
    trace("k2");
    tasklet_yield();
    parked_seen[0] = tasklet_is_parked(waiter);
    trace("k3");
    if (parked_seen[0])
        tasklet_wake(waiter, 5);
}

static void run_early_interrupt(const struct early *e, const char *how)
{
    trace_reset();
    waiter = spawn_or_fail(park_twice, NULL);
    spawn_or_fail(interrupt_early, (void *)e);
    struct run_result run = run_tasklets();
    check_eq(park_result[0], e->err, SEC_INTERRUPT, how);
    check_eq(unlink_calls, 0, SEC_INTERRUPT,
             "calls of the unlink function when the tasklet was not parked "
             "at the interruption");
    /* The second park blocks until k wakes it: "k3" before "t2". */
    check_trace("t0 k1 t1 k2 k3 t2", SEC_INTERRUPT);
    check_eq(park_result[1], 5, SEC_INTERRUPT,
             "the second park's result: it should block as usual and "
             "return the 5 of tasklet_wake");
    check_run(run, SEC_INTERRUPT);
}

static void test_interrupt_before_park(void **state)
{
    (void)state;
    struct early e = {EINTR, false, 0};
    run_early_interrupt(&e, "the next park's result after "
                            "tasklet_interrupt(t, EINTR) on a tasklet that "
                            "was not parked");
}

static void test_cancel_before_park(void **state)
{
    (void)state;
    struct early e = {ECANCELED, false, 0};
    run_early_interrupt(&e, "the next park's result after tasklet_cancel "
                            "on a tasklet that was not parked");
}

static void test_clear_interrupt(void **state)
{
    (void)state;
    struct early e = {ETIMEDOUT, true, 0};
    run_early_interrupt(&e, "the next park's result after "
                            "tasklet_interrupt(t, ETIMEDOUT) and "
                            "tasklet_clear_interrupt(t, ENOENT), which "
                            "names another error");
}

static void test_cancel_is_never_replaced(void **state)
{
    (void)state;
    struct early e = {ECANCELED, false, ETIMEDOUT};
    run_early_interrupt(&e, "the next park's result after tasklet_cancel "
                            "and then tasklet_interrupt(t, ETIMEDOUT) on a "
                            "tasklet that was not parked: a pending "
                            "cancellation is never replaced");
}

/* ---- deadlock ---- */

static void park_forever(void *arg)
{
    park_result[0] = tasklet_park((const char *)arg, NULL, NULL);
    trace("%s-woke", (const char *)arg);
}

static void test_deadlock_is_reported(void **state)
{
    (void)state;
    char *report = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&report, &len);
    assert_non_null(f); /* plumbing */
    tasklet_set_report_stream(f);
    trace_reset();
    tasklet *named = spawn_or_fail(park_forever, "test_never");
    tasklet_set_name(named, "stuck-reader");
    tasklet *unnamed = spawn_or_fail(park_forever, "test_forever");

    errno = 0;
    int r = tasklet_run();
    int err = errno;
    fflush(f);
    check(r == -1 && err == EDEADLK, SEC_DEADLOCK,
          "with every tasklet parked and no poller, tasklet_run should "
          "return -1 with errno EDEADLK (%d),\n  but it returned %d with "
          "errno %d (%s)", EDEADLK, r, err, strerror(err));
    char unnamed_name[32];
    snprintf(unnamed_name, sizeof unnamed_name, "#%" PRIu64,
             tasklet_id(unnamed));
    const char *want[] = {"stuck-reader", "test_never", unnamed_name,
                          "test_forever"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        check(strstr(report, want[i]) != NULL, SEC_DEADLOCK,
              "the deadlock report should name each blocked tasklet and "
              "what it waits for, here \"%s\",\n  but the report said: "
              "\"%s\"", want[i], report);

    /* A program can recover: cancel the blocked tasklets and run again. */
    tasklet_cancel(named);
    tasklet_cancel(unnamed);
    struct run_result run = run_tasklets();
    check_trace("test_never-woke test_forever-woke", SEC_DEADLOCK);
    check_eq(park_result[0], ECANCELED, SEC_INTERRUPT,
             "the park's result in a tasklet cancelled after the deadlock");
    tasklet_set_report_stream(stderr);
    fclose(f);
    free(report);
    check_run(run, SEC_DEADLOCK);
}

/* ---- pollers ---- */

static tasklet *poll_target; /* parked, for the poller to wake */
static int blocking_polls, nonblocking_polls;

static bool wake_when_idle(bool may_block)
{
    if (!may_block) {
        nonblocking_polls++;
        return poll_target != NULL;
    }
    blocking_polls++;
    if (poll_target == NULL)
        return false;
    tasklet *t = poll_target;
    poll_target = NULL;
    trace("poll-wake");
    tasklet_wake(t, 9);
    return false; /* it holds nothing more */
}

static void park_for_poller(void *arg)
{
    (void)arg;
    poll_target = tasklet_current();
    trace("w-park");
    park_result[0] = tasklet_park("test_poll", NULL, NULL);
    trace("w-back");
}

static void test_poller_wakes_when_idle(void **state)
{
    (void)state;
    trace_reset();
    tasklet_set_poller(wake_when_idle);
    check(tasklet_poller() == wake_when_idle, SEC_POLL,
          "tasklet_poller() should return the poller just set");
    spawn_or_fail(park_for_poller, NULL);
    struct run_result run = run_tasklets();
    tasklet_set_poller(NULL);
    check_trace("w-park poll-wake w-back", SEC_POLL);
    check(blocking_polls >= 1, SEC_POLL,
          "with nothing runnable the scheduler should call the poller with "
          "may_block true, but it never did");
    check_eq(park_result[0], 9, SEC_POLL,
             "the park's result, woken by the poller with 9");
    check_run(run, SEC_POLL);
}

enum { YIELDS = 20 * TASKLET_POLL_INTERVAL };
static int yields_done;       /* by both tasklets together */
static int last_poll_at;      /* yields_done at the last non-blocking poll */
static int longest_poll_gap;  /* the most yields between two such polls */

static bool count_polls(bool may_block)
{
    if (!may_block) {
        nonblocking_polls++;
        if (yields_done - last_poll_at > longest_poll_gap)
            longest_poll_gap = yields_done - last_poll_at;
        last_poll_at = yields_done;
    } else {
        blocking_polls++;
    }
    return false;
}

static void yield_a_lot(void *arg)
{
    (void)arg;
    for (int i = 0; i < YIELDS / 2; i++) {
        yields_done++;
        tasklet_yield();
    }
}

static void test_poller_not_starved(void **state)
{
    (void)state;
    tasklet_set_poller(count_polls);
    spawn_or_fail(yield_a_lot, NULL);
    spawn_or_fail(yield_a_lot, NULL);
    struct run_result run = run_tasklets();
    tasklet_set_poller(NULL);
    if (yields_done - last_poll_at > longest_poll_gap) /* after the last */
        longest_poll_gap = yields_done - last_poll_at;
    check(nonblocking_polls >= 1, SEC_POLL,
          "while tasklets keep yielding (%d switches), the scheduler should "
          "call the poller with may_block false every "
          "TASKLET_POLL_INTERVAL (%d) switches,\n  but it never did",
          YIELDS, TASKLET_POLL_INTERVAL);
    check(longest_poll_gap <= 2 * TASKLET_POLL_INTERVAL, SEC_POLL,
          "the scheduler should poll every TASKLET_POLL_INTERVAL (%d) "
          "switches,\n  but once %d yields passed between two polls "
          "(%d polls in %d yields)", TASKLET_POLL_INTERVAL,
          longest_poll_gap, nonblocking_polls, YIELDS);
    check_run(run, SEC_POLL);
}

HARNESS_TESTS("chapters/02-tasklets.md",
              cmocka_unit_test(test_park_and_wake),
              cmocka_unit_test(test_wake_now_runs_woken_first),
              cmocka_unit_test(test_interrupt_parked_tasklet),
              cmocka_unit_test(test_cancel_parked_tasklet),
              cmocka_unit_test(test_interrupt_before_park),
              cmocka_unit_test(test_cancel_before_park),
              cmocka_unit_test(test_clear_interrupt),
              cmocka_unit_test(test_cancel_is_never_replaced),
              cmocka_unit_test(test_deadlock_is_reported),
              cmocka_unit_test(test_poller_wakes_when_idle),
              cmocka_unit_test(test_poller_not_starved))
