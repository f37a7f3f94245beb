/*
 * test_deadline.c - step 04: deadlines and cancellation.
 *
 * A deadline makes the one blocking call waiting when it comes (or the
 * next one, if none waits then) fail with ETIMEDOUT, and no other; a
 * deadline that does not expire leaves nothing behind. tasklet_cancel ends
 * a sleep, a send or a receive with ECANCELED and removes the tasklet's
 * timer and channel waits; a tasklet cancelled while runnable fails its
 * next blocking call, once.
 *
 * All on the test clock (see test_timer.c): waiting moves the clock to the
 * deadline at once, so the times checked are exact.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "tasklet.h"
#include "timer.h"

#define S_DEADLINE "Deadlines"
#define S_CANCEL "Cancellation"
#define S_FAKE_CLOCK "A clock for tests"

/* ---- the test clock ---- */

#define BASE TIMER_MS(1000000)
#define MS(t) ((long long)(((t) - BASE) / TIMER_MS(1)))

static int64_t fake_time;

static int64_t fake_now(void)
{
    return fake_time;
}

static void fake_wait_until(int64_t deadline)
{
    if (deadline != TIMER_NEVER && deadline > fake_time)
        fake_time = deadline;
}

/* Installs the test clock, and timer_poll as the scheduler's poller (a
 * deadline alone does not call timer_sleep, which would install it). */
static void use_fake_clock(void)
{
    fake_time = BASE;
    timer_set_clock(fake_now, fake_wait_until);
    tasklet_set_poller(timer_poll);
    check(timer_now() == BASE, S_FAKE_CLOCK,
          "after timer_set_clock(fake_now, ...), timer_now should return the "
          "test clock's time");
}

/* ---- helpers ---- */

/* What a blocking call returned, and when on the test clock. */
struct call {
    bool done;
    int ret;
    int err;
    int64_t at;
};

static struct call record(int ret)
{
    return (struct call){.done = true, .ret = ret,
                         .err = ret < 0 ? errno : 0, .at = timer_now()};
}

static const char *err_name(int e)
{
    switch (e) {
    case ECANCELED: return "ECANCELED";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EDEADLK: return "EDEADLK";
    case EPIPE: return "EPIPE";
    case ENOSYS: return "ENOSYS (still the starter's TODO?)";
    }
    return strerror(e);
}

static const char *describe_got(struct call c, char *buf, size_t size)
{
    if (!c.done)
        snprintf(buf, size, "no return at all (the tasklet never came back "
                            "from the call)");
    else if (c.ret == 0)
        snprintf(buf, size, "0 at base + %lld ms", MS(c.at));
    else
        snprintf(buf, size, "%d with errno %s at base + %lld ms", c.ret,
                 err_name(c.err), MS(c.at));
    return buf;
}

/* Checks a call's result (0, or -1 and errno) and the test clock's time
 * when it returned, in ms after the start. */
#define check_call(got, want_err, want_ms, section, what)                   \
    do {                                                                    \
        struct call g_ = (got);                                             \
        int we_ = (want_err);                                               \
        long long wm_ = (want_ms);                                          \
        bool ok_ = g_.done && (we_ == 0 ? g_.ret == 0                       \
                                        : g_.ret == -1 && g_.err == we_);   \
        check(ok_ && MS(g_.at) == wm_, section,                             \
              "%s: expected %s%s at base + %lld ms, got %s", what,          \
              we_ == 0 ? "0" : "-1 with errno ",                            \
              we_ == 0 ? "" : err_name(we_), wm_,                           \
              describe_got(g_, (char[160]){0}, 160));                       \
    } while (0)

static tasklet *spawn(void (*fn)(void *), void *arg, const char *name)
{
    tasklet *t = tasklet_spawn(fn, arg);
    check(t != NULL, S_DEADLINE,
          "tasklet_spawn returned NULL (errno %d): step 02 must work first",
          errno);
    if (name)
        tasklet_set_name(t, name);
    return t;
}

static void run_all(const char *section)
{
    errno = 0;
    int r = tasklet_run();
    int e = errno;
    check(r == 0, section,
          "tasklet_run: expected 0 (every tasklet finished), got %d with "
          "errno %s",
          r, err_name(e));
}

static chan *new_chan(void)
{
    chan *c = chan_create();
    check(c != NULL, S_DEADLINE, "chan_create returned NULL: step 03 must "
                                 "work first");
    return c;
}

#define check_expired(got, want, what)                                      \
    check((got) == (want), S_DEADLINE,                                      \
          "timer_deadline_end for %s: expected %s, got %s", what,           \
          (want) ? "true (it expired)" : "false (it did not expire)",       \
          (got) ? "true" : "false")

