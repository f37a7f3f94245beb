/*
 * test_poll.c - step 07: poll() parks the calling tasklet until one of
 * its descriptors is ready, or its timeout passes.
 *
 * Orders are checked with traces, never with clocks: a poll that parks
 * lets the other tasklet's words into the trace before its own end. The
 * timeouts are short and only ever bound a wait; no test checks how long
 * anything took.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "install.h"
#include "tasklet.h"
#include "timer.h"

#define S_POLL "Waiting in poll"
#define S_OUTSIDE "Outside a tasklet"

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout_ms, size_t size);

static const char *err_name(int e)
{
    static char buf[64];
    switch (e) {
    case 0: return "0";
    case EINTR: return "EINTR";
    case ENOSYS: return "ENOSYS (still the starter's TODO?)";
    }
    snprintf(buf, sizeof buf, "%d (%s)", e, strerror(e));
    return buf;
}

static int real_flags(int fd)
{
    return (int)syscall(SYS_fcntl, fd, F_GETFL);
}

static void must_install(void)
{
    int r = install();
    check(r == 0, S_POLL, "install(): expected 0, got %d with errno %s", r,
          err_name(errno));
}

static void pair(int sv[2])
{
    check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, S_POLL,
          "socketpair failed: %s", strerror(errno));
}

/* ---- a poller tasklet and a writer tasklet ---- */

struct poller {
    struct pollfd fds[3];
    nfds_t n;
    int timeout_ms;
    bool fortified;
    int r, err;
};

static void poller(void *arg)
{
    struct poller *p = arg;
    trace("p1");
    p->r = p->fortified ? __poll_chk(p->fds, p->n, p->timeout_ms, sizeof p->fds)
                        : poll(p->fds, p->n, p->timeout_ms);
    p->err = errno;
    trace("p2:%d", p->r);
}

static void writer(void *arg)
{
    int fd = *(int *)arg;
    trace("w");
    if (write(fd, "x", 1) != 1)
        trace("write-failed");
}

static void other(void *arg)
{
    (void)arg;
    trace("o");
}

/* book: test-poll-parks */
static void test_poll_parks_until_a_socket_is_ready(void **state)
{
    (void)state;
    must_install();
    for (int fortified = 0; fortified < 2; fortified++) {
        int sv[2];
        pair(sv);
        trace_reset();
        struct poller p = {.fds = {{.fd = sv[0], .events = POLLIN}},
                           .n = 1, .timeout_ms = -1, .fortified = fortified};
        tasklet_spawn(poller, &p);
        tasklet_spawn(writer, &sv[1]);
        tasklet_run();
        check(p.r == 1 && p.fds[0].revents == POLLIN, S_POLL,
              "%s on a socket that a second tasklet writes to: expected 1 "
              "with revents POLLIN, got %d (errno %s), revents %#x",
              fortified ? "__poll_chk" : "poll", p.r, err_name(p.err),
              p.fds[0].revents);
        check_trace("p1 w p2:1", S_POLL);
        close(sv[0]);
        close(sv[1]);
    }
}
/* book: end */

static void test_poll_wakes_for_any_of_its_descriptors(void **state)
{
    (void)state;
    must_install();
    int a[2], b[2], p[2];
    pair(a);
    pair(b);
    check(pipe(p) == 0, S_POLL, "pipe failed: %s", strerror(errno));
    int flags = real_flags(p[0]);
    /* Each of the three in turn becomes ready, the others staying quiet. */
    int ready_end[3] = {a[1], b[1], p[1]};
    for (int k = 0; k < 3; k++) {
        trace_reset();
        struct poller pl = {.fds = {{.fd = a[0], .events = POLLIN},
                                    {.fd = b[0], .events = POLLIN},
                                    {.fd = p[0], .events = POLLIN}},
                            .n = 3, .timeout_ms = -1};
        tasklet_spawn(poller, &pl);
        tasklet_spawn(writer, &ready_end[k]);
        tasklet_run();
        check_trace("p1 w p2:1", S_POLL);
        for (int i = 0; i < 3; i++)
            check(pl.fds[i].revents == (i == k ? POLLIN : 0), S_POLL,
                  "poll on two sockets and a pipe, entry %d written to: entry "
                  "%d should have revents %#x, got %#x", k, i,
                  i == k ? POLLIN : 0, pl.fds[i].revents);
        char c;
        check(read(pl.fds[k].fd, &c, 1) == 1, S_POLL, "reading back failed");
    }
    check(real_flags(p[0]) == flags, S_POLL,
          "poll must leave a pipe's flags alone: %#x before, %#x after",
          flags, real_flags(p[0]));
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
    close(p[0]), close(p[1]);
}

