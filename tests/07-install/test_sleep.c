/*
 * test_sleep.c - step 07: sleep, usleep and nanosleep park the calling
 * tasklet on a timer, so the others run meanwhile.
 *
 * Orders are checked with traces: a tasklet that sleeps lets the other
 * tasklet, which never sleeps, trace before it wakes, whatever the clock
 * says. No test measures how long a sleep took.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "install.h"
#include "tasklet.h"
#include "timer.h"

#define S_SLEEP "Sleeping"
#define S_OUTSIDE "Outside a tasklet"

static const char *err_name(int e)
{
    static char buf[64];
    switch (e) {
    case 0: return "0";
    case EINTR: return "EINTR";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS (still the starter's TODO?)";
    }
    snprintf(buf, sizeof buf, "%d (%s)", e, strerror(e));
    return buf;
}

static void must_install(void)
{
    int r = install();
    check(r == 0, S_SLEEP, "install(): expected 0, got %d with errno %s", r,
          err_name(errno));
}

enum call { SLEEP, USLEEP, NANOSLEEP };
static const char *const call_names[] = {"sleep(1)", "usleep(1000)",
                                         "nanosleep(1 ms)"};

struct sleeper {
    enum call call;
    long r;
    int err;
    struct timespec want, left;
};

static void sleeper(void *arg)
{
    struct sleeper *s = arg;
    trace("a1");
    switch (s->call) {
    case SLEEP: s->r = sleep(1); break;
    case USLEEP: s->r = usleep(1000); break;
    case NANOSLEEP:
        s->want = (struct timespec){0, 1000000};
        s->r = nanosleep(&s->want, &s->left);
        break;
    }
    s->err = errno;
    trace("a2");
}

static void other(void *arg)
{
    (void)arg;
    trace("b1");
}

/* book: test-sleep */
static void test_sleeps_let_the_others_run(void **state)
{
    (void)state;
    must_install();
    for (enum call k = SLEEP; k <= NANOSLEEP; k++) {
        trace_reset();
        struct sleeper s = {.call = k, .r = -1};
        tasklet_spawn(sleeper, &s);
        tasklet_spawn(other, NULL);
        tasklet_run();
        check(s.r == 0, S_SLEEP, "%s in a tasklet: expected 0, got %ld with "
              "errno %s", call_names[k], s.r, err_name(s.err));
        check_trace("a1 b1 a2", S_SLEEP);
    }
}
/* book: end */

static void test_sleep_in_main_lets_the_others_run(void **state)
{
    (void)state;
    must_install();
    trace_reset();
    tasklet_spawn(other, NULL);
    trace("m1");
    int r = usleep(1000);
    trace("m2");
    check(r == 0, S_SLEEP, "usleep in main: expected 0, got %d", r);
    check_trace("m1 b1 m2", S_SLEEP);
}

static void test_sleep_before_install_goes_to_libc(void **state)
{
    (void)state;
    trace_reset();
    struct sleeper s = {.call = USLEEP, .r = -1};
    tasklet_spawn(sleeper, &s);
    tasklet_spawn(other, NULL);
    tasklet_run();
    check(s.r == 0, S_OUTSIDE, "usleep before install(): expected 0, got %ld",
          s.r);
    check(strcmp(trace_text(), "a1 a2 b1") == 0, S_OUTSIDE,
          "before install(), usleep is the C library's: it blocks the whole "
          "thread and lets nobody run; expected the order \"a1 a2 b1\", got "
          "\"%s\"", trace_text());
}

struct long_sleep {
    enum call call;
    long r;
    int err;
    struct timespec left;
};

static void long_sleeper(void *arg)
{
    struct long_sleep *s = arg;
    struct timespec want = {10, 0};
    trace("a1");
    switch (s->call) {
    case SLEEP: s->r = sleep(10); break;
    case USLEEP: s->r = usleep(9000000); break;
    case NANOSLEEP: s->r = nanosleep(&want, &s->left); break;
    }
    s->err = errno;
    trace("a2");
}

static void canceller(void *arg)
{
    trace("c");
    tasklet_cancel(arg);
}

/* book: test-sleep-cancel */
static void test_interrupted_sleeps_report_it(void **state)
{
    (void)state;
    must_install();
    for (enum call k = SLEEP; k <= NANOSLEEP; k++) {
        trace_reset();
        struct long_sleep s = {.call = k};
        tasklet *t = tasklet_spawn(long_sleeper, &s);
        tasklet_spawn(canceller, t);
        tasklet_run();
        check_trace("a1 c a2", S_SLEEP);
        if (k == SLEEP)
            check(s.r > 0 && s.r <= 10, S_SLEEP,
                  "sleep(10) cancelled at once should return the seconds it "
                  "did not sleep (10, or nearly), got %ld", s.r);
        else
            check(s.r == -1 && s.err == EINTR, S_SLEEP,
                  "%s cancelled: expected -1 with EINTR, got %ld with errno "
                  "%s", k == USLEEP ? "usleep" : "nanosleep", s.r,
                  err_name(s.err));
        if (k == NANOSLEEP)
            check(s.left.tv_sec * 1000000000LL + s.left.tv_nsec > 0 &&
                      s.left.tv_sec * 1000000000LL + s.left.tv_nsec <=
                          10000000000LL,
                  S_SLEEP, "nanosleep(10 s) cancelled at once should leave "
                  "between 0 and 10 s in *left, got %lld.%09ld s",
                  (long long)s.left.tv_sec, s.left.tv_nsec);
    }
}
/* book: end */

static void test_deadline_interrupts_a_sleep(void **state)
{
    (void)state;
    must_install();
    struct timer_deadline d;
    timer_deadline_begin(&d, timer_now() + TIMER_MS(5));
    struct timespec want = {10, 0}, left = {0, 0};
    int r = nanosleep(&want, &left);
    int err = errno;
    bool expired = timer_deadline_end(&d);
    check(r == -1 && err == EINTR && expired, S_SLEEP,
          "nanosleep(10 s) under a 5 ms deadline: expected -1 with EINTR "
          "when the deadline expires, got %d with errno %s", r,
          err_name(err));
}

static void test_nanosleep_rejects_bad_times(void **state)
{
    (void)state;
    struct timespec bad[] = {{0, 1000000000}, {0, -1}, {-1, 0}};
    for (int installed = 0; installed < 2; installed++) {
        if (installed)
            must_install();
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            errno = 0;
            int r = nanosleep(&bad[i], NULL);
            check(r == -1 && errno == EINVAL, S_SLEEP,
                  "nanosleep({%lld, %ld}) %s install(): expected -1 with "
                  "EINVAL, got %d with errno %s", (long long)bad[i].tv_sec,
                  bad[i].tv_nsec, installed ? "after" : "before", r,
                  err_name(errno));
        }
    }
}

HARNESS_TESTS("chapters/07-install.md",
              cmocka_unit_test(test_sleeps_let_the_others_run),
              cmocka_unit_test(test_sleep_in_main_lets_the_others_run),
              cmocka_unit_test(test_sleep_before_install_goes_to_libc),
              cmocka_unit_test(test_interrupted_sleeps_report_it),
              cmocka_unit_test(test_deadline_interrupts_a_sleep),
              cmocka_unit_test(test_nanosleep_rejects_bad_times))
