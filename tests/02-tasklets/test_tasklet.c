/*
 * test_tasklet.c - step 02: spawning, yielding and exiting tasklets.
 *
 * What these tests check, as exact traces of who ran when:
 *   - a spawned tasklet waits in the run queue (FIFO) until main yields or
 *     calls tasklet_run;
 *   - tasklets that yield take turns round robin, and main's own
 *     tasklet_yield runs every other tasklet once before main goes on;
 *   - a tasklet spawned by a tasklet joins the end of the queue;
 *   - tasklet_exit ends a tasklet even from a nested call;
 *   - tasklet_runcount, tasklet_current, the main tasklet, names and ids.
 *
 * Tasklets never call check(): they trace() what they do or record it in
 * globals, and main checks once tasklet_run has returned.
 */
#include "harness.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tasklet.h"

#define SEC_INTERFACE "The interface"
#define SEC_QUEUE "The run queue"
#define SEC_SPAWN "Spawning"
#define SEC_YIELD "Yielding"
#define SEC_EXIT "Exiting"
#define SEC_RUN "Running until done"

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

/* tasklet_run must come back with 0 once every tasklet has exited. */
static void check_run_result(int r, int err)
{
    check(r == 0, SEC_RUN,
          "tasklet_run should return 0 when every tasklet has exited,\n  "
          "but it returned %d (errno %d: %s)", r, err, strerror(err));
}

static void run_all(void)
{
    errno = 0;
    int r = tasklet_run();
    check_run_result(r, errno);
}

/* A name to print, even from a tasklet_name that returned NULL. */
static const char *name_of(const tasklet *t)
{
    const char *name = tasklet_name(t);
    return name ? name : "(null)";
}

/* ---- tasklet bodies ---- */

/* Traces its argument, a string, and exits by returning. */
static void say(void *arg)
{
    trace("%s", (const char *)arg);
}

/* Traces "<name><round>" for `rounds` rounds, yielding between them. */
struct looper {
    const char *name;
    int rounds;
};

static void loop_and_yield(void *arg)
{
    const struct looper *l = arg;
    for (int i = 1; i <= l->rounds; i++) {
        trace("%s%d", l->name, i);
        if (i < l->rounds)
            tasklet_yield();
    }
}

/* ---- the run queue ---- */

static void test_spawn_waits_in_fifo_order(void **state)
{
    (void)state;
    trace_reset();
    spawn_or_fail(say, "a");
    spawn_or_fail(say, "b");
    spawn_or_fail(say, "c");
    trace("spawned");
    errno = 0;
    int r = tasklet_run();
    int err = errno;
    check_trace("spawned a b c", SEC_QUEUE);
    check_run_result(r, err);
}

static void test_yield_is_round_robin(void **state)
{
    (void)state;
    struct looper a = {"a", 3}, b = {"b", 3}, c = {"c", 3};
    trace_reset();
    spawn_or_fail(loop_and_yield, &a);
    spawn_or_fail(loop_and_yield, &b);
    spawn_or_fail(loop_and_yield, &c);
    run_all();
    check_trace("a1 b1 c1 a2 b2 c2 a3 b3 c3", SEC_YIELD);
}

static void test_main_yield_runs_each_once(void **state)
{
    (void)state;
    struct looper a = {"a", 2}, b = {"b", 2};
    trace_reset();
    trace("m0");
    tasklet_yield(); /* nothing else to run: returns at once */
    spawn_or_fail(loop_and_yield, &a);
    spawn_or_fail(loop_and_yield, &b);
    trace("m1");
    tasklet_yield();
    trace("m2");
    tasklet_yield();
    trace("m3");
    check_trace("m0 m1 a1 b1 m2 a2 b2 m3", SEC_YIELD);
    run_all();
}

static struct looper child_loop = {"c", 1};

