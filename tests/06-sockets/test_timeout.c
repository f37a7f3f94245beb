/*
 * test_timeout.c - step 06: timeouts, deadlines and cancellation on
 * socket calls.
 *
 * SO_RCVTIMEO and SO_SNDTIMEO, set through sock_setsockopt, make a call
 * that waits too long fail as the kernel's would: EAGAIN for recv, accept
 * and send (a send that wrote part of its buffer returns that count), and
 * EINPROGRESS for connect. A deadline (timer.h) around a call makes it
 * fail with ETIMEDOUT, even on a socket with a timeout of its own, and the
 * two are never confused. tasklet_cancel wakes a parked call with
 * ECANCELED, once: the tasklet's next call works.
 *
 * The timeouts are short (50 ms) so the tests are quick; the tests check
 * what the calls return, never how long they took.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "sock.h"
#include "sockets.h"
#include "tasklet.h"
#include "timer.h"

#define S_SEND "Sending everything"
#define S_TIMEOUT "Timeouts, deadlines and cancellation"

static int fd_a, fd_b, listen_fd;
static struct sockaddr_in listen_addr;
static struct net_call first, second, third;
static char got[32];

static const struct timeval SHORT = {.tv_usec = 50 * 1000}; /* 50 ms */

static void set_timeout(int fd, int name)
{
    errno = 0;
    int rc = sock_setsockopt(fd, SOL_SOCKET, name, &SHORT, sizeof SHORT);
    int e = errno;
    check(rc == 0, S_TIMEOUT,
          "sock_setsockopt(%s, 50 ms): expected 0, got %d with errno %s",
          name == SO_RCVTIMEO ? "SO_RCVTIMEO" : "SO_SNDTIMEO", rc,
          net_err_name(e));
    /* The kernel keeps it in clock ticks: it reads back rounded up. */
    struct timeval back = {0};
    socklen_t len = sizeof back;
    check(getsockopt(fd, SOL_SOCKET, name, &back, &len) == 0 &&
              back.tv_sec == 0 && back.tv_usec >= SHORT.tv_usec,
          S_TIMEOUT,
          "getsockopt should read back the timeout sock_setsockopt set (50 "
          "ms, or a little more: the kernel rounds it up to clock ticks), got "
          "%ld s %ld us: pass the option on to the kernel too",
          (long)back.tv_sec, (long)back.tv_usec);
}

/* ---- SO_RCVTIMEO: recv ---- */

static void late_sender(void *arg)
{
    (void)arg;
    sock_send(fd_a, "late", 4, 0);
}

static void timed_reader(void *arg)
{
    (void)arg;
    first = net_record(sock_recv(fd_b, got, sizeof got - 1, 0));
    /* The timeout ends one call; the next one still works. */
    go(late_sender, NULL, "sender");
    ssize_t n = sock_recv(fd_b, got, sizeof got - 1, 0);
    second = net_record(n);
    if (n > 0)
        got[n] = '\0';
}

static void test_rcvtimeo_makes_recv_fail_with_eagain(void **state)
{
    (void)state;
    net_watch(S_TIMEOUT);
    net_pair(&fd_a, &fd_b);
    set_timeout(fd_b, SO_RCVTIMEO);
    go(timed_reader, NULL, "reader");
    net_run_all();

    check_fails(first, EAGAIN, S_TIMEOUT,
                "sock_recv with SO_RCVTIMEO 50 ms and nothing to read (as "
                "the kernel's recv reports its timeout)");
    check(second.done && second.ret == 4 && strcmp(got, "late") == 0,
          S_TIMEOUT,
          "the next sock_recv, once a tasklet sent \"late\": expected 4, got "
          "%s",
          net_describe(second));
    sock_close(fd_a);
    sock_close(fd_b);
}

/* ---- SO_RCVTIMEO: accept ---- */

static void late_connector(void *arg)
{
    (void)arg;
    int fd = sock_socket(AF_INET, SOCK_STREAM, 0);
    third = net_record(sock_connect(fd, (struct sockaddr *)&listen_addr,
                                sizeof listen_addr));
    sock_close(fd);
}

static void timed_acceptor(void *arg)
{
    (void)arg;
    first = net_record(sock_accept(listen_fd, NULL, NULL));
    go(late_connector, NULL, "connector");
    int fd = sock_accept(listen_fd, NULL, NULL);
    second = net_record(fd);
    if (fd >= 0)
        sock_close(fd);
}

static void test_rcvtimeo_makes_accept_fail_with_eagain(void **state)
{
    (void)state;
    net_watch(S_TIMEOUT);
    listen_fd = net_listen(&listen_addr, 4);
    set_timeout(listen_fd, SO_RCVTIMEO);
    go(timed_acceptor, NULL, "acceptor");
    net_run_all();

    check_fails(first, EAGAIN, S_TIMEOUT,
                "sock_accept with SO_RCVTIMEO 50 ms and no connection");
    check(second.done && second.ret >= 0, S_TIMEOUT,
          "the next sock_accept, once a tasklet connected: expected a "
          "descriptor, got %s",
          net_describe(second));
    check(third.done && third.ret == 0, S_CONNECT,
          "the connector's sock_connect: expected 0, got %s",
          net_describe(third));
    sock_close(listen_fd);
}

