/*
 * test_backend.c - step 05: the two backends on their own, through the
 * small interface of reactor_backend.h, with no reactor around them.
 *
 * Each test runs on poll, then on epoll: watching fds for reading and
 * writing, changing and removing what is watched (for poll, removing
 * from the middle of its array), hang-ups reported unasked, a wait of 0
 * that returns at once, and a hundred fds ready in one wait.
 *
 * Pipes stand in for sockets: they are the simplest fds that become
 * readable, writable and hung up.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reactest.h"
#include "reactor_backend.h"

#define S_EPOLL_POLL "epoll and poll"

/* poll first: the chapter suggests writing it first. */
static const struct reactor_backend *const all[] = {
    &reactor_backend_poll,
    &reactor_backend_epoll,
};
static const struct reactor_backend *b; /* the one under test */

enum { MAXEV = 256 };
static struct reactor_event ev[MAXEV];

static void *create(void)
{
    errno = 0;
    void *s = b->create();
    int e = errno;
    check(s != NULL, S_BACKEND,
          "the %s backend's create(): expected its state, got NULL with "
          "errno %s",
          b->name, rt_err_name(e));
    return s;
}

static void set(void *s, int fd, unsigned old, unsigned want)
{
    errno = 0;
    int rc = b->set(s, fd, old, want);
    int e = errno;
    check(rc == 0, S_BACKEND,
          "the %s backend's set(fd %d, %u -> %u): expected 0, got %d with "
          "errno %s",
          b->name, fd, old, want, rc, rt_err_name(e));
}

static int wait0(void *s)
{
    errno = 0;
    int n = b->wait(s, ev, MAXEV, 0);
    int e = errno;
    check(n >= 0, S_BACKEND,
          "the %s backend's wait(timeout 0): expected the number of ready "
          "fds, got %d with errno %s",
          b->name, n, rt_err_name(e));
    return n;
}

/* The events reported for fd by the last wait of n, or 0. */
static unsigned events_of(int n, int fd)
{
    unsigned found = 0;
    int times = 0;
    for (int i = 0; i < n; i++)
        if (ev[i].fd == fd) {
            found = ev[i].events;
            times++;
        }
    check(times <= 1, S_BACKEND,
          "the %s backend reported fd %d %d times in one wait (once at most)",
          b->name, fd, times);
    return found;
}

static void make_pipe(int p[2])
{
    check(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0, S_BACKEND,
          "pipe2 failed: %s", strerror(errno));
}

/* ---- tests ---- */

static void test_backend_names(void **state)
{
    (void)state;
    check(reactor_backend_epoll.name != NULL &&
              strcmp(reactor_backend_epoll.name, "epoll") == 0,
          S_BACKEND, "reactor_backend_epoll.name should be \"epoll\", got \"%s\"",
          reactor_backend_epoll.name ? reactor_backend_epoll.name : "(null)");
    check(reactor_backend_poll.name != NULL &&
              strcmp(reactor_backend_poll.name, "poll") == 0,
          S_BACKEND, "reactor_backend_poll.name should be \"poll\", got \"%s\"",
          reactor_backend_poll.name ? reactor_backend_poll.name : "(null)");
}

static void ready_scenario(void)
{
    void *s = create();
    int n = wait0(s);
    check_eq(n, 0, S_BACKEND, "ready fds when nothing is watched");

    int p[2], q[2];
    make_pipe(p);
    make_pipe(q);
    set(s, p[0], 0, REACTOR_READ);
    set(s, q[0], 0, REACTOR_READ);
    n = wait0(s);
    check(n == 0, S_BACKEND,
          "the %s backend reported %d ready fds, but no pipe has data", b->name,
          n);

    check(write(p[1], "x", 1) == 1, S_BACKEND, "write failed");
    n = wait0(s);
    check(n == 1 && events_of(n, p[0]) == REACTOR_READ, S_BACKEND,
          "the %s backend, after one byte went into the first pipe: expected "
          "one event, its read end with REACTOR_READ; got %d events, "
          "events %u for that fd",
          b->name, n, events_of(n, p[0]));
    /* Level-triggered: unread, it is reported again. */
    n = wait0(s);
    check(n == 1 && events_of(n, p[0]) == REACTOR_READ, S_BACKEND,
          "the %s backend, waiting again without reading: the byte is still "
          "there, so the fd should be reported again (level-triggered); got "
          "%d events",
          b->name, n);

    set(s, q[1], 0, REACTOR_WRITE);
    n = wait0(s);
    check(n == 2 && events_of(n, q[1]) == REACTOR_WRITE, S_BACKEND,
          "the %s backend, after watching an empty pipe's write end for "
          "writing: expected 2 events, that one with REACTOR_WRITE; got %d "
          "events, events %u for that fd",
          b->name, n, events_of(n, q[1]));

    b->destroy(s);
    close(p[0]), close(p[1]), close(q[0]), close(q[1]);
}

static void test_backend_reports_ready_fds(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        b = all[i];
        ready_scenario();
    }
}