static void spawning_parent(void *arg)
{
    (void)arg;
    trace("a1");
    if (tasklet_spawn(loop_and_yield, &child_loop) == NULL)
        trace("spawn-failed");
    trace("a2");
    tasklet_yield();
    trace("a3");
}

static void test_spawn_from_tasklet_appends(void **state)
{
    (void)state;
    struct looper b = {"b", 1};
    trace_reset();
    spawn_or_fail(spawning_parent, NULL);
    spawn_or_fail(loop_and_yield, &b);
    run_all();
    /* a's spawn puts c behind b; a's yield puts a behind c. */
    check_trace("a1 a2 b1 c1 a3", SEC_SPAWN);
}

static int runcount_inside = -1;

/* Records tasklet_runcount as the tasklet sees it, and traces "a1". */
static void count_runnable(void *arg)
{
    (void)arg;
    runcount_inside = tasklet_runcount();
    trace("a1");
}

static void test_runcount(void **state)
{
    (void)state;
    struct looper b = {"b", 2};
    check_eq(tasklet_runcount(), 1, SEC_RUN,
             "tasklet_runcount with no tasklet spawned (main only)");
    trace_reset();
    spawn_or_fail(count_runnable, NULL);
    spawn_or_fail(loop_and_yield, &b);
    check_eq(tasklet_runcount(), 3, SEC_RUN,
             "tasklet_runcount after two spawns (main and both)");

    tasklet_yield(); /* a runs and exits; b yields */
    check_eq(runcount_inside, 3, SEC_RUN,
             "tasklet_runcount inside a tasklet while main (which yielded) "
             "and one other wait their turn");
    check_eq(tasklet_runcount(), 2, SEC_RUN,
             "tasklet_runcount after one of the two exited");
    tasklet_yield(); /* b exits */
    check_eq(tasklet_runcount(), 1, SEC_RUN,
             "tasklet_runcount after both exited");
    check_trace("a1 b1 b2", SEC_YIELD);

    runcount_inside = -1;
    spawn_or_fail(count_runnable, NULL);
    spawn_or_fail(say, "c");
    run_all();
    check_eq(runcount_inside, 3, SEC_RUN,
             "tasklet_runcount inside a tasklet during tasklet_run with one "
             "other queued (main, waiting in tasklet_run, counts too)");
    check_eq(tasklet_runcount(), 1, SEC_RUN,
             "tasklet_runcount after tasklet_run returned");
}

/* ---- the main tasklet ---- */

static tasklet *seen_current;
static uint64_t seen_id;

static void record_current(void *arg)
{
    (void)arg;
    seen_current = tasklet_current();
    seen_id = seen_current ? tasklet_id(seen_current) : 0;
}

static void test_current_and_main_tasklet(void **state)
{
    (void)state;
    tasklet *m = tasklet_current();
    check(m != NULL, SEC_INTERFACE,
          "tasklet_current() before any tasklet ran should be the main "
          "tasklet, but it returned NULL");
    check_eq(tasklet_id(m), 0, SEC_INTERFACE, "the main tasklet's id");
    check(strcmp(name_of(m), "main") == 0, SEC_INTERFACE,
          "the main tasklet's name should be \"main\", but it is \"%s\"",
          name_of(m));

    run_all(); /* nothing spawned: returns 0 at once */
    tasklet *t = spawn_or_fail(record_current, NULL);
    uint64_t id = tasklet_id(t);
    run_all();
    check(seen_current == t, SEC_INTERFACE,
          "inside a tasklet, tasklet_current() should be the handle "
          "tasklet_spawn returned (%p),\n  but it was %p", (void *)t,
          (void *)seen_current);
    check(seen_id == id && id != 0, SEC_SPAWN,
          "the tasklet's id should be the same, and not 0, inside and "
          "outside:\n  spawn's handle has id %" PRIu64 ", the tasklet saw "
          "%" PRIu64, id, seen_id);
    check(tasklet_current() == m, SEC_INTERFACE,
          "after tasklet_run returns, tasklet_current() should be the main "
          "tasklet again (%p), but it is %p", (void *)m,
          (void *)tasklet_current());
}

