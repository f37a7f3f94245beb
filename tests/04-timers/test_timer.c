/*
 * test_timer.c - step 04: the clock, timers on a heap, sleeping, and the
 * timer poller.
 *
 * Every test but two runs on a test clock: fake_now returns a variable and
 * fake_wait_until moves it forward to the deadline it is given, so sleeps
 * take no real time and wake-up times are exact. The two others use the
 * real monotonic clock: timer_now must be monotonic, and tasklets that
 * sleep must cost (almost) no CPU time.
 *
 * Tasklets record what they saw into globals and the trace; the checks run
 * on the main tasklet once tasklet_run has returned.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "chan.h"
#include "tasklet.h"
#include "timer.h"

#define S_CLOCK "The clock"
#define S_FAKE_CLOCK "A clock for tests"
#define S_HEAP "A heap of timers"
#define S_SLEEP "Sleeping"
#define S_POLLER "Letting the scheduler sleep"

/* ---- the test clock ---- */

#define BASE TIMER_MS(1000000) /* the test clock starts at 1000 s */
#define MS(t) ((long long)(((t) - BASE) / TIMER_MS(1)))

static int64_t fake_time;
static int fake_waits;

static int64_t fake_now(void)
{
    return fake_time;
}

/* Waiting on the test clock takes no time: it just moves the clock on. */
static void fake_wait_until(int64_t deadline)
{
    fake_waits++;
    if (deadline != TIMER_NEVER && deadline > fake_time)
        fake_time = deadline;
}

static void use_fake_clock(void)
{
    fake_time = BASE;
    timer_set_clock(fake_now, fake_wait_until);
    int64_t now = timer_now();
    check(now == BASE, S_FAKE_CLOCK,
          "after timer_set_clock(fake_now, ...), timer_now should return the "
          "test clock's time %lld, got %lld",
          (long long)BASE, (long long)now);
}

/* ---- helpers ---- */

static tasklet *spawn(void (*fn)(void *), void *arg, const char *name)
{
    tasklet *t = tasklet_spawn(fn, arg);
    check(t != NULL, S_SLEEP,
          "tasklet_spawn returned NULL (errno %d): step 02 must work first",
          errno);
    if (name)
        tasklet_set_name(t, name);
    return t;
}

static const char *err_name(int e)
{
    switch (e) {
    case 0: return "0";
    case ECANCELED: return "ECANCELED";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EDEADLK: return "EDEADLK";
    case ENOSYS: return "ENOSYS (still the starter's TODO?)";
    case EINTR: return "EINTR";
    }
    return strerror(e);
}