static void test_poll_timeout_returns_zero(void **state)
{
    (void)state;
    must_install();
    int sv[2];
    pair(sv);
    trace_reset();
    struct poller p = {.fds = {{.fd = sv[0], .events = POLLIN}}, .n = 1,
                       .timeout_ms = 20};
    tasklet_spawn(poller, &p);
    tasklet_spawn(other, NULL);
    tasklet_run();
    check(p.r == 0 && p.fds[0].revents == 0, S_POLL,
          "poll with a timeout on a quiet socket: expected 0, got %d (errno "
          "%s)", p.r, err_name(p.err));
    check_trace("p1 o p2:0", S_POLL);
    close(sv[0]);
    close(sv[1]);
}

static void test_poll_with_zero_timeout_never_parks(void **state)
{
    (void)state;
    must_install();
    int sv[2];
    pair(sv);
    trace_reset();
    struct poller p = {.fds = {{.fd = sv[0], .events = POLLIN}}, .n = 1,
                       .timeout_ms = 0};
    tasklet_spawn(poller, &p);
    tasklet_spawn(other, NULL);
    tasklet_run();
    check(p.r == 0, S_POLL, "poll(..., 0) on a quiet socket: expected 0, got "
          "%d", p.r);
    check_trace("p1 p2:0 o", S_POLL);
    close(sv[0]);
    close(sv[1]);
}

static void test_poll_without_descriptors_sleeps(void **state)
{
    (void)state;
    must_install();
    trace_reset();
    struct poller p = {.n = 0, .timeout_ms = 5};
    tasklet_spawn(poller, &p);
    tasklet_spawn(other, NULL);
    tasklet_run();
    check(p.r == 0, S_POLL, "poll(NULL, 0, 5) should return 0, got %d "
          "(errno %s)", p.r, err_name(p.err));
    check_trace("p1 o p2:0", S_POLL);
}

static void canceller(void *arg)
{
    trace("c");
    tasklet_cancel(arg);
}

static void test_poll_interrupted_fails_with_eintr(void **state)
{
    (void)state;
    must_install();
    int sv[2];
    pair(sv);
    trace_reset();
    struct poller p = {.fds = {{.fd = sv[0], .events = POLLIN}}, .n = 1,
                       .timeout_ms = -1};
    tasklet *t = tasklet_spawn(poller, &p);
    tasklet_spawn(canceller, t);
    tasklet_run();
    check(p.r == -1 && p.err == EINTR, S_POLL,
          "poll cancelled by tasklet_cancel: expected -1 with EINTR, got %d "
          "with errno %s", p.r, err_name(p.err));
    check_trace("p1 c p2:-1", S_POLL);
    close(sv[0]);
    close(sv[1]);
}

/* book: test-poll-main */
static void test_poll_from_main(void **state)
{
    (void)state;
    must_install();
    int sv[2];
    pair(sv);
    trace_reset();
    tasklet_spawn(writer, &sv[1]);
    struct pollfd p = {.fd = sv[0], .events = POLLIN};
    trace("m1");
    int r = poll(&p, 1, -1); /* main parks; the writer runs */
    trace("m2:%d", r);
    check_trace("m1 w m2:1", S_POLL);
    close(sv[0]);
    close(sv[1]);
}
/* book: end */

static void test_poll_before_install_goes_to_libc(void **state)
{
    (void)state;
    int sv[2];
    pair(sv);
    int flags = real_flags(sv[0]);
    check(write(sv[1], "x", 1) == 1, S_OUTSIDE, "write failed");
    struct pollfd p = {.fd = sv[0], .events = POLLIN};
    int r = poll(&p, 1, -1);
    check(r == 1 && p.revents == POLLIN, S_OUTSIDE,
          "poll before install() with data waiting: expected 1, got %d", r);
    check(real_flags(sv[0]) == flags, S_OUTSIDE,
          "poll before install() must leave the socket alone");
    close(sv[0]);
    close(sv[1]);
}

HARNESS_TESTS("chapters/07-install.md",
              cmocka_unit_test(test_poll_parks_until_a_socket_is_ready),
              cmocka_unit_test(test_poll_wakes_for_any_of_its_descriptors),
              cmocka_unit_test(test_poll_timeout_returns_zero),
              cmocka_unit_test(test_poll_with_zero_timeout_never_parks),
              cmocka_unit_test(test_poll_without_descriptors_sleeps),
              cmocka_unit_test(test_poll_interrupted_fails_with_eintr),
              cmocka_unit_test(test_poll_from_main),
              cmocka_unit_test(test_poll_before_install_goes_to_libc))