/* ---- exiting ---- */

static void exit_from_helper(void)
{
    trace("nested");
    tasklet_exit();
    trace("after-exit"); /* never runs */
}

static void exits_early(void *arg)
{
    (void)arg;
    trace("a1");
    exit_from_helper();
    trace("a-after-helper"); /* never runs either */
}

static void test_exit_from_nested_call(void **state)
{
    (void)state;
    trace_reset();
    spawn_or_fail(exits_early, NULL);
    spawn_or_fail(say, "b1");
    int before = tasklet_runcount();
    run_all();
    check_eq(before, 3, SEC_RUN, "tasklet_runcount after two spawns");
    check_trace("a1 nested b1", SEC_EXIT);
    check_eq(tasklet_runcount(), 1, SEC_EXIT,
             "tasklet_runcount once both tasklets have exited");
}

/* ---- names and ids ---- */

static char name_inside[TASKLET_NAME_MAX + 8];

static void record_name(void *arg)
{
    (void)arg;
    snprintf(name_inside, sizeof name_inside, "%s",
             name_of(tasklet_current()));
}

static void test_names_and_ids(void **state)
{
    (void)state;
    tasklet *a = spawn_or_fail(say, "a");
    tasklet *b = spawn_or_fail(record_name, NULL);
    tasklet *c = spawn_or_fail(say, "c");
    uint64_t ia = tasklet_id(a), ib = tasklet_id(b), ic = tasklet_id(c);
    check(ia != 0 && ib != 0 && ic != 0 && ia != ib && ib != ic &&
              ia != ic,
          SEC_SPAWN,
          "every tasklet should get an id of its own, other than main's "
          "0,\n  but three spawns got %" PRIu64 ", %" PRIu64 " and %" PRIu64,
          ia, ib, ic);

    char want[32];
    snprintf(want, sizeof want, "#%" PRIu64, ia);
    check(strcmp(name_of(a), want) == 0, SEC_SPAWN,
          "an unnamed tasklet should be called \"%s\" (# and its id), but "
          "it is \"%s\"", want, name_of(a));

    char given[] = "worker";
    tasklet_set_name(b, given);
    given[0] = 'X'; /* the tasklet keeps its own copy */
    check(strcmp(name_of(b), "worker") == 0, SEC_INTERFACE,
          "tasklet_set_name should copy the name: expected \"worker\", "
          "got \"%s\"", name_of(b));

    const char *long_name = "a-name-much-longer-than-the-limit-of-32-bytes";
    tasklet_set_name(c, long_name);
    check(strlen(name_of(c)) == TASKLET_NAME_MAX - 1 &&
              strncmp(name_of(c), long_name, TASKLET_NAME_MAX - 1) == 0,
          SEC_INTERFACE,
          "a long name should be cut to its first TASKLET_NAME_MAX - 1 = %d "
          "bytes,\n  but \"%s\" became \"%s\"", TASKLET_NAME_MAX - 1,
          long_name, name_of(c));

    run_all();
    check(strcmp(name_inside, "worker") == 0, SEC_INTERFACE,
          "inside the tasklet, tasklet_name(tasklet_current()) should be "
          "\"worker\", but it was \"%s\"", name_inside);
}

HARNESS_TESTS("chapters/02-tasklets.md",
              cmocka_unit_test(test_spawn_waits_in_fifo_order),
              cmocka_unit_test(test_yield_is_round_robin),
              cmocka_unit_test(test_main_yield_runs_each_once),
              cmocka_unit_test(test_spawn_from_tasklet_appends),
              cmocka_unit_test(test_runcount),
              cmocka_unit_test(test_current_and_main_tasklet),
              cmocka_unit_test(test_exit_from_nested_call),
              cmocka_unit_test(test_names_and_ids))