static void run_all(const char *section)
{
    errno = 0;
    int r = tasklet_run();
    int e = errno;
    check(r == 0, section,
          "tasklet_run: expected 0 (every tasklet woke and finished), got %d "
          "with errno %s",
          r, err_name(e));
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the clock ---- */

static void test_now_is_monotonic(void **state)
{
    (void)state;
    timer_set_clock(NULL, NULL);
    int64_t before = monotonic_ns();
    int64_t t0 = timer_now();
    int64_t after = monotonic_ns();
    check(before <= t0 && t0 <= after, S_CLOCK,
          "timer_now should read CLOCK_MONOTONIC in nanoseconds: expected a "
          "time between %lld and %lld, got %lld",
          (long long)before, (long long)after, (long long)t0);

    int64_t last = t0;
    for (int i = 0; i < 100000; i++) {
        int64_t now = timer_now();
        check(now >= last, S_CLOCK,
              "timer_now went backwards: %lld after %lld", (long long)now,
              (long long)last);
        last = now;
    }
    struct timespec two_ms = {0, 2 * 1000 * 1000};
    nanosleep(&two_ms, NULL);
    int64_t t1 = timer_now();
    check(t1 - t0 >= TIMER_MS(2), S_CLOCK,
          "timer_now should advance by at least 2 ms across a 2 ms "
          "nanosleep, advanced by %lld ns",
          (long long)(t1 - t0));
}

static void test_clock_can_be_replaced(void **state)
{
    (void)state;
    use_fake_clock();
    fake_time = BASE + 12345;
    check_eq(timer_now(), BASE + 12345, S_FAKE_CLOCK,
             "timer_now after the test clock moved on");
    timer_set_clock(NULL, NULL);
    int64_t before = monotonic_ns();
    int64_t now = timer_now();
    int64_t after = monotonic_ns();
    check(before <= now && now <= after, S_FAKE_CLOCK,
          "timer_set_clock(NULL, NULL) should restore the monotonic clock: "
          "expected a time between %lld and %lld, got %lld",
          (long long)before, (long long)after, (long long)now);
}

/* ---- timers on a heap ---- */

struct named_timer {
    struct timer timer; /* first, so a struct timer * is one of these */
    const char *name;
    int fired;
    int64_t fired_at;
};

static void note_fire(struct timer *t)
{
    struct named_timer *n = (struct named_timer *)t;
    n->fired++;
    n->fired_at = timer_now();
    trace("%s", n->name);
}

#define check_count(want, when)                                            \
    check(timer_count() == (size_t)(want), S_HEAP,                         \
          "%s, timer_count should be %d, got %zu", when, (int)(want),      \
          timer_count())

/* "base + 10 ms", "TIMER_NEVER", for messages. */
static const char *time_text(int64_t t, char *buf, size_t size)
{
    if (t == TIMER_NEVER)
        snprintf(buf, size, "TIMER_NEVER");
    else if ((t - BASE) % TIMER_MS(1) == 0)
        snprintf(buf, size, "base + %lld ms", MS(t));
    else
        snprintf(buf, size, "base + %lld ns", (long long)(t - BASE));
    return buf;
}

#define check_next(want, when)                                             \
    do {                                                                   \
        int64_t n_ = timer_next(), w_ = (want);                            \
        check(n_ == w_, S_HEAP, "%s, timer_next should be %s, got %s",     \
              when, time_text(w_, (char[48]){0}, 48),                      \
              time_text(n_, (char[48]){0}, 48));                           \
    } while (0)

static void test_start_stop_restart(void **state)
{
    (void)state;
    use_fake_clock();
    trace_reset();
    struct named_timer t1 = {.name = "t1"}, t2 = {.name = "t2"},
                       t3 = {.name = "t3"};
    check(!timer_armed(&t1.timer), S_HEAP,
          "a zeroed struct timer should not be armed");
    check_count(0, "before any timer starts");
    check_next(TIMER_NEVER, "with no timer armed");

    int r1 = timer_start(&t1.timer, BASE + TIMER_MS(10), note_fire);
    int r2 = timer_start(&t2.timer, BASE + TIMER_MS(20), note_fire);
    int r3 = timer_start(&t3.timer, BASE + TIMER_MS(30), note_fire);
    check(r1 == 0 && r2 == 0 && r3 == 0, S_HEAP,
          "timer_start should return 0, returned %d, %d and %d", r1, r2, r3);
    check_count(3, "after starting three timers");
    check_next(BASE + TIMER_MS(10), "with timers at 10, 20 and 30 ms");
    check(timer_armed(&t1.timer) && timer_armed(&t2.timer) &&
              timer_armed(&t3.timer),
          S_HEAP, "timer_armed should be true for every started timer");
    check_eq(timer_fire_due(), 0, S_HEAP,
             "timer_fire_due before any deadline has come");

    timer_stop(&t1.timer);
    check(!timer_armed(&t1.timer), S_HEAP,
          "timer_armed should be false after timer_stop");
    check_count(2, "after stopping one of three");
    check_next(BASE + TIMER_MS(20), "after stopping the 10 ms timer");
    timer_stop(&t1.timer);
    check_count(2, "after stopping the same timer again (harmless)");

    timer_start(&t3.timer, BASE + TIMER_MS(5), note_fire);
    check_count(2, "after restarting an armed timer (it moves, it is not "
                   "added twice)");
    check_next(BASE + TIMER_MS(5), "after moving the 30 ms timer to 5 ms");

    fake_time = BASE + TIMER_MS(25);
    check_eq(timer_fire_due(), 2, S_HEAP,
             "timer_fire_due at 25 ms with timers due at 5 and 20 ms");
    check_trace("t3 t2", S_HEAP);
    check(t2.fired == 1 && t3.fired == 1, S_HEAP,
          "each due timer should fire exactly once (t2 fired %d times, t3 "
          "%d times)", t2.fired, t3.fired);
    check(!timer_armed(&t2.timer) && !timer_armed(&t3.timer), S_HEAP,
          "a timer that has fired should no longer be armed");
    check_count(0, "after every armed timer fired");
    check_next(TIMER_NEVER, "after every armed timer fired");

    fake_time = BASE + TIMER_MS(100);
    check_eq(timer_fire_due(), 0, S_HEAP,
             "timer_fire_due long after the stopped timer's deadline");
    check_eq(t1.fired, 0, S_HEAP, "times a stopped timer fired");

    timer_start(&t1.timer, BASE + TIMER_MS(50), note_fire);
    check_eq(timer_fire_due(), 1, S_HEAP,
             "timer_fire_due after starting a timer whose deadline has "
             "passed (it fires on the next turn)");
    check_eq(t1.fired, 1, S_HEAP, "times the late timer fired");
}

static void test_equal_deadlines_fire_in_start_order(void **state)
{
    (void)state;
    use_fake_clock();
    trace_reset();
    static const char *names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    struct named_timer t[8];
    /* Started a to h; c and f are due earlier, the rest all at 10 ms. */
    for (int i = 0; i < 8; i++) {
        t[i] = (struct named_timer){.name = names[i]};
        int64_t at = (i == 2 || i == 5) ? TIMER_MS(5) : TIMER_MS(10);
        timer_start(&t[i].timer, BASE + at, note_fire);
    }
    fake_time = BASE + TIMER_MS(10);
    check_eq(timer_fire_due(), 8, S_HEAP, "timers fired at 10 ms");
    check_trace("c f a b d e g h", S_HEAP);
}

/* A fixed-seed generator, so every run sees the same "random" numbers. */
static uint64_t lcg_state;
static uint32_t lcg(void)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(lcg_state >> 33);
}

