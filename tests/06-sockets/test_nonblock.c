/*
 * test_nonblock.c - step 06: the caller's O_NONBLOCK, and sockets the
 * layer did not create.
 *
 * Every socket is non-blocking underneath, but a caller that asked for
 * non-blocking behaviour itself (SOCK_NONBLOCK, sock_fcntl F_SETFL
 * O_NONBLOCK, MSG_DONTWAIT) gets -1 with EAGAIN and never parks; F_GETFL
 * shows the caller its own choice, not the layer's. A socket made with
 * plain socket(2) before the layer saw it is adopted on first use, with
 * the caller's flag as it found it.
 *
 * "Never parks" is checked with a witness: a tasklet that is runnable the
 * whole time and records when it runs. A call that parked would let it
 * run in the middle. Loopback only, ports picked by the kernel.
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

#include "reactor_backend.h"
#include "sock.h"
#include "sockets.h"
#include "tasklet.h"
#include "timer.h"

#define S_WAIT "Waiting on a channel"
#define S_NONBLOCK "The caller's O_NONBLOCK"
#define S_ADOPT "Sockets the layer did not create"

enum { BIG = 4 << 20 };
static char *big;
static int fd_a, fd_b, listen_fd;
static struct sockaddr_in listen_addr;

/* ---- calls that must not park ---- */

/* A safety net: a call that parks although it should not would wait
 * forever for data nobody sends; a deadline ends it (ETIMEDOUT) so the
 * test can say what happened. The tests never rely on it. */
static struct timer_deadline net;

static void witness(void *arg)
{
    (void)arg;
    trace("witness");
}

/* Calls that must all fail at once with EAGAIN: they run in a tasklet
 * spawned before the witness, so the witness runs in the middle of the
 * trace if any of them parks. */
struct nb_calls {
    int recv_fd;       /* sock_recv on it, if >= 0 */
    int recv_flags;
    int read_fd;       /* sock_read on it, if >= 0 */
    int accept_fd;     /* sock_accept on it, if >= 0 */
    int send_fd;       /* sock_send of 4 MiB on it, if >= 0 */
    int send_flags;
};

static struct nb_calls nb;
static struct net_call nb_recv, nb_read, nb_accept, nb_send, nb_send2;

static void nonblocking_calls(void *arg)
{
    (void)arg;
    char buf[16];
    timer_deadline_begin(&net, timer_now() + TIMER_MS(2000));
    if (nb.recv_fd >= 0) {
        nb_recv = net_record(
            sock_recv(nb.recv_fd, buf, sizeof buf, nb.recv_flags));
        trace("recv");
    }
    if (nb.read_fd >= 0) {
        nb_read = net_record(sock_read(nb.read_fd, buf, sizeof buf));
        trace("read");
    }
    if (nb.accept_fd >= 0) {
        nb_accept = net_record(sock_accept(nb.accept_fd, NULL, NULL));
        trace("accept");
    }
    if (nb.send_fd >= 0) {
        /* The first send writes what fits, the second finds no room. */
        nb_send = net_record(sock_send(nb.send_fd, big, BIG, nb.send_flags));
        nb_send2 = net_record(sock_send(nb.send_fd, big, BIG, nb.send_flags));
        trace("send");
    }
    timer_deadline_end(&net);
}

static void run_nonblocking_calls(const char *how)
{
    trace_reset();
    go(nonblocking_calls, NULL, "caller");
    go(witness, NULL, "witness");
    net_run_all();

    char want[64];
    snprintf(want, sizeof want, "%s%s%s%switness",
             nb.recv_fd >= 0 ? "recv " : "", nb.read_fd >= 0 ? "read " : "",
             nb.accept_fd >= 0 ? "accept " : "",
             nb.send_fd >= 0 ? "send " : "");
    check(harness_streq(trace_text(), want), S_NONBLOCK,
          "on a socket made non-blocking by %s, no call may park: expected "
          "the order \"%s\" (the witness last), but the tasklets ran \"%s\"",
          how, want, trace_text());
    if (nb.recv_fd >= 0)
        check_fails(nb_recv, EAGAIN, S_NONBLOCK,
                    "sock_recv with nothing to read");
    if (nb.read_fd >= 0)
        check_fails(nb_read, EAGAIN, S_NONBLOCK,
                    "sock_read with nothing to read");
    if (nb.accept_fd >= 0)
        check_fails(nb_accept, EAGAIN, S_NONBLOCK,
                    "sock_accept with no connection waiting");
    if (nb.send_fd >= 0) {
        check(nb_send.done && nb_send.ret > 0 && nb_send.ret < BIG,
              S_NONBLOCK,
              "a non-blocking sock_send of 4 MiB to a peer that does not "
              "read: expected the count that fit (more than 0, less than "
              "%d), got %s",
              BIG, net_describe(nb_send));
        check_fails(nb_send2, EAGAIN, S_NONBLOCK,
                    "the next non-blocking sock_send, with no room left");
    }
}