#define check_no_timers(when, section)                                      \
    check(timer_count() == 0, section,                                      \
          "%s, no timer should be left armed; timer_count is %zu", when,    \
          timer_count())

#define check_clock_ends(ms, why)                                           \
    check(MS(fake_time) == (ms), S_DEADLINE,                                \
          "the test clock should end at base + %d ms (%s); it is at base "  \
          "+ %lld ms",                                                      \
          ms, why, MS(fake_time))

static chan *ch;
static int token;

/* ---- a deadline that expires ---- */

static struct call calls[4];
static bool expired[4];
static size_t timers_after;

static void receive_with_deadline(void *arg)
{
    (void)arg;
    struct timer_deadline d;
    void *v;
    timer_deadline_begin(&d, timer_now() + TIMER_MS(50));
    calls[0] = record(chan_receive(ch, &v));
    expired[0] = timer_deadline_end(&d);
    timers_after = timer_count();
}

static void send_with_deadline(void *arg)
{
    (void)arg;
    struct timer_deadline d;
    timer_deadline_begin(&d, timer_now() + TIMER_MS(50));
    calls[0] = record(chan_send(ch, &token));
    expired[0] = timer_deadline_end(&d);
    timers_after = timer_count();
}

static void run_expiring(void (*fn)(void *), const char *what)
{
    use_fake_clock();
    ch = new_chan();
    spawn(fn, NULL, "waiter");
    run_all(S_DEADLINE);
    check_call(calls[0], ETIMEDOUT, 50, S_DEADLINE, what);
    check_expired(expired[0], true, "a deadline that cut a call short");
    check(timers_after == 0, S_DEADLINE,
          "after timer_deadline_end, the deadline's timer should be gone; "
          "timer_count is %zu", timers_after);
    check_eq(chan_balance(ch), 0, S_DEADLINE,
             "the channel's balance after the timed-out call (the tasklet "
             "must leave its wait queue)");
    chan_destroy(ch);
}

static void test_deadline_expires_in_receive(void **state)
{
    (void)state;
    run_expiring(receive_with_deadline,
                 "chan_receive with no sender and a deadline 50 ms away");
}

static void test_deadline_expires_in_send(void **state)
{
    (void)state;
    run_expiring(send_with_deadline,
                 "chan_send with no receiver and a deadline 50 ms away");
}

static void sleep_with_deadline(void *arg)
{
    (void)arg;
    struct timer_deadline d;
    timer_deadline_begin(&d, timer_now() + TIMER_MS(30));
    calls[0] = record(timer_sleep(TIMER_MS(100)));
    expired[0] = timer_deadline_end(&d);
    timers_after = timer_count();
}

static void test_deadline_expires_in_sleep(void **state)
{
    (void)state;
    use_fake_clock();
    spawn(sleep_with_deadline, NULL, "sleeper");
    run_all(S_DEADLINE);
    check_call(calls[0], ETIMEDOUT, 30, S_DEADLINE,
               "timer_sleep(100 ms) with a deadline 30 ms away");
    check_expired(expired[0], true, "a deadline that cut a sleep short");
    check(timers_after == 0, S_DEADLINE,
          "after the deadline ended, neither the sleep's timer nor the "
          "deadline's should be armed; timer_count is %zu", timers_after);
    check_clock_ends(30, "nothing should wait for the abandoned sleep");
}

/* ---- a deadline already past, or passing while the tasklet runs ---- */

static void past_deadline(void *arg)
{
    (void)arg;
    struct timer_deadline d;
    void *v;
    timer_deadline_begin(&d, timer_now() - TIMER_MS(1));
    calls[0] = record(chan_receive(ch, &v));
    calls[1] = record(timer_sleep(TIMER_MS(10))); /* only one call fails */
    expired[0] = timer_deadline_end(&d);
}

static void test_deadline_already_past(void **state)
{
    (void)state;
    use_fake_clock();
    ch = new_chan();
    spawn(past_deadline, NULL, "late");
    run_all(S_DEADLINE);
    check_call(calls[0], ETIMEDOUT, 0, S_DEADLINE,
               "chan_receive under a deadline that had already passed (it "
               "must fail at once)");
    check_call(calls[1], 0, 10, S_DEADLINE,
               "a second blocking call, timer_sleep(10 ms), under the same "
               "expired deadline (only one call fails)");
    check_expired(expired[0], true, "a deadline that had already passed");
    check_eq(chan_balance(ch), 0, S_DEADLINE, "the channel's balance");
    chan_destroy(ch);
}