enum { NHEAP = 2000 };
static struct named_timer heap_timers[NHEAP];
static int heap_fire_order[NHEAP];
static int heap_fired;

static void note_heap_fire(struct timer *t)
{
    struct named_timer *n = (struct named_timer *)t;
    n->fired++;
    n->fired_at = timer_now();
    if (heap_fired < NHEAP)
        heap_fire_order[heap_fired] = (int)(n - heap_timers);
    heap_fired++;
}

static void test_heap_keeps_order_through_stops_and_moves(void **state)
{
    (void)state;
    use_fake_clock();
    lcg_state = 42;
    bool armed[NHEAP];
    int64_t deadline[NHEAP];
    for (int i = 0; i < NHEAP; i++) {
        deadline[i] = BASE + TIMER_MS(1 + lcg() % 500);
        timer_start(&heap_timers[i].timer, deadline[i], note_heap_fire);
        armed[i] = true;
    }
    /* Stop some and move others, so that timers leave and enter the
     * middle of the heap. */
    for (int i = 0; i < NHEAP; i++) {
        if (i % 3 == 0) {
            timer_stop(&heap_timers[i].timer);
            armed[i] = false;
        } else if (i % 5 == 1) {
            deadline[i] = BASE + TIMER_MS(1 + lcg() % 500);
            timer_start(&heap_timers[i].timer, deadline[i], note_heap_fire);
        }
    }
    int narmed = 0;
    for (int i = 0; i < NHEAP; i++)
        narmed += armed[i];
    check_count(narmed, "after starting 2000 timers, stopping a third and "
                        "moving some");

    /* Walk the clock forward 7 ms at a time; timer_next must always be
     * the earliest armed deadline, and each timer fire at the first turn
     * at or after its deadline. */
    while (timer_count() > 0) {
        int64_t earliest = TIMER_NEVER;
        for (int i = 0; i < NHEAP; i++)
            if (armed[i] && heap_timers[i].fired == 0 && deadline[i] < earliest)
                earliest = deadline[i];
        check_next(earliest, "walking the clock through 2000 timers");
        check(fake_time < BASE + TIMER_MS(1000), S_HEAP,
              "timer_count stays %zu after every deadline has passed",
              timer_count());
        fake_time += TIMER_MS(7);
        timer_fire_due();
    }
    check_eq(heap_fired, narmed, S_HEAP, "timers fired in all");
    for (int k = 0; k < heap_fired; k++) {
        int i = heap_fire_order[k];
        check(armed[i], S_HEAP, "timer %d fired although it was stopped", i);
        check_eq(heap_timers[i].fired, 1, S_HEAP, "times one timer fired");
        int64_t at = heap_timers[i].fired_at;
        check(at >= deadline[i] && at < deadline[i] + TIMER_MS(7), S_HEAP,
              "a timer due at base + %lld ms fired at base + %lld ms; it "
              "should fire at the first timer_fire_due at or after its "
              "deadline",
              MS(deadline[i]), MS(at));
        if (k > 0) {
            int j = heap_fire_order[k - 1];
            check(deadline[j] <= deadline[i], S_HEAP,
                  "timers should fire in deadline order: one due at base + "
                  "%lld ms fired before one due at base + %lld ms",
                  MS(deadline[j]), MS(deadline[i]));
        }
    }
}