static void change_scenario(void)
{
    void *s = create();
    int p[2];
    make_pipe(p);
    check(write(p[1], "x", 1) == 1, S_BACKEND, "write failed");

    /* The write end is writable and the read end readable; watch each
     * for the other thing first. */
    set(s, p[0], 0, REACTOR_WRITE);
    int n = wait0(s);
    check_eq(n, 0, S_BACKEND,
             "ready fds: a pipe's read end watched for writing only");
    set(s, p[0], REACTOR_WRITE, REACTOR_READ | REACTOR_WRITE);
    n = wait0(s);
    check(n == 1 && events_of(n, p[0]) == REACTOR_READ, S_BACKEND,
          "the %s backend, after set(fd, WRITE -> READ|WRITE) on a read end "
          "with data: expected it with REACTOR_READ, got %d events, events %u",
          b->name, n, events_of(n, p[0]));
    set(s, p[0], REACTOR_READ | REACTOR_WRITE, 0);
    n = wait0(s);
    check(n == 0, S_BACKEND,
          "the %s backend, after set(fd, ... -> 0), the fd is not watched: "
          "expected no event, got %d",
          b->name, n);
    /* Removed, it can be added again. */
    set(s, p[0], 0, REACTOR_READ);
    n = wait0(s);
    check(n == 1 && events_of(n, p[0]) == REACTOR_READ, S_BACKEND,
          "the %s backend, after removing an fd and adding it again: "
          "expected it reported with REACTOR_READ, got %d events",
          b->name, n);
    b->destroy(s);
    close(p[0]), close(p[1]);
}

static void test_backend_change_and_remove(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        b = all[i];
        change_scenario();
    }
}

static void middle_scenario(void)
{
    void *s = create();
    int p[3][2];
    for (int i = 0; i < 3; i++) {
        make_pipe(p[i]);
        check(write(p[i][1], "x", 1) == 1, S_BACKEND, "write failed");
        set(s, p[i][0], 0, REACTOR_READ);
    }
    /* Remove the middle one: the others must still be found. */
    set(s, p[1][0], REACTOR_READ, 0);
    int n = wait0(s);
    check(n == 2 && events_of(n, p[0][0]) && events_of(n, p[2][0]) &&
              !events_of(n, p[1][0]),
          S_EPOLL_POLL,
          "the %s backend, three ready fds, the middle one removed: expected "
          "the first and the last reported, got %d events (first %u, middle "
          "%u, last %u)",
          b->name, n, events_of(n, p[0][0]), events_of(n, p[1][0]),
          events_of(n, p[2][0]));
    /* Change the last one (poll moved it into the hole): a read end
     * watched for writing only is never ready. */
    set(s, p[2][0], REACTOR_READ, REACTOR_WRITE);
    n = wait0(s);
    check(n == 1 && events_of(n, p[0][0]) == REACTOR_READ, S_EPOLL_POLL,
          "the %s backend, after changing the last fd to REACTOR_WRITE (a "
          "read end: never writable): expected only the first reported, got "
          "%d events (first %u, last %u); for poll, did removing the middle "
          "one update index[] for the entry that moved?",
          b->name, n, events_of(n, p[0][0]), events_of(n, p[2][0]));
    set(s, p[0][0], REACTOR_READ, 0);
    n = wait0(s);
    check(n == 0, S_EPOLL_POLL,
          "the %s backend, after removing the first one too: expected no "
          "event, got %d",
          b->name, n);
    /* Add the middle one back. */
    set(s, p[1][0], 0, REACTOR_READ);
    n = wait0(s);
    check(n == 1 && events_of(n, p[1][0]) == REACTOR_READ, S_EPOLL_POLL,
          "the %s backend, after adding the middle one back: expected only it "
          "reported with REACTOR_READ, got %d events",
          b->name, n);
    b->destroy(s);
    for (int i = 0; i < 3; i++)
        close(p[i][0]), close(p[i][1]);
}

static void test_backend_remove_from_the_middle(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        b = all[i];
        middle_scenario();
    }
}

static void hangup_scenario(void)
{
    void *s = create();
    int p[2];
    make_pipe(p);
    set(s, p[0], 0, REACTOR_READ);
    close(p[1]); /* the writer is gone, nothing was written */
    int n = wait0(s);
    unsigned got = events_of(n, p[0]);
    check(n == 1 && (got & REACTOR_HUP), S_BACKEND,
          "the %s backend, a pipe whose writer closed: expected its read end "
          "reported with REACTOR_HUP (which nobody asks for), got %d events, "
          "events %u",
          b->name, n, got);
    b->destroy(s);
    close(p[0]);
}

static void test_backend_reports_hangups(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        b = all[i];
        hangup_scenario();
    }
}

enum { MANY = 100 };

static void many_scenario(void)
{
    void *s = create();
    int p[MANY][2];
    for (int i = 0; i < MANY; i++) {
        make_pipe(p[i]);
        set(s, p[i][0], 0, REACTOR_READ);
    }
    /* Every other one gets data. */
    for (int i = 0; i < MANY; i += 2)
        check(write(p[i][1], "x", 1) == 1, S_EPOLL_POLL, "write failed");
    int n = wait0(s);
    check_eq(n, MANY / 2, S_EPOLL_POLL,
             "fds reported in one wait, with 50 of 100 watched pipes ready");
    for (int i = 0; i < MANY; i++) {
        unsigned got = events_of(n, p[i][0]);
        check(got == (i % 2 == 0 ? (unsigned)REACTOR_READ : 0), S_EPOLL_POLL,
              "the %s backend, pipe %d of %d (%s): events %u", b->name, i,
              MANY, i % 2 == 0 ? "with data" : "empty", got);
    }
    /* No more than max, when asked for fewer. */
    n = b->wait(s, ev, 10, 0);
    check_eq(n, 10, S_BACKEND, "events returned by wait(max 10)");
    b->destroy(s);
    for (int i = 0; i < MANY; i++)
        close(p[i][0]), close(p[i][1]);
}

static void test_backend_many_fds(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        b = all[i];
        many_scenario();
    }
}

HARNESS_TESTS("chapters/05-reactor.md",
              cmocka_unit_test(test_backend_names),
              cmocka_unit_test(test_backend_reports_ready_fds),
              cmocka_unit_test(test_backend_change_and_remove),
              cmocka_unit_test(test_backend_remove_from_the_middle),
              cmocka_unit_test(test_backend_reports_hangups),
              cmocka_unit_test(test_backend_many_fds))