static void deadline_while_running(void *arg)
{
    (void)arg;
    struct timer_deadline d;
    void *v;
    timer_deadline_begin(&d, timer_now() + TIMER_MS(10));
    fake_time = BASE + TIMER_MS(20); /* 20 ms of work go by */
    for (int i = 0; i < 4 * TASKLET_POLL_INTERVAL; i++)
        tasklet_yield();
    calls[0] = record(chan_receive(ch, &v));
    calls[1] = record(timer_sleep(TIMER_MS(5)));
    expired[0] = timer_deadline_end(&d);
}

/* The deadline fires while the tasklet runs, and no blocking call comes
 * before timer_deadline_end: the ETIMEDOUT left pending must go with the
 * deadline, not hit the next sleep outside it. */
static void deadline_ends_unused(void *arg)
{
    (void)arg;
    struct timer_deadline d;
    timer_deadline_begin(&d, timer_now() + TIMER_MS(10));
    fake_time = BASE + TIMER_MS(20);
    for (int i = 0; i < 4 * TASKLET_POLL_INTERVAL; i++)
        tasklet_yield();
    expired[0] = timer_deadline_end(&d);
    calls[0] = record(timer_sleep(TIMER_MS(5)));
}

static void yielder(void *arg)
{
    (void)arg;
    for (int i = 0; i < 4 * TASKLET_POLL_INTERVAL; i++)
        tasklet_yield();
}

static void test_deadline_passing_while_running(void **state)
{
    (void)state;
    use_fake_clock();
    ch = new_chan();
    spawn(deadline_while_running, NULL, "worker");
    spawn(yielder, NULL, "yielder");
    run_all(S_DEADLINE);
    check_call(calls[0], ETIMEDOUT, 20, S_DEADLINE,
               "the first blocking call (chan_receive) after the deadline "
               "passed while the tasklet was running");
    check_call(calls[1], 0, 25, S_DEADLINE,
               "the blocking call after that, timer_sleep(5 ms) (only one "
               "call fails)");
    check_expired(expired[0], true, "a deadline that passed while running");
    chan_destroy(ch);
}

static void test_deadline_end_drops_pending_timeout(void **state)
{
    (void)state;
    use_fake_clock();
    spawn(deadline_ends_unused, NULL, "worker");
    spawn(yielder, NULL, "yielder");
    run_all(S_DEADLINE);
    check_expired(expired[0], true, "a deadline that passed while running");
    check_call(calls[0], 0, 25, S_DEADLINE,
               "timer_sleep(5 ms) after timer_deadline_end of a deadline "
               "that fired while no call was waiting");
}

/* ---- a deadline that does not expire ---- */

static size_t timers_after_end;

static void receive_in_time(void *arg)
{
    (void)arg;
    struct timer_deadline d;
    void *v = NULL;
    timer_deadline_begin(&d, timer_now() + TIMER_MS(50));
    calls[0] = record(chan_receive(ch, &v));
    expired[0] = timer_deadline_end(&d);
    timers_after_end = timer_count();
    /* A stale deadline would cut this sleep short at 50 ms. */
    calls[1] = record(timer_sleep(TIMER_MS(100)));
    calls[2] = record(chan_receive(ch, &v));
}

static void prompt_sender(void *arg)
{
    (void)arg;
    chan_send(ch, &token);
    timer_sleep(TIMER_MS(120));
    chan_send(ch, &token);
}

static void test_deadline_not_reached(void **state)
{
    (void)state;
    use_fake_clock();
    ch = new_chan();
    spawn(receive_in_time, NULL, "receiver");
    spawn(prompt_sender, NULL, "sender");
    run_all(S_DEADLINE);
    check_call(calls[0], 0, 0, S_DEADLINE,
               "chan_receive under a deadline 50 ms away, with a sender "
               "arriving at once");
    check_expired(expired[0], false, "a deadline that never came");
    check(timers_after_end == 0, S_DEADLINE,
          "after timer_deadline_end, the deadline's timer should be "
          "stopped; timer_count is %zu", timers_after_end);
    check_call(calls[1], 0, 100, S_DEADLINE,
               "timer_sleep(100 ms) after the deadline ended (a stale "
               "deadline must not cut it short at 50 ms)");
    check_call(calls[2], 0, 120, S_DEADLINE,
               "a later chan_receive, served at 120 ms");
}