/* ---- sleeping ---- */

struct sleeper {
    const char *name;
    int64_t ns;  /* how long, for timer_sleep */
    int64_t at;  /* or until when (used if ns < 0), for timer_sleep_until */
    int ret, err;
    int64_t woke;
    bool done;   /* the sleep returned */
};

static void sleeper_fn(void *arg)
{
    struct sleeper *s = arg;
    errno = 0;
    s->ret = s->ns >= 0 ? timer_sleep(s->ns) : timer_sleep_until(s->at);
    s->err = errno;
    s->woke = timer_now();
    s->done = true;
    trace("%s@%lld", s->name, MS(s->woke));
}

static void check_slept(const struct sleeper *s, int n, const char *section)
{
    for (int i = 0; i < n; i++) {
        check(s[i].done, section,
              "%s's sleep never returned: tasklet_run came back while the "
              "tasklet still slept", s[i].name);
        check(s[i].ret == 0, section,
              "%s's sleep: expected 0, got %d with errno %s", s[i].name,
              s[i].ret, err_name(s[i].err));
    }
}

static void test_sleepers_wake_in_deadline_order(void **state)
{
    (void)state;
    use_fake_clock();
    trace_reset();
    struct sleeper s[] = {
        {.name = "a", .ns = TIMER_MS(30), .ret = -1},
        {.name = "b", .ns = TIMER_MS(10), .ret = -1},
        {.name = "c", .ns = TIMER_MS(20), .ret = -1},
    };
    for (int i = 0; i < 3; i++)
        spawn(sleeper_fn, &s[i], s[i].name);
    run_all(S_SLEEP);
    check_slept(s, 3, S_SLEEP);
    /* name@ms: who woke, at what time on the test clock. */
    check_trace("b@10 c@20 a@30", S_SLEEP);
}

static void test_equal_deadlines_wake_in_start_order(void **state)
{
    (void)state;
    use_fake_clock();
    trace_reset();
    struct sleeper s[] = {
        {.name = "t1", .ns = -1, .at = BASE + TIMER_MS(10), .ret = -1},
        {.name = "t2", .ns = -1, .at = BASE + TIMER_MS(5), .ret = -1},
        {.name = "t3", .ns = -1, .at = BASE + TIMER_MS(10), .ret = -1},
        {.name = "t4", .ns = -1, .at = BASE + TIMER_MS(10), .ret = -1},
        {.name = "t5", .ns = -1, .at = BASE + TIMER_MS(5), .ret = -1},
    };
    for (int i = 0; i < 5; i++)
        spawn(sleeper_fn, &s[i], s[i].name);
    run_all(S_SLEEP);
    check_slept(s, 5, S_SLEEP);
    check_trace("t2@5 t5@5 t1@10 t3@10 t4@10", S_SLEEP);
}

