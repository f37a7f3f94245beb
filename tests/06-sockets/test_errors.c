/*
 * test_errors.c - step 06: errors come back as POSIX says.
 *
 * A recv returns 0 once the peer has closed; a connect to a port where
 * nothing listens fails with ECONNREFUSED; a peer that resets the
 * connection makes the waiting recv fail with ECONNRESET; closing a socket
 * other tasklets wait on makes their calls fail with EBADF; and a
 * descriptor that is not open is EBADF at once. In each case the tasklet
 * that gets the error was parked in the call when the event came. A pipe
 * whose writer closes wakes its parked reader too: its hang-up comes
 * alone, without readiness, through the dispatcher's handle_close.
 *
 * Loopback only, ports picked by the kernel, no sleeps.
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
#include <unistd.h>

#include "sock.h"
#include "sockets.h"
#include "tasklet.h"
#include "timer.h"

#define S_ERRORS "End of file, refusals and resets"
#define S_CLOSE "Closing"
#define S_ADOPT "Sockets the layer did not create"

static int fd_a, fd_b, listen_fd;
static tasklet *waiter_t, *acceptor_t;
static struct net_call first, second, accept_call;
static bool parked_before;

/* ---- the end of the stream ---- */

static void eof_reader(void *arg)
{
    (void)arg;
    char buf[16];
    first = net_record(sock_recv(fd_b, buf, sizeof buf, 0));
    second = net_record(sock_recv(fd_b, buf, sizeof buf, 0));
}

static void closer_of_a(void *arg)
{
    (void)arg;
    parked_before = tasklet_is_parked(waiter_t);
    sock_close(fd_a);
}

static void test_recv_returns_0_at_end_of_stream(void **state)
{
    (void)state;
    net_watch(S_ERRORS);
    net_pair(&fd_a, &fd_b);
    waiter_t = go(eof_reader, NULL, "reader");
    go(closer_of_a, NULL, "closer");
    net_run_all();

    check(parked_before, S_RETRY,
          "the reader should have been parked in sock_recv when its peer "
          "closed");
    check(first.done && first.ret == 0, S_ERRORS,
          "sock_recv, parked when the peer closed: expected 0 (end of "
          "stream), got %s",
          net_describe(first));
    check(second.done && second.ret == 0, S_ERRORS,
          "a second sock_recv after the end of the stream: expected 0 again, "
          "got %s",
          net_describe(second));
    sock_close(fd_b);
}

/* ---- a refused connect ---- */

static struct sockaddr_in closed_addr;

static void refused_connector(void *arg)
{
    (void)arg;
    int fd = sock_socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        first = net_record(fd);
        return;
    }
    first = net_record(sock_connect(fd, (struct sockaddr *)&closed_addr,
                                sizeof closed_addr));
    sock_close(fd);
}