static void nested_deadlines(void *arg)
{
    (void)arg;
    struct timer_deadline outer, inner;
    void *v;
    /* The inner deadline comes first. */
    timer_deadline_begin(&outer, BASE + TIMER_MS(100));
    timer_deadline_begin(&inner, BASE + TIMER_MS(50));
    calls[0] = record(chan_receive(ch, &v));
    expired[0] = timer_deadline_end(&inner);
    calls[1] = record(chan_receive(ch, &v));
    expired[1] = timer_deadline_end(&outer);
    /* The outer deadline comes first. */
    timer_deadline_begin(&outer, BASE + TIMER_MS(130));
    timer_deadline_begin(&inner, BASE + TIMER_MS(200));
    calls[2] = record(chan_receive(ch, &v));
    expired[2] = timer_deadline_end(&inner);
    expired[3] = timer_deadline_end(&outer);
    timers_after = timer_count();
}

static void test_deadlines_nest(void **state)
{
    (void)state;
    use_fake_clock();
    ch = new_chan();
    spawn(nested_deadlines, NULL, "nested");
    run_all(S_DEADLINE);
    check_call(calls[0], ETIMEDOUT, 50, S_DEADLINE,
               "chan_receive under an outer deadline at 100 ms and an inner "
               "one at 50 ms");
    check_expired(expired[0], true, "the inner deadline at 50 ms");
    check_call(calls[1], ETIMEDOUT, 100, S_DEADLINE,
               "the next chan_receive, under the outer deadline at 100 ms");
    check_expired(expired[1], true, "the outer deadline at 100 ms");
    check_call(calls[2], ETIMEDOUT, 130, S_DEADLINE,
               "chan_receive under an outer deadline at 130 ms and an inner "
               "one at 200 ms");
    check_expired(expired[2], false, "the inner deadline at 200 ms, ended "
                                     "at 130 ms");
    check_expired(expired[3], true, "the outer deadline at 130 ms");
    check(timers_after == 0, S_DEADLINE,
          "after both deadlines ended, timer_count should be 0, is %zu",
          timers_after);
    check_clock_ends(130, "nothing should wait for the inner deadline "
                          "that was ended");
    chan_destroy(ch);
}

/* ---- cancellation ---- */

static tasklet *victim;
static size_t timers_before_cancel, timers_after_cancel;
static int balance_before_cancel, balance_after_cancel;

/* Sleeps 10 ms, then cancels the victim, noting the timers and the
 * channel's balance on either side. */
static void canceller(void *arg)
{
    (void)arg;
    timer_sleep(TIMER_MS(10));
    timers_before_cancel = timer_count();
    balance_before_cancel = ch ? chan_balance(ch) : 0;
    tasklet_cancel(victim);
    timers_after_cancel = timer_count();
    balance_after_cancel = ch ? chan_balance(ch) : 0;
}

static void long_sleep(void *arg)
{
    (void)arg;
    calls[0] = record(timer_sleep(TIMER_MS(1000)));
}

static void test_cancel_sleeping_tasklet(void **state)
{
    (void)state;
    use_fake_clock();
    ch = NULL;
    victim = spawn(long_sleep, NULL, "sleeper");
    spawn(canceller, NULL, "canceller");
    run_all(S_CANCEL);
    check_call(calls[0], ECANCELED, 10, S_CANCEL,
               "timer_sleep(1000 ms) of a tasklet cancelled at 10 ms");
    check(timers_before_cancel == 1 && timers_after_cancel == 0, S_CANCEL,
          "cancelling a sleeping tasklet should stop its timer at once: "
          "timer_count went from %zu to %zu (expected 1 to 0)",
          timers_before_cancel, timers_after_cancel);
    check_clock_ends(10, "nothing should wait for the cancelled sleep");
}

static void run_cancel_with_deadline(void (*victim_fn)(void *),
                                     int blocked_balance, const char *what)
{
    use_fake_clock();
    ch = new_chan();
    victim = spawn(victim_fn, NULL, "victim");
    spawn(canceller, NULL, "canceller");
    run_all(S_CANCEL);
    check_call(calls[0], ECANCELED, 10, S_CANCEL, what);
    check_expired(expired[0], false,
                  "a deadline 1000 ms away, when the call was cancelled at "
                  "10 ms");
    check_eq(balance_before_cancel, blocked_balance, S_CANCEL,
             "the channel's balance while the victim waits");
    check(balance_after_cancel == 0, S_CANCEL,
          "right after tasklet_cancel, the victim should be out of the "
          "channel's wait queue (balance 0), got %d", balance_after_cancel);
    check(timers_after == 0, S_CANCEL,
          "after the cancelled call and timer_deadline_end, no timer should "
          "be armed; timer_count is %zu", timers_after);
    check_clock_ends(10, "nothing should wait for the abandoned deadline");
    chan_destroy(ch);
}