static struct sleeper again[3];

static void sleep_three_times(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        sleeper_fn(&again[i]);
}

static void test_sleep_again_after_waking(void **state)
{
    (void)state;
    use_fake_clock();
    trace_reset();
    for (int i = 0; i < 3; i++)
        again[i] = (struct sleeper){.name = "z", .ns = TIMER_MS(10),
                                    .ret = -1};
    spawn(sleep_three_times, NULL, "sleepy");
    run_all(S_SLEEP);
    check_slept(again, 3, S_SLEEP);
    /* One tasklet sleeps 10 ms three times in a row. */
    check_trace("z@10 z@20 z@30", S_SLEEP);
}

enum { NSLEEPERS = 10000 };
static int64_t many_deadline[NSLEEPERS], many_woke[NSLEEPERS];
static int many_order[NSLEEPERS], many_count, many_failed;

static void many_sleeper(void *arg)
{
    int i = (int)(intptr_t)arg;
    if (timer_sleep_until(many_deadline[i]) != 0)
        many_failed++;
    many_woke[i] = timer_now();
    many_order[many_count++] = i;
}

static void test_ten_thousand_sleepers(void **state)
{
    (void)state;
    use_fake_clock();
    lcg_state = 2024;
    for (int i = 0; i < NSLEEPERS; i++) {
        many_deadline[i] = BASE + TIMER_MS(1 + lcg() % 1000);
        spawn(many_sleeper, (void *)(intptr_t)i, NULL);
    }
    run_all(S_SLEEP);
    check_eq(many_failed, 0, S_SLEEP, "timer_sleep_until calls that failed");
    check_eq(many_count, NSLEEPERS, S_SLEEP, "sleepers that woke");
    for (int k = 0; k < NSLEEPERS; k++) {
        int i = many_order[k];
        check(many_woke[i] == many_deadline[i], S_SLEEP,
              "sleeper %d, due at base + %lld ms, woke at base + %lld ms; "
              "on the test clock it should wake exactly at its deadline",
              i, MS(many_deadline[i]), MS(many_woke[i]));
        if (k == 0)
            continue;
        int j = many_order[k - 1];
        check(many_deadline[j] <= many_deadline[i], S_SLEEP,
              "sleepers should wake in deadline order: one due at base + "
              "%lld ms woke before one due at base + %lld ms",
              MS(many_deadline[j]), MS(many_deadline[i]));
        check(many_deadline[j] != many_deadline[i] || j < i, S_SLEEP,
              "sleepers with the same deadline should wake in the order "
              "they started sleeping: %d woke before %d", j, i);
    }
    check_count(0, "after every sleeper woke");
}

/* Counts how many times the other tasklet ran while a sleep that should
 * return at once was in progress. */
static int steps_done;
static int steps_during[2];
static struct sleeper quick[2];

static void quick_sleeper(void *arg)
{
    (void)arg;
    int before = steps_done;
    errno = 0;
    quick[0].ret = timer_sleep(0);
    quick[0].err = errno;
    quick[0].done = true;
    steps_during[0] = steps_done - before;

    before = steps_done;
    errno = 0;
    quick[1].ret = timer_sleep_until(timer_now() - TIMER_MS(5));
    quick[1].err = errno;
    quick[1].done = true;
    steps_during[1] = steps_done - before;
}

static void stepper(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++) {
        steps_done++;
        tasklet_yield();
    }
}

static void run_quick_sleeps(void)
{
    use_fake_clock();
    quick[0] = (struct sleeper){.name = "timer_sleep(0)", .ret = -1};
    quick[1] = (struct sleeper){.name = "timer_sleep_until(a time already "
                                        "past)",
                                .ret = -1};
    spawn(quick_sleeper, NULL, "quick");
    spawn(stepper, NULL, "stepper");
    run_all(S_SLEEP);
    check_slept(quick, 2, S_SLEEP);
}