/* ---- SO_SNDTIMEO: send ---- */

enum { BIG = 4 << 20, TRIES = 10 };
static char *big;
static long partials[TRIES];
static int nsends;

static void stuck_writer(void *arg)
{
    (void)arg;
    /* Nobody reads fd_b: the buffers fill, and the timeout ends the send
     * with the count written so far; once nothing more fits, with -1. */
    first = net_record(sock_send(fd_a, big, BIG, 0));
    for (nsends = 0; nsends < TRIES; nsends++) {
        second = net_record(sock_send(fd_a, big, BIG, 0));
        partials[nsends] = second.ret;
        if (second.ret <= 0)
            break;
    }
}

static void test_sndtimeo_stops_a_send_with_what_it_wrote(void **state)
{
    (void)state;
    net_watch(S_TIMEOUT);
    big = calloc(1, BIG);
    check(big != NULL, S_SEND, "out of memory");
    net_pair(&fd_a, &fd_b);
    int size = 64 * 1024;
    sock_setsockopt(fd_a, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    set_timeout(fd_a, SO_SNDTIMEO);
    go(stuck_writer, NULL, "writer");
    net_run_all();

    check(first.done && first.ret > 0 && first.ret < BIG, S_SEND,
          "sock_send of 4 MiB with SO_SNDTIMEO 50 ms to a peer that never "
          "reads: expected the count written before the timeout (more than "
          "0, less than %d), got %s",
          BIG, net_describe(first));
    check(nsends < TRIES, S_SEND,
          "%d more sends of 4 MiB to a peer that never reads each wrote "
          "something (%ld, %ld, ... bytes): the buffers should fill up",
          TRIES, partials[0], partials[1]);
    check_fails(second, EAGAIN, S_TIMEOUT,
                "sock_send with SO_SNDTIMEO 50 ms once nothing more fits");
    sock_close(fd_a);
    sock_close(fd_b);
    free(big);
}

/* ---- SO_SNDTIMEO: connect ---- */

enum { CONNECTS = 8 };
static struct net_call connects[CONNECTS];

static void timed_connector(void *arg)
{
    (void)arg;
    /* A listener with backlog 0 that never accepts: once its queue is
     * full, the kernel drops new SYNs, and a connect waits (for a SYN
     * retransmitted a second later) until its timeout ends it. */
    int fds[CONNECTS];
    for (int i = 0; i < CONNECTS; i++) {
        fds[i] = sock_socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0) {
            connects[i] = net_record(fds[i]);
            return;
        }
        sock_setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &SHORT,
                        sizeof SHORT);
        connects[i] = net_record(sock_connect(
            fds[i], (struct sockaddr *)&listen_addr, sizeof listen_addr));
        if (connects[i].ret < 0) {
            for (int k = 0; k <= i; k++)
                sock_close(fds[k]);
            return;
        }
    }
    for (int k = 0; k < CONNECTS; k++)
        sock_close(fds[k]);
}

static void test_sndtimeo_makes_connect_fail_with_einprogress(void **state)
{
    (void)state;
    net_watch(S_TIMEOUT);
    listen_fd = net_listen(&listen_addr, 0);
    go(timed_connector, NULL, "connector");
    net_run_all();
    sock_close(listen_fd);

    int i = 0;
    while (i < CONNECTS && connects[i].done && connects[i].ret == 0)
        i++;
    if (i == CONNECTS)
        harness_skip("the kernel accepted 8 connections on a listener with "
                     "backlog 0, so no connect had to wait");
    check(i > 0, S_CONNECT,
          "the first sock_connect to a listener with room: expected 0, got %s",
          net_describe(connects[0]));
    check_fails(connects[i], EINPROGRESS, S_TIMEOUT,
                "sock_connect with SO_SNDTIMEO 50 ms to a listener whose "
                "queue is full (as the kernel's connect reports its timeout)");
}

/* ---- deadlines ---- */

static bool expired, outer_expired;

static void deadline_reader(void *arg)
{
    (void)arg;
    char buf[16];
    struct timer_deadline d;
    timer_deadline_begin(&d, timer_now() + TIMER_MS(50));
    first = net_record(sock_recv(fd_b, buf, sizeof buf, 0));
    expired = timer_deadline_end(&d);

    /* A socket timeout inside a longer deadline: the socket's own
     * timeout comes first, and it is EAGAIN, not ETIMEDOUT. */
    sock_setsockopt(fd_b, SOL_SOCKET, SO_RCVTIMEO, &SHORT, sizeof SHORT);
    timer_deadline_begin(&d, timer_now() + TIMER_MS(60 * 1000));
    second = net_record(sock_recv(fd_b, buf, sizeof buf, 0));
    outer_expired = timer_deadline_end(&d);
}