static void receive_long_deadline(void *arg)
{
    (void)arg;
    struct timer_deadline d;
    void *v;
    timer_deadline_begin(&d, timer_now() + TIMER_MS(1000));
    calls[0] = record(chan_receive(ch, &v));
    expired[0] = timer_deadline_end(&d);
    timers_after = timer_count();
}

static void send_long_deadline(void *arg)
{
    (void)arg;
    struct timer_deadline d;
    timer_deadline_begin(&d, timer_now() + TIMER_MS(1000));
    calls[0] = record(chan_send(ch, &token));
    expired[0] = timer_deadline_end(&d);
    timers_after = timer_count();
}

static void test_cancel_receive_with_deadline(void **state)
{
    (void)state;
    run_cancel_with_deadline(receive_long_deadline, -1,
                             "chan_receive (under a deadline) of a tasklet "
                             "cancelled at 10 ms");
}

static void test_cancel_send_with_deadline(void **state)
{
    (void)state;
    run_cancel_with_deadline(send_long_deadline, 1,
                             "chan_send (under a deadline) of a tasklet "
                             "cancelled at 10 ms");
}

static void two_sleeps(void *arg)
{
    (void)arg;
    calls[0] = record(timer_sleep(TIMER_MS(10)));
    calls[1] = record(timer_sleep(TIMER_MS(10)));
}

static void test_cancel_runnable_tasklet(void **state)
{
    (void)state;
    use_fake_clock();
    victim = spawn(two_sleeps, NULL, "victim");
    tasklet_cancel(victim); /* it has not run yet */
    run_all(S_CANCEL);
    check_call(calls[0], ECANCELED, 0, S_CANCEL,
               "the first blocking call (timer_sleep) of a tasklet cancelled "
               "before it ran (it must fail at once)");
    check_call(calls[1], 0, 10, S_CANCEL,
               "the second timer_sleep(10 ms) of a cancelled tasklet (the "
               "cancellation is delivered once)");
    check_no_timers("at the end", S_CANCEL);
}

static void cancelled_then_deadline(void *arg)
{
    (void)arg;
    struct timer_deadline d;
    void *v;
    timer_deadline_begin(&d, timer_now() + TIMER_MS(10));
    fake_time = BASE + TIMER_MS(20); /* 20 ms of work go by */
    for (int i = 0; i < 4 * TASKLET_POLL_INTERVAL; i++)
        tasklet_yield();
    calls[0] = record(chan_receive(ch, &v));
    calls[1] = record(timer_sleep(TIMER_MS(5)));
    expired[0] = timer_deadline_end(&d);
}

static void test_cancel_wins_over_deadline(void **state)
{
    (void)state;
    use_fake_clock();
    ch = new_chan();
    victim = spawn(cancelled_then_deadline, NULL, "victim");
    spawn(yielder, NULL, "yielder");
    tasklet_cancel(victim); /* pending when its deadline passes, too */
    run_all(S_CANCEL);
    check_call(calls[0], ECANCELED, 20, S_CANCEL,
               "the first blocking call of a tasklet cancelled before it "
               "ran, whose deadline also passed before that call (a "
               "pending cancellation is not replaced by ETIMEDOUT)");
    check_call(calls[1], 0, 25, S_CANCEL,
               "the blocking call after that, timer_sleep(5 ms) (one call "
               "fails, not one per interruption)");
    check_expired(expired[0], true, "a deadline that passed while a "
                                    "cancellation was pending");
    check_eq(chan_balance(ch), 0, S_CANCEL, "the channel's balance");
    chan_destroy(ch);
}

HARNESS_TESTS("chapters/04-timers.md",
              cmocka_unit_test(test_deadline_expires_in_receive),
              cmocka_unit_test(test_deadline_expires_in_send),
              cmocka_unit_test(test_deadline_expires_in_sleep),
              cmocka_unit_test(test_deadline_already_past),
              cmocka_unit_test(test_deadline_passing_while_running),
              cmocka_unit_test(test_deadline_end_drops_pending_timeout),
              cmocka_unit_test(test_deadline_not_reached),
              cmocka_unit_test(test_deadlines_nest),
              cmocka_unit_test(test_cancel_sleeping_tasklet),
              cmocka_unit_test(test_cancel_receive_with_deadline),
              cmocka_unit_test(test_cancel_send_with_deadline),
              cmocka_unit_test(test_cancel_runnable_tasklet),
              cmocka_unit_test(test_cancel_wins_over_deadline))