static void test_sleep_zero_does_not_wait(void **state)
{
    (void)state;
    run_quick_sleeps();
    check(fake_time == BASE, S_SLEEP,
          "sleeping for 0 or until a past time should not wait: the test "
          "clock moved to base + %lld ms", MS(fake_time));
    check_count(0, "after sleeps that returned at once");
}

static void test_sleep_zero_yields_at_most_once(void **state)
{
    (void)state;
    run_quick_sleeps();
    for (int i = 0; i < 2; i++)
        check(steps_during[i] <= 1, S_SLEEP,
              "%s should return at once, after at most one yield; another "
              "tasklet ran %d times before it returned",
              quick[i].name, steps_during[i]);
}

/* ---- the timer poller ---- */

static void test_run_returns_when_sleepers_wake(void **state)
{
    (void)state;
    use_fake_clock();
    trace_reset();
    /* No tasklet_set_poller here: timer_sleep installs timer_poll. */
    struct sleeper s[] = {
        {.name = "a", .ns = TIMER_MS(20), .ret = -1},
        {.name = "b", .ns = TIMER_MS(10), .ret = -1},
    };
    for (int i = 0; i < 2; i++)
        spawn(sleeper_fn, &s[i], s[i].name);
    errno = 0;
    int r = tasklet_run();
    int e = errno;
    check(r == 0, S_POLLER,
          "tasklet_run with only sleeping tasklets: expected 0 once they "
          "all woke, got %d with errno %s (a sleeper is not a deadlock: "
          "the poller will wake it)",
          r, err_name(e));
    check_slept(s, 2, S_POLLER);
    check_trace("b@10 a@20", S_POLLER);
    check(tasklet_poller() == timer_poll, S_POLLER,
          "after timer_sleep, the scheduler's poller should be timer_poll");
    check(fake_time == BASE + TIMER_MS(20), S_POLLER,
          "the test clock should end at the last deadline, base + 20 ms; "
          "it is at base + %lld ms",
          MS(fake_time));
}

static chan *stuck_chan;
static int stuck_ret;

static void stuck_receiver(void *arg)
{
    (void)arg;
    void *v;
    stuck_ret = chan_receive(stuck_chan, &v);
}

static void test_deadlock_only_after_sleepers_wake(void **state)
{
    (void)state;
    use_fake_clock();
    trace_reset();
    char *report = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&report, &len);
    check(f != NULL, S_POLLER, "open_memstream failed");
    tasklet_set_report_stream(f);
    stuck_chan = chan_create();
    check(stuck_chan != NULL, S_POLLER, "chan_create returned NULL");

    struct sleeper s = {.name = "sleeper", .ns = TIMER_MS(50), .ret = -1};
    spawn(stuck_receiver, NULL, "stuck");
    spawn(sleeper_fn, &s, "sleeper");
    errno = 0;
    int r = tasklet_run();
    int e = errno;
    check_slept(&s, 1, S_POLLER);
    check_trace("sleeper@50", S_POLLER);
    check(r == -1 && e == EDEADLK, S_POLLER,
          "with a sleeper and a receiver nobody serves, tasklet_run should "
          "return -1 with errno EDEADLK once the sleeper has woken and "
          "finished; got %d with errno %s",
          r, err_name(e));

    chan_send(stuck_chan, NULL);
    run_all(S_POLLER);
    check_eq(stuck_ret, 0, S_POLLER, "the stuck receiver, once served");
    tasklet_set_report_stream(stderr);
    fclose(f);
    free(report);
    chan_destroy(stuck_chan);
}

static bool busy_saw_wake;
static int busy_turns;
static struct sleeper busy_sleeper = {
    .name = "sleeper", .ns = TIMER_MS(10), .ret = -1};