static void test_connect_refused(void **state)
{
    (void)state;
    net_watch(S_CONNECT);
    /* A port that was bound, then closed: nothing listens there. */
    closed_addr = (struct sockaddr_in){
        .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof closed_addr;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(s >= 0 && bind(s, (struct sockaddr *)&closed_addr, len) == 0 &&
              getsockname(s, (struct sockaddr *)&closed_addr, &len) == 0,
          S_CONNECT, "the test could not bind a port: %s", strerror(errno));
    close(s);

    go(refused_connector, NULL, "connector");
    net_run_all();
    check_fails(first, ECONNREFUSED, S_CONNECT,
                "sock_connect to a loopback port where nothing listens");
}

/* ---- a reset ---- */

static void reset_reader(void *arg)
{
    (void)arg;
    /* Data the peer will never read: closing with it unread is a reset
     * anyway; SO_LINGER {1, 0} makes sure of it. */
    sock_send(fd_b, "unread", 6, 0);
    char buf[16];
    first = net_record(sock_recv(fd_b, buf, sizeof buf, 0));
}

static void resetter(void *arg)
{
    (void)arg;
    parked_before = tasklet_is_parked(waiter_t);
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    sock_setsockopt(fd_a, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    sock_close(fd_a);
}

static void test_recv_fails_with_econnreset(void **state)
{
    (void)state;
    net_watch(S_ERRORS);
    net_pair(&fd_a, &fd_b);
    waiter_t = go(reset_reader, NULL, "reader");
    go(resetter, NULL, "resetter");
    net_run_all();

    check(parked_before, S_RETRY,
          "the reader should have been parked in sock_recv when its peer "
          "reset the connection");
    check_fails(first, ECONNRESET, S_ERRORS,
                "sock_recv, parked when the peer closed with SO_LINGER "
                "{1, 0} (a reset)");
    sock_close(fd_b);
}

/* ---- a hang-up that comes alone ---- */

static int pipe_fds[2];
static char pipe_buf[16];
static bool parked_again;

static void pipe_reader(void *arg)
{
    (void)arg;
    ssize_t n = sock_read(pipe_fds[0], pipe_buf, sizeof pipe_buf - 1);
    first = net_record(n);
    if (n > 0)
        pipe_buf[n] = '\0';
    second = net_record(sock_read(pipe_fds[0], pipe_buf, sizeof pipe_buf - 1));
}

static void pipe_writer(void *arg)
{
    (void)arg;
    sock_write(pipe_fds[1], "pipe", 4);
    /* Wait (yielding) until the reader has taken the data and parked in
     * its second read; then close the write end under it. */
    for (int i = 0; i < 10000 && !(first.done && tasklet_is_parked(waiter_t));
         i++)
        tasklet_yield();
    parked_again = first.done && tasklet_is_parked(waiter_t);
    sock_close(pipe_fds[1]);
}

static void test_closed_pipe_wakes_a_parked_read(void **state)
{
    (void)state;
    net_watch(S_ERRORS);
    check(pipe2(pipe_fds, O_CLOEXEC) == 0, S_ERRORS, "pipe2 failed: %s",
          strerror(errno));
    waiter_t = go(pipe_reader, NULL, "reader");
    go(pipe_writer, NULL, "writer");
    net_run_all();

    check(first.done && first.ret == 4 && strcmp(pipe_buf, "pipe") == 0,
          S_ADOPT,
          "sock_read on a pipe (the layer adopts any descriptor), with "
          "\"pipe\" written: expected 4, got %s",
          net_describe(first));
    check(parked_again, S_ERRORS,
          "the reader should have been parked in its second sock_read when "
          "the writer closed the pipe");
    /* A pipe whose writer closes reports a hang-up and nothing to read:
     * the reactor calls handle_close, not handle_read. */
    check(second.done && second.ret == 0, S_ERRORS,
          "sock_read, parked on an empty pipe when its writer closed: "
          "expected 0 (end of file; the hang-up comes alone, through "
          "handle_close), got %s",
          net_describe(second));
    sock_close(pipe_fds[0]);
}

/* ---- closing a socket others wait on ---- */

static void parked_reader(void *arg)
{
    (void)arg;
    char buf[16];
    first = net_record(sock_recv(fd_b, buf, sizeof buf, 0));
}

static void parked_acceptor(void *arg)
{
    (void)arg;
    accept_call = net_record(sock_accept(listen_fd, NULL, NULL));
}

static bool acceptor_parked_before;

static void closer_of_both(void *arg)
{
    (void)arg;
    parked_before = tasklet_is_parked(waiter_t);
    acceptor_parked_before = tasklet_is_parked(acceptor_t);
    sock_close(fd_b);
    sock_close(listen_fd);
}

static void test_close_wakes_waiters_with_ebadf(void **state)
{
    (void)state;
    net_watch(S_CLOSE);
    net_pair(&fd_a, &fd_b);
    struct sockaddr_in addr;
    listen_fd = net_listen(&addr, 4);
    waiter_t = go(parked_reader, NULL, "reader");
    acceptor_t = go(parked_acceptor, NULL, "acceptor");
    go(closer_of_both, NULL, "closer");
    net_run_all();

    check(parked_before && acceptor_parked_before, S_CLOSE,
          "the reader and the acceptor should both have been parked when "
          "their sockets were closed (reader %s, acceptor %s)",
          parked_before ? "parked" : "not parked",
          acceptor_parked_before ? "parked" : "not parked");
    check_fails(first, EBADF, S_CLOSE,
                "sock_recv, parked when another tasklet closed its socket "
                "with sock_close");
    check_fails(accept_call, EBADF, S_CLOSE,
                "sock_accept, parked when another tasklet closed the "
                "listening socket with sock_close");
    sock_close(fd_a);
}

/* ---- descriptors that are not open ---- */

static void test_closed_descriptor_is_ebadf(void **state)
{
    (void)state;
    net_watch(S_SOCK);
    char buf[8];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    check(fd >= 0, S_SOCK, "socket failed: %s", strerror(errno));
    close(fd); /* fd is now a number that names nothing */

    errno = 0;
    struct net_call c = net_record(sock_recv(fd, buf, sizeof buf, 0));
    check_fails(c, EBADF, S_SOCK, "sock_recv on a descriptor that is not open");
    errno = 0;
    c = net_record(sock_send(fd, "x", 1, 0));
    check_fails(c, EBADF, S_SOCK, "sock_send on a descriptor that is not open");
    errno = 0;
    c = net_record(sock_recv(-1, buf, sizeof buf, 0));
    check_fails(c, EBADF, S_SOCK, "sock_recv(-1, ...)");

    /* And one the layer knew, closed through it. */
    errno = 0;
    fd = sock_socket(AF_INET, SOCK_STREAM, 0);
    int e = errno;
    check(fd >= 0, S_SOCK,
          "sock_socket(AF_INET, SOCK_STREAM, 0): expected a descriptor, got "
          "%d with errno %s",
          fd, net_err_name(e));
    check_eq(sock_close(fd), 0, S_CLOSE, "sock_close of an open socket");
    errno = 0;
    c = net_record(sock_close(fd));
    check_fails(c, EBADF, S_CLOSE, "sock_close of a socket already closed");
    errno = 0;
    c = net_record(sock_recv(fd, buf, sizeof buf, 0));
    check_fails(c, EBADF, S_CLOSE, "sock_recv on a socket already closed");
    net_run_all();
}

HARNESS_TESTS("chapters/06-sockets.md",
              cmocka_unit_test(test_recv_returns_0_at_end_of_stream),
              cmocka_unit_test(test_connect_refused),
              cmocka_unit_test(test_recv_fails_with_econnreset),
              cmocka_unit_test(test_closed_pipe_wakes_a_parked_read),
              cmocka_unit_test(test_close_wakes_waiters_with_ebadf),
              cmocka_unit_test(test_closed_descriptor_is_ebadf))