static void test_deadline_makes_recv_fail_with_etimedout(void **state)
{
    (void)state;
    net_watch(S_TIMEOUT);
    net_pair(&fd_a, &fd_b);
    go(deadline_reader, NULL, "reader");
    net_run_all();

    check_fails(first, ETIMEDOUT, S_TIMEOUT,
                "sock_recv inside a 50 ms deadline, with nothing to read");
    check(expired, S_TIMEOUT,
          "timer_deadline_end after the recv it ended: expected true");
    check_fails(second, EAGAIN, S_TIMEOUT,
                "sock_recv with SO_RCVTIMEO 50 ms inside a deadline of 60 s "
                "(the socket's timeout ends it: EAGAIN, not ETIMEDOUT)");
    check(!outer_expired, S_TIMEOUT,
          "the 60 s deadline around it should not have expired");
    sock_close(fd_a);
    sock_close(fd_b);
}

static void deadline_acceptor(void *arg)
{
    (void)arg;
    /* A long SO_RCVTIMEO, a short deadline: ETIMEDOUT, never EAGAIN. */
    struct timeval tv = {.tv_sec = 60};
    sock_setsockopt(listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct timer_deadline d;
    timer_deadline_begin(&d, timer_now() + TIMER_MS(50));
    first = net_record(sock_accept(listen_fd, NULL, NULL));
    expired = timer_deadline_end(&d);
}

static void test_deadline_makes_accept_fail_with_etimedout(void **state)
{
    (void)state;
    net_watch(S_TIMEOUT);
    listen_fd = net_listen(&listen_addr, 4);
    go(deadline_acceptor, NULL, "acceptor");
    net_run_all();

    check_fails(first, ETIMEDOUT, S_TIMEOUT,
                "sock_accept with SO_RCVTIMEO 60 s inside a 50 ms deadline");
    check(expired, S_TIMEOUT,
          "timer_deadline_end after the accept it ended: expected true");
    sock_close(listen_fd);
}

/* ---- cancellation ---- */

static tasklet *reader_t, *acceptor_t;
static bool both_parked;

static void cancelled_reader(void *arg)
{
    (void)arg;
    first = net_record(sock_recv(fd_b, got, sizeof got - 1, 0));
    /* Cancellation is delivered once: this recv works. */
    ssize_t n = sock_recv(fd_b, got, sizeof got - 1, 0);
    second = net_record(n);
    if (n > 0)
        got[n] = '\0';
}

static void cancelled_acceptor(void *arg)
{
    (void)arg;
    third = net_record(sock_accept(listen_fd, NULL, NULL));
}

static void canceller(void *arg)
{
    (void)arg;
    both_parked = tasklet_is_parked(reader_t) && tasklet_is_parked(acceptor_t);
    tasklet_cancel(reader_t);
    tasklet_cancel(acceptor_t);
    sock_send(fd_a, "after", 5, 0);
}

static void test_cancel_wakes_a_parked_call_with_ecanceled(void **state)
{
    (void)state;
    net_watch(S_TIMEOUT);
    net_pair(&fd_a, &fd_b);
    listen_fd = net_listen(&listen_addr, 4);
    reader_t = go(cancelled_reader, NULL, "reader");
    acceptor_t = go(cancelled_acceptor, NULL, "acceptor");
    go(canceller, NULL, "canceller");
    net_run_all();

    check(both_parked, S_TIMEOUT,
          "the reader and the acceptor should have been parked when they "
          "were cancelled");
    check_fails(first, ECANCELED, S_TIMEOUT,
                "sock_recv, parked when its tasklet was cancelled");
    check_fails(third, ECANCELED, S_TIMEOUT,
                "sock_accept, parked when its tasklet was cancelled");
    check(second.done && second.ret == 5 && strcmp(got, "after") == 0,
          S_TIMEOUT,
          "the cancelled tasklet's next sock_recv (\"after\" was sent): "
          "expected 5, got %s",
          net_describe(second));
    sock_close(fd_a);
    sock_close(fd_b);
    sock_close(listen_fd);
}

HARNESS_TESTS("chapters/06-sockets.md",
              cmocka_unit_test(test_rcvtimeo_makes_recv_fail_with_eagain),
              cmocka_unit_test(test_rcvtimeo_makes_accept_fail_with_eagain),
              cmocka_unit_test(test_sndtimeo_stops_a_send_with_what_it_wrote),
              cmocka_unit_test(test_sndtimeo_makes_connect_fail_with_einprogress),
              cmocka_unit_test(test_deadline_makes_recv_fail_with_etimedout),
              cmocka_unit_test(test_deadline_makes_accept_fail_with_etimedout),
              cmocka_unit_test(test_cancel_wakes_a_parked_call_with_ecanceled))