static void busy(void *arg)
{
    /* Pretend to work for 20 ms, then keep yielding to the other busy
     * tasklet, never letting the run queue go empty. */
    if (arg != NULL)
        fake_time = BASE + TIMER_MS(20);
    for (int i = 0; i < 20 * TASKLET_POLL_INTERVAL && !busy_saw_wake; i++) {
        busy_turns++;
        tasklet_yield();
        busy_saw_wake = busy_sleeper.woke != 0;
    }
}

static void test_poller_runs_while_tasklets_are_busy(void **state)
{
    (void)state;
    use_fake_clock();
    spawn(sleeper_fn, &busy_sleeper, "sleeper");
    spawn(busy, (void *)1, "busy1");
    spawn(busy, NULL, "busy2");
    run_all(S_POLLER);
    check_slept(&busy_sleeper, 1, S_POLLER);
    check(busy_saw_wake, S_POLLER,
          "a sleeper whose deadline passed while two tasklets kept yielding "
          "should wake within a few TASKLET_POLL_INTERVALs of switches (the "
          "scheduler polls with may_block false); it woke only after %d "
          "yields, once they stopped",
          busy_turns);
}

/* ---- sleeping costs no CPU ---- */

static int64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

static void test_sleeping_costs_no_cpu(void **state)
{
    (void)state;
    if (harness_under_valgrind())
        harness_skip("valgrind's own CPU time would swamp the measurement");
    timer_set_clock(NULL, NULL);
    trace_reset();
    struct sleeper s[] = {
        {.name = "s300", .ns = TIMER_MS(300), .ret = -1},
        {.name = "s100", .ns = TIMER_MS(100), .ret = -1},
        {.name = "s200", .ns = TIMER_MS(200), .ret = -1},
    };
    for (int i = 0; i < 3; i++)
        spawn(sleeper_fn, &s[i], s[i].name);
    int64_t cpu0 = cpu_ns(), wall0 = monotonic_ns();
    run_all(S_POLLER);
    int64_t cpu = cpu_ns() - cpu0, wall = monotonic_ns() - wall0;
    check_slept(s, 3, S_SLEEP);
    check(wall >= TIMER_MS(300), S_SLEEP,
          "three tasklets slept 100, 200 and 300 ms, but tasklet_run "
          "returned after %lld ms", (long long)(wall / TIMER_MS(1)));
    check(cpu < TIMER_MS(100), S_POLLER,
          "while tasklets sleep, the process should wait in the kernel, not "
          "spin: %lld ms of CPU time went by in %lld ms (allowed: under "
          "100 ms)",
          (long long)(cpu / TIMER_MS(1)), (long long)(wall / TIMER_MS(1)));
    for (int i = 0; i < 3; i++)
        check(s[i].woke - wall0 >= s[i].ns, S_SLEEP,
              "%s woke after %lld ms, before its time", s[i].name,
              (long long)((s[i].woke - wall0) / TIMER_MS(1)));
}

HARNESS_TESTS("chapters/04-timers.md",
              cmocka_unit_test(test_now_is_monotonic),
              cmocka_unit_test(test_clock_can_be_replaced),
              cmocka_unit_test(test_start_stop_restart),
              cmocka_unit_test(test_equal_deadlines_fire_in_start_order),
              cmocka_unit_test(test_heap_keeps_order_through_stops_and_moves),
              cmocka_unit_test(test_sleepers_wake_in_deadline_order),
              cmocka_unit_test(test_equal_deadlines_wake_in_start_order),
              cmocka_unit_test(test_sleep_again_after_waking),
              cmocka_unit_test(test_ten_thousand_sleepers),
              cmocka_unit_test(test_sleep_zero_does_not_wait),
              cmocka_unit_test(test_sleep_zero_yields_at_most_once),
              cmocka_unit_test(test_run_returns_when_sleepers_wake),
              cmocka_unit_test(test_deadlock_only_after_sleepers_wake),
              cmocka_unit_test(test_poller_runs_while_tasklets_are_busy),
              cmocka_unit_test(test_sleeping_costs_no_cpu))