static void alloc_big(void)
{
    big = calloc(1, BIG);
    check(big != NULL, S_NONBLOCK, "out of memory");
}

static int bounded_sndbuf(int fd)
{
    int size = 64 * 1024;
    return sock_setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

/* ---- SOCK_NONBLOCK ---- */

static void test_sock_nonblock_never_parks(void **state)
{
    (void)state;
    net_watch(S_NONBLOCK);
    alloc_big();
    errno = 0;
    listen_fd = sock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int e = errno;
    check(listen_fd >= 0, S_SOCK,
          "sock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0): expected a "
          "descriptor, got %d with errno %s",
          listen_fd, net_err_name(e));
    listen_addr = (struct sockaddr_in){
        .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof listen_addr;
    check(sock_bind(listen_fd, (struct sockaddr *)&listen_addr, len) == 0 &&
              sock_listen(listen_fd, 4) == 0 &&
              getsockname(listen_fd, (struct sockaddr *)&listen_addr,
                          &len) == 0,
          S_SOCK, "binding and listening failed: %s", strerror(errno));

    /* A non-blocking connect: EINPROGRESS (or 0), then sock_wait until
     * writable, as a program that polls would. */
    fd_a = sock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    errno = 0;
    int rc = sock_connect(fd_a, (struct sockaddr *)&listen_addr, len);
    e = errno;
    check(rc == 0 || (rc == -1 && e == EINPROGRESS), S_NONBLOCK,
          "sock_connect on a SOCK_NONBLOCK socket: expected -1 with errno "
          "EINPROGRESS (or 0), got %d with errno %s",
          rc, net_err_name(e));
    if (rc < 0) {
        errno = 0;
        rc = sock_wait(fd_a, REACTOR_WRITE, 0);
        e = errno;
        check(rc == 0, S_WAIT,
              "sock_wait(fd, REACTOR_WRITE, 0) after a non-blocking connect: "
              "expected 0 once connected, got %d with errno %s",
              rc, net_err_name(e));
        int err = -1;
        socklen_t n = sizeof err;
        getsockopt(fd_a, SOL_SOCKET, SO_ERROR, &err, &n);
        check(err == 0, S_CONNECT,
              "SO_ERROR after the non-blocking connect: expected 0, got %s",
              net_err_name(err));
    }
    errno = 0;
    fd_b = sock_accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
    e = errno;
    check(fd_b >= 0, S_RETRY,
          "sock_accept4(SOCK_NONBLOCK) with a connection waiting: expected "
          "a descriptor, got %d with errno %s",
          fd_b, net_err_name(e));
    bounded_sndbuf(fd_a);

    nb = (struct nb_calls){.recv_fd = fd_b, .read_fd = fd_a,
                           .accept_fd = listen_fd, .send_fd = fd_a};
    run_nonblocking_calls("SOCK_NONBLOCK");
    sock_close(fd_a);
    sock_close(fd_b);
    sock_close(listen_fd);
    free(big);
}

/* ---- F_SETFL O_NONBLOCK, then back ---- */

static struct net_call later_recv;

static void blocking_again_reader(void *arg)
{
    (void)arg;
    char buf[16];
    trace("r:wait");
    later_recv = net_record(sock_recv(fd_a, buf, sizeof buf, 0));
    trace("r:got");
}

static void blocking_again_sender(void *arg)
{
    (void)arg;
    trace("s:send");
    sock_send(fd_b, "again", 5, 0);
}

static void test_fcntl_nonblock_never_parks(void **state)
{
    (void)state;
    net_watch(S_NONBLOCK);
    alloc_big();
    net_pair(&fd_a, &fd_b);
    struct sockaddr_in addr;
    listen_fd = net_listen(&addr, 4);
    bounded_sndbuf(fd_a);
    int fds[] = {fd_a, fd_b, listen_fd};
    int flags[3];
    for (int i = 0; i < 3; i++) {
        errno = 0;
        flags[i] = sock_fcntl(fds[i], F_GETFL);
        int e = errno;
        check(flags[i] >= 0, S_NONBLOCK,
              "sock_fcntl(fd, F_GETFL): expected the flags, got %d with "
              "errno %s",
              flags[i], net_err_name(e));
        errno = 0;
        int rc = sock_fcntl(fds[i], F_SETFL, flags[i] | O_NONBLOCK);
        e = errno;
        check(rc == 0, S_NONBLOCK,
              "sock_fcntl(fd, F_SETFL, flags | O_NONBLOCK): expected 0, got "
              "%d with errno %s",
              rc, net_err_name(e));
    }
    nb = (struct nb_calls){.recv_fd = fd_b, .read_fd = -1,
                           .accept_fd = listen_fd, .send_fd = fd_a};
    run_nonblocking_calls("sock_fcntl(F_SETFL, O_NONBLOCK)");

    /* Blocking again: the caller clears its flag on fd_a, the fd stays
     * non-blocking underneath, and a recv parks only its tasklet. (The
     * other direction, fd_a to fd_b, is full of the send above.) */
    check_eq(sock_fcntl(fd_a, F_SETFL, flags[0] & ~O_NONBLOCK), 0, S_NONBLOCK,
             "sock_fcntl(fd, F_SETFL, flags without O_NONBLOCK)");
    check(fcntl(fd_a, F_GETFL) & O_NONBLOCK, S_NONBLOCK,
          "after the caller cleared O_NONBLOCK with sock_fcntl, the fd "
          "itself must stay non-blocking (the layer needs it): fcntl(2) "
          "shows it blocking");
    trace_reset();
    go(blocking_again_reader, NULL, "reader");
    go(blocking_again_sender, NULL, "sender");
    net_run_all();
    check_trace("r:wait s:send r:got", S_NONBLOCK);
    check(later_recv.done && later_recv.ret == 5, S_NONBLOCK,
          "sock_recv once the caller cleared O_NONBLOCK: expected to park, "
          "then 5, got %s",
          net_describe(later_recv));
    sock_close(fd_a);
    sock_close(fd_b);
    sock_close(listen_fd);
    free(big);
}

/* ---- MSG_DONTWAIT ---- */

static void test_msg_dontwait_never_parks(void **state)
{
    (void)state;
    net_watch(S_NONBLOCK);
    alloc_big();
    net_pair(&fd_a, &fd_b);
    bounded_sndbuf(fd_a);
    nb = (struct nb_calls){.recv_fd = fd_b, .recv_flags = MSG_DONTWAIT,
                           .read_fd = -1, .accept_fd = -1, .send_fd = fd_a,
                           .send_flags = MSG_DONTWAIT};
    run_nonblocking_calls("MSG_DONTWAIT");
    sock_close(fd_a);
    sock_close(fd_b);
    free(big);
}

/* ---- F_GETFL shows the caller's flag ---- */

static void test_getfl_hides_the_layers_nonblock(void **state)
{
    (void)state;
    net_watch(S_NONBLOCK);
    net_pair(&fd_a, &fd_b);
    int fds[] = {fd_a, fd_b};
    const char *what[] = {"a socket from sock_socket",
                          "a socket from sock_accept"};
    for (int i = 0; i < 2; i++) {
        int fd = fds[i];
        check(fcntl(fd, F_GETFL) & O_NONBLOCK, S_SOCK,
              "%s must be non-blocking underneath: fcntl(2) F_GETFL shows no "
              "O_NONBLOCK",
              what[i]);
        int flags = sock_fcntl(fd, F_GETFL);
        check(flags >= 0 && !(flags & O_NONBLOCK), S_NONBLOCK,
              "sock_fcntl(F_GETFL) on %s the caller never made non-blocking: "
              "expected no O_NONBLOCK (the layer's own is hidden), got %#x",
              what[i], (unsigned)flags);
        check((flags & O_ACCMODE) == O_RDWR, S_NONBLOCK,
              "sock_fcntl(F_GETFL) on %s should keep the other flags "
              "(O_RDWR), got %#x",
              what[i], (unsigned)flags);
        check_eq(sock_fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0, S_NONBLOCK,
                 "sock_fcntl(F_SETFL, flags | O_NONBLOCK)");
        flags = sock_fcntl(fd, F_GETFL);
        check(flags >= 0 && (flags & O_NONBLOCK), S_NONBLOCK,
              "sock_fcntl(F_GETFL) on %s after the caller set O_NONBLOCK: "
              "expected O_NONBLOCK, got %#x",
              what[i], (unsigned)flags);
        check_eq(sock_fcntl(fd, F_SETFL, flags & ~O_NONBLOCK), 0, S_NONBLOCK,
                 "sock_fcntl(F_SETFL, flags without O_NONBLOCK)");
        flags = sock_fcntl(fd, F_GETFL);
        check(flags >= 0 && !(flags & O_NONBLOCK), S_NONBLOCK,
              "sock_fcntl(F_GETFL) on %s after the caller cleared O_NONBLOCK "
              "again: expected no O_NONBLOCK, got %#x",
              what[i], (unsigned)flags);
        check(fcntl(fd, F_GETFL) & O_NONBLOCK, S_NONBLOCK,
              "%s must stay non-blocking underneath whatever the caller "
              "sets: fcntl(2) F_GETFL shows no O_NONBLOCK",
              what[i]);
    }
    /* Commands the layer does not care about pass straight through. */
    check_eq(sock_fcntl(fd_a, F_SETFD, FD_CLOEXEC), 0, S_NONBLOCK,
             "sock_fcntl(F_SETFD, FD_CLOEXEC)");
    check_eq(sock_fcntl(fd_a, F_GETFD), FD_CLOEXEC, S_NONBLOCK,
             "sock_fcntl(F_GETFD)");

    int fd = sock_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int flags = sock_fcntl(fd, F_GETFL);
    check(fd >= 0 && flags >= 0 && (flags & O_NONBLOCK), S_NONBLOCK,
          "sock_fcntl(F_GETFL) on a socket from sock_socket(SOCK_NONBLOCK): "
          "expected O_NONBLOCK, got %#x",
          (unsigned)flags);
    sock_close(fd);
    sock_close(fd_a);
    sock_close(fd_b);
    net_run_all();
}

/* ---- sockets made with plain socket(2) ---- */

static int plain_listener, plain_client, accepted_fd;
static struct net_call plain_connect, plain_accept, plain_recv;
static char plain_got[16];

static void plain_connector(void *arg)
{
    (void)arg;
    trace("c:connect");
    plain_connect = net_record(sock_connect(
        plain_client, (struct sockaddr *)&listen_addr, sizeof listen_addr));
    if (plain_connect.ret < 0)
        return;
    trace("c:wait");
    ssize_t n = sock_recv(plain_client, plain_got, sizeof plain_got - 1, 0);
    plain_recv = net_record(n);
    if (n > 0) {
        plain_got[n] = '\0';
        trace("c:got");
    }
}

static void plain_server(void *arg)
{
    (void)arg;
    trace("s:accept");
    accepted_fd = sock_accept(plain_listener, NULL, NULL);
    plain_accept = net_record(accepted_fd);
    if (accepted_fd < 0)
        return;
    trace("s:send");
    sock_send(accepted_fd, "adopted", 7, 0);
}

static void test_plain_socket_is_adopted(void **state)
{
    (void)state;
    net_watch(S_ADOPT);
    /* Made with socket(2): blocking descriptors the layer never saw. */
    plain_listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    plain_client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    listen_addr = (struct sockaddr_in){
        .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof listen_addr;
    check(plain_listener >= 0 && plain_client >= 0 &&
              bind(plain_listener, (struct sockaddr *)&listen_addr, len) ==
                  0 &&
              listen(plain_listener, 4) == 0 &&
              getsockname(plain_listener, (struct sockaddr *)&listen_addr,
                          &len) == 0,
          S_ADOPT, "the test could not set up plain sockets: %s",
          strerror(errno));

    trace_reset();
    go(plain_server, NULL, "server");
    go(plain_connector, NULL, "connector");
    net_run_all();

    check(plain_accept.done && plain_accept.ret >= 0, S_ADOPT,
          "sock_accept on a listener made with socket(2): expected a "
          "descriptor, got %s",
          net_describe(plain_accept));
    check(plain_connect.done && plain_connect.ret == 0, S_ADOPT,
          "sock_connect on a socket made with socket(2): expected 0, got %s",
          net_describe(plain_connect));
    check(plain_recv.done && plain_recv.ret == 7 &&
              strcmp(plain_got, "adopted") == 0,
          S_ADOPT,
          "sock_recv on a socket made with socket(2): expected 7 "
          "(\"adopted\"), got %s",
          net_describe(plain_recv));
    /* The server parked in accept and let the connector run; the
     * connector parked in recv until the server sent. */
    /* Who of the two wakes first once the connection is made depends on
     * the order the kernel reports them in; both orders are right. */
    const char *t = trace_text();
    check(harness_streq(t, "s:accept c:connect c:wait s:send c:got") ||
              harness_streq(t, "s:accept c:connect s:send c:wait c:got"),
          S_ADOPT,
          "expected the server to park in sock_accept and let the connector "
          "run, and the connector to get its data after the server sent: "
          "\"s:accept c:connect\", then \"c:wait\" and \"s:send\" in either "
          "order, then \"c:got\"; the tasklets ran \"%s\"",
          t);
    check(fcntl(plain_client, F_GETFL) & O_NONBLOCK, S_ADOPT,
          "once the layer adopted a socket made with socket(2), the fd "
          "should be non-blocking underneath");
    int flags = sock_fcntl(plain_client, F_GETFL);
    check(flags >= 0 && !(flags & O_NONBLOCK), S_NONBLOCK,
          "sock_fcntl(F_GETFL) on an adopted socket the caller left "
          "blocking: expected no O_NONBLOCK, got %#x",
          (unsigned)flags);
    sock_close(accepted_fd);
    sock_close(plain_client);
    sock_close(plain_listener);
}

static void test_plain_nonblocking_socket_stays_nonblocking(void **state)
{
    (void)state;
    net_watch(S_ADOPT);
    struct sockaddr_in addr;
    listen_fd = net_listen(&addr, 4);
    /* The caller made it non-blocking before the layer saw it: adopting
     * it must keep that choice. */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    check(fd >= 0, S_ADOPT, "socket failed: %s", strerror(errno));
    errno = 0;
    int rc = sock_connect(fd, (struct sockaddr *)&addr, sizeof addr);
    int e = errno;
    check(rc == 0 || (rc == -1 && e == EINPROGRESS), S_ADOPT,
          "sock_connect on a socket the caller made non-blocking with "
          "socket(2): expected -1 with errno EINPROGRESS (or 0), got %d with "
          "errno %s",
          rc, net_err_name(e));
    if (rc < 0)
        check_eq(sock_wait(fd, REACTOR_WRITE, 0), 0, S_WAIT,
                 "sock_wait(fd, REACTOR_WRITE, 0) after a non-blocking "
                 "connect");
    int flags = sock_fcntl(fd, F_GETFL);
    check(flags >= 0 && (flags & O_NONBLOCK), S_ADOPT,
          "sock_fcntl(F_GETFL) on an adopted socket the caller made "
          "non-blocking: expected O_NONBLOCK, got %#x",
          (unsigned)flags);
    nb = (struct nb_calls){.recv_fd = fd, .read_fd = -1, .accept_fd = -1,
                           .send_fd = -1};
    run_nonblocking_calls("socket(2) with SOCK_NONBLOCK, before the layer "
                          "saw it");
    sock_close(fd);
    sock_close(listen_fd);
}

HARNESS_TESTS("chapters/06-sockets.md",
              cmocka_unit_test(test_sock_nonblock_never_parks),
              cmocka_unit_test(test_fcntl_nonblock_never_parks),
              cmocka_unit_test(test_msg_dontwait_never_parks),
              cmocka_unit_test(test_getfl_hides_the_layers_nonblock),
              cmocka_unit_test(test_plain_socket_is_adopted),
              cmocka_unit_test(test_plain_nonblocking_socket_stays_nonblocking))
