/*
 * test_connect.c - step 05: one TCP connection at a time, through its
 * dispatcher's handlers.
 *
 * A non-blocking connect that completes (handle_connect, connected) and
 * one that is refused (handle_error with ECONNREFUSED; with no handler,
 * the defaults close it); accepting; the peer closing (handle_close once,
 * dispatcher_recv -1 after it), resetting, or gone while we send.
 *
 * Every scenario runs on epoll, then on poll. All on loopback (127.0.0.1),
 * with ports the kernel picks. The reactor turns with a timeout of 2 s, so
 * an event that never comes shows as a failed check, not a hang; no check
 * looks at how long anything took.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reactor.h"
#include "reactest.h"
#include "reactor_backend.h"

#define S_HANDLERS "The handlers"
#define S_TURN "One turn of the loop"
#define S_CONNECT "Finishing a connect"
#define S_EOF "End of file and errors"

/* ---- helpers ---- */

/* A plain listening socket on 127.0.0.1, on a port the kernel picks. */
static int listen_loopback(struct sockaddr_in *addr)
{
    *addr = (struct sockaddr_in){.sin_family = AF_INET,
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof *addr;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(fd >= 0 && bind(fd, (struct sockaddr *)addr, len) == 0 &&
              listen(fd, 16) == 0 &&
              getsockname(fd, (struct sockaddr *)addr, &len) == 0,
          S_HANDLERS, "the test could not listen on 127.0.0.1: %s",
          strerror(errno));
    return fd;
}

/* A loopback address where nothing listens: a port bound, then closed. */
static struct sockaddr_in closed_port(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(fd >= 0 && bind(fd, (struct sockaddr *)&addr, len) == 0 &&
              getsockname(fd, (struct sockaddr *)&addr, &len) == 0,
          S_CONNECT, "the test could not bind on 127.0.0.1: %s",
          strerror(errno));
    close(fd);
    return addr;
}

/* Both ends of one TCP connection on loopback, plain blocking sockets. */
static void tcp_pair(int *ours, int *theirs)
{
    struct sockaddr_in addr;
    int l = listen_loopback(&addr);
    *theirs = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(*theirs >= 0 &&
              connect(*theirs, (struct sockaddr *)&addr, sizeof addr) == 0,
          S_HANDLERS, "the test could not connect on loopback: %s",
          strerror(errno));
    *ours = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    check(*ours >= 0, S_HANDLERS, "the test could not accept: %s",
          strerror(errno));
    close(l);
}

/* Turns the reactor until *flag is set or no dispatcher is left; fails
 * if two turns in a row bring nothing for 2 s each, or if 1000 turns
 * (a handful is enough) pass without it. */
static void turn_until(reactor *r, const bool *flag, const char *section,
                       const char *waiting_for)
{
    int idle = 0;
    for (int turns = 0; !*flag && reactor_count(r) > 0; turns++) {
        check(turns < 1000, section,
              "with the %s backend, waiting for %s: 1000 turns went by "
              "without it; the loop spins on an fd that stays ready (an EOF "
              "or a hang-up that no handler acts on?)",
              backend, waiting_for);
        errno = 0;
        int n = reactor_poll(r, 2000);
        int e = errno;
        check(n >= 0, section,
              "with the %s backend, reactor_poll: expected the number of "
              "events handled, got %d with errno %s",
              backend, n, rt_err_name(e));
        idle = n == 0 ? idle + 1 : 0;
        check(idle < 2, section,
              "with the %s backend, waiting for %s: two turns of 2 s "
              "brought no event at all",
              backend, waiting_for);
    }
}

/* What the handlers saw. */
struct seen {
    struct dispatcher d;
    bool done;
    int connects, reads, writes, accepts, closes, errors;
    int last_error;
    int accepted_fd;
    ssize_t last_recv;
    int recv_errno;
    char got[256];
    size_t got_len;
};

static void seen_connect(struct dispatcher *d)
{
    struct seen *s = d->data;
    s->connects++;
    s->done = true;
}

static void seen_error(struct dispatcher *d, int err)
{
    struct seen *s = d->data;
    s->errors++;
    s->last_error = err;
    s->done = true;
    dispatcher_close(d);
}

static void seen_close(struct dispatcher *d)
{
    struct seen *s = d->data;
    s->closes++;
    s->done = true;
    dispatcher_close(d);
}

static void seen_read(struct dispatcher *d)
{
    struct seen *s = d->data;
    s->reads++;
    errno = 0;
    s->last_recv = dispatcher_recv(d, s->got + s->got_len,
                                   sizeof s->got - 1 - s->got_len);
    s->recv_errno = errno;
    if (s->last_recv > 0)
        s->got_len += (size_t)s->last_recv;
}

static void seen_accept(struct dispatcher *d)
{
    struct seen *s = d->data;
    s->accepts++;
    s->accepted_fd = dispatcher_accept(d);
    s->done = true;
}

static const struct dispatcher_ops seen_ops = {
    .handle_connect = seen_connect,
    .handle_read = seen_read,
    .handle_accept = seen_accept,
    .handle_close = seen_close,
    .handle_error = seen_error,
};

static void seen_init(struct seen *s, const struct dispatcher_ops *ops)
{
    *s = (struct seen){.d = {.fd = -1, .ops = ops, .data = s},
                       .accepted_fd = -1};
}

static void new_socket(struct seen *s, const char *section)
{
    errno = 0;
    int rc = dispatcher_socket(&s->d, AF_INET, SOCK_STREAM);
    int e = errno;
    check(rc == 0 && s->d.fd >= 0, section,
          "dispatcher_socket(AF_INET, SOCK_STREAM): expected 0 and a new fd "
          "in d->fd, got %d (fd %d) with errno %s",
          rc, s->d.fd, rt_err_name(e));
    int flags = fcntl(s->d.fd, F_GETFL);
    check(flags >= 0 && (flags & O_NONBLOCK), section,
          "dispatcher_socket should make a non-blocking socket (O_NONBLOCK); "
          "flags are 0x%x",
          flags);
}

/* ---- connecting ---- */

static void connect_scenario(reactor *r)
{
    struct sockaddr_in addr;
    int l = listen_loopback(&addr); /* the kernel completes the handshake */
    struct seen s;
    seen_init(&s, &seen_ops);
    new_socket(&s, S_CONNECT);
    rt_add(r, &s.d, S_CONNECT);

    errno = 0;
    int rc = dispatcher_connect(&s.d, (struct sockaddr *)&addr, sizeof addr);
    int e = errno;
    check(rc == 0, S_CONNECT,
          "dispatcher_connect to a listening port: expected 0 (started, or "
          "done at once), got %d with errno %s (a connect in progress is "
          "not an error)",
          rc, rt_err_name(e));
    check(s.d.connecting || s.d.connected, S_CONNECT,
          "after dispatcher_connect returned 0, d should be connecting (or "
          "connected at once)");
    if (s.d.connecting) {
        turn_until(r, &s.done, S_CONNECT, "handle_connect");
        check_eq(s.errors, 0, S_CONNECT,
                 "handle_error calls for a connect that should succeed");
        check(s.connects == 1, S_CONNECT,
              "with the %s backend, handle_connect should run once when the "
              "socket becomes writable (SO_ERROR 0); it ran %d times",
              backend, s.connects);
    }
    check(s.d.connected && !s.d.connecting, S_CONNECT,
          "with the %s backend, once the connect finished, d should be "
          "connected and no longer connecting: connected %d, connecting %d",
          backend, s.d.connected, s.d.connecting);
    check_eq(reactor_count(r), 1, S_CONNECT,
             "dispatchers after the connect (it stays added)");
    dispatcher_close(&s.d);
    check(s.d.fd == -1 && reactor_count(r) == 0, S_HANDLERS,
          "dispatcher_close should remove d from its reactor and set d->fd "
          "to -1: fd %d, reactor_count %zu",
          s.d.fd, reactor_count(r));
    close(l);
}

static void test_connect_completes(void **state)
{
    (void)state;
    rt_on_both_backends(connect_scenario);
}

static void refused_scenario(reactor *r)
{
    struct sockaddr_in addr = closed_port();
    struct seen s;
    seen_init(&s, &seen_ops);
    new_socket(&s, S_CONNECT);
    rt_add(r, &s.d, S_CONNECT);

    errno = 0;
    int rc = dispatcher_connect(&s.d, (struct sockaddr *)&addr, sizeof addr);
    int e = errno;
    if (rc < 0) {
        /* Allowed: the refusal came before connect returned. */
        check(e == ECONNREFUSED, S_CONNECT,
              "dispatcher_connect to a closed port failed at once: expected "
              "errno ECONNREFUSED, got %s",
              rt_err_name(e));
        dispatcher_close(&s.d);
        return;
    }
    check(s.d.connecting, S_CONNECT,
          "dispatcher_connect returned 0: d should be connecting");
    turn_until(r, &s.done, S_CONNECT, "handle_error");
    check_eq(s.connects, 0, S_CONNECT,
             "handle_connect calls for a refused connect");
    check(s.errors == 1 && s.last_error == ECONNREFUSED, S_CONNECT,
          "with the %s backend, a refused connect should call handle_error "
          "once with ECONNREFUSED (from SO_ERROR); it ran %d times, last "
          "with %s",
          backend, s.errors, rt_err_name(s.last_error));
    check(!s.d.connected, S_CONNECT,
          "a refused connect must not leave d connected");
    check_eq(s.closes, 0, S_CONNECT,
             "handle_close calls when handle_error handled the refusal");
}

static void test_connect_refused(void **state)
{
    (void)state;
    rt_on_both_backends(refused_scenario);
}

/* No handle_error: its default calls handle_close. */
static const struct dispatcher_ops close_only_ops = {
    .handle_connect = seen_connect,
    .handle_close = seen_close,
};

/* No handlers at all: handle_close's default closes. */
static const struct dispatcher_ops no_handler_ops = {0};

static void refused_defaults_scenario(reactor *r)
{
    struct sockaddr_in addr = closed_port();
    struct seen s;
    seen_init(&s, &close_only_ops);
    new_socket(&s, S_HANDLERS);
    rt_add(r, &s.d, S_HANDLERS);
    if (dispatcher_connect(&s.d, (struct sockaddr *)&addr, sizeof addr) < 0) {
        dispatcher_close(&s.d); /* refused at once: nothing to see here */
        return;
    }
    turn_until(r, &s.done, S_HANDLERS, "handle_close");
    check(s.closes == 1, S_HANDLERS,
          "with the %s backend, a refused connect and no handle_error: the "
          "default handle_error should call handle_close once; it ran %d "
          "times",
          backend, s.closes);

    /* Now with no handler at all: the default handle_close closes. */
    struct seen t;
    seen_init(&t, &no_handler_ops);
    new_socket(&t, S_HANDLERS);
    rt_add(r, &t.d, S_HANDLERS);
    if (dispatcher_connect(&t.d, (struct sockaddr *)&addr, sizeof addr) < 0) {
        dispatcher_close(&t.d);
        return;
    }
    bool never = false; /* turn until no dispatcher is left */
    turn_until(r, &never, S_HANDLERS, "the default handle_close");
    check(t.d.fd == -1 && reactor_count(r) == 0, S_HANDLERS,
          "with the %s backend, a refused connect with no handlers at all "
          "should end in the default handle_close, which closes d: d->fd "
          "is %d, reactor_count %zu",
          backend, t.d.fd, reactor_count(r));
}

static void test_refused_defaults_close(void **state)
{
    (void)state;
    rt_on_both_backends(refused_defaults_scenario);
}

/* ---- accepting ---- */

static void accept_scenario(reactor *r)
{
    struct seen s;
    seen_init(&s, &seen_ops);
    new_socket(&s, S_HANDLERS);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    errno = 0;
    int rc = dispatcher_listen(&s.d, (struct sockaddr *)&addr, sizeof addr,
                               16);
    int e = errno;
    check(rc == 0 && s.d.accepting, S_HANDLERS,
          "dispatcher_listen on 127.0.0.1 port 0: expected 0 and d "
          "accepting, got %d with errno %s (accepting %d)",
          rc, rt_err_name(e), s.d.accepting);
    socklen_t len = sizeof addr;
    getsockname(s.d.fd, (struct sockaddr *)&addr, &len);
    rt_add(r, &s.d, S_HANDLERS);

    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(connect(c, (struct sockaddr *)&addr, sizeof addr) == 0, S_HANDLERS,
          "the test could not connect: %s", strerror(errno));
    turn_until(r, &s.done, S_HANDLERS, "handle_accept");
    check(s.accepts == 1 && s.reads == 0, S_HANDLERS,
          "with the %s backend, a listening dispatcher with a connection "
          "waiting should get handle_accept (not handle_read): "
          "handle_accept ran %d times, handle_read %d",
          backend, s.accepts, s.reads);
    check(s.accepted_fd >= 0, S_HANDLERS,
          "dispatcher_accept in handle_accept: expected the new fd, got -1 "
          "with errno %s",
          rt_err_name(errno));
    int flags = fcntl(s.accepted_fd, F_GETFL);
    check(flags >= 0 && (flags & O_NONBLOCK), S_HANDLERS,
          "the fd from dispatcher_accept should be non-blocking; flags 0x%x",
          flags);
    errno = 0;
    int again = dispatcher_accept(&s.d);
    e = errno;
    check(again == -1 && e == EAGAIN, S_HANDLERS,
          "dispatcher_accept with no connection waiting: expected -1 with "
          "EAGAIN, got %d with errno %s",
          again, rt_err_name(e));
    close(s.accepted_fd);
    close(c);
    dispatcher_close(&s.d);
}

static void test_accept(void **state)
{
    (void)state;
    rt_on_both_backends(accept_scenario);
}

/* ---- the peer closing ---- */

static void peer_close_scenario(reactor *r)
{
    int ours, theirs;
    tcp_pair(&ours, &theirs);
    struct seen s;
    seen_init(&s, &seen_ops);
    s.d.fd = ours;
    s.d.connected = true;
    rt_add(r, &s.d, S_EOF);
    check(write(theirs, "bye", 3) == 3, S_EOF, "write failed");
    close(theirs);

    turn_until(r, &s.done, S_EOF, "handle_close");
    check(s.got_len == 3 && memcmp(s.got, "bye", 3) == 0, S_EOF,
          "with the %s backend, the data sent before the peer closed should "
          "be read first: expected \"bye\", got \"%.*s\"",
          backend, (int)s.got_len, s.got);
    check(s.closes == 1 && s.errors == 0, S_EOF,
          "with the %s backend, the peer closing should call handle_close "
          "once (from dispatcher_recv's read of 0), and not handle_error; "
          "handle_close ran %d times, handle_error %d (last %s)",
          backend, s.closes, s.errors, rt_err_name(s.last_error));
    check(s.last_recv == -1, S_EOF,
          "with the %s backend, dispatcher_recv at the peer's EOF should "
          "return -1 after calling handle_close, got %zd",
          backend, s.last_recv);
    check(s.d.fd == -1 && reactor_count(r) == 0, S_EOF,
          "handle_close closed d: d->fd should be -1 and the reactor empty; "
          "fd %d, reactor_count %zu",
          s.d.fd, reactor_count(r));

    /* Once closed, recv fails without calling handle_close again. */
    char buf[8];
    errno = 0;
    ssize_t n = dispatcher_recv(&s.d, buf, sizeof buf);
    int e = errno;
    check(n == -1 && e == EBADF && s.closes == 1, S_EOF,
          "dispatcher_recv on a closed dispatcher: expected -1 with EBADF "
          "and no further handle_close; got %zd with errno %s, handle_close "
          "ran %d times",
          n, rt_err_name(e), s.closes);
}

static void test_peer_closes(void **state)
{
    (void)state;
    rt_on_both_backends(peer_close_scenario);
}

static void reset_scenario(reactor *r)
{
    int ours, theirs;
    tcp_pair(&ours, &theirs);
    struct seen s;
    seen_init(&s, &seen_ops);
    s.d.fd = ours;
    s.d.connected = true;
    rt_add(r, &s.d, S_EOF);
    /* A linger of 0 makes close send a reset instead of an EOF. */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(theirs, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(theirs);

    turn_until(r, &s.done, S_EOF, "handle_error");
    check(s.reads >= 1, S_EOF,
          "with the %s backend, a reset makes the socket readable (and hung "
          "up): handle_read should run and its dispatcher_recv report the "
          "reset, but handle_read never ran (handle_error ran %d times, "
          "with %s: was SO_ERROR fetched before the reader could see it?)",
          backend, s.errors, rt_err_name(s.last_error));
    check(s.errors == 1 && s.last_error == ECONNRESET && s.closes == 0,
          S_EOF,
          "with the %s backend, the peer resetting the connection should "
          "call handle_error once with ECONNRESET (and not handle_close); "
          "handle_error ran %d times, last with %s, handle_close %d times",
          backend, s.errors, rt_err_name(s.last_error), s.closes);
    check(s.last_recv == -1 && s.recv_errno == ECONNRESET, S_EOF,
          "with the %s backend, dispatcher_recv after a reset: expected -1 "
          "with errno ECONNRESET, got %zd with errno %s",
          backend, s.last_recv, rt_err_name(s.recv_errno));
}

static void test_peer_resets(void **state)
{
    (void)state;
    rt_on_both_backends(reset_scenario);
}

/* handle_read that sends instead of reading: the peer is gone. */
static ssize_t sent[2];
static int send_errno[2];
static int send_errors[2];

static void record_error(struct dispatcher *d, int err)
{
    struct seen *s = d->data;
    s->errors++;
    s->last_error = err; /* and leave d open, to send again */
}

static void send_instead(struct dispatcher *d)
{
    struct seen *s = d->data;
    s->reads++;
    /* Twice: the first send reports the reset (ECONNRESET), the second
     * finds the connection gone (EPIPE), which is where SIGPIPE comes. */
    for (int i = 0; i < 2; i++) {
        errno = 0;
        sent[i] = dispatcher_send(d, "hello?", 6);
        send_errno[i] = errno;
        send_errors[i] = s->errors;
    }
    s->done = true;
    dispatcher_close(d);
}

static const struct dispatcher_ops send_ops = {
    .handle_read = send_instead,
    .handle_close = seen_close,
    .handle_error = record_error,
};

static void send_gone_scenario(reactor *r)
{
    int ours, theirs;
    tcp_pair(&ours, &theirs);
    struct seen s;
    seen_init(&s, &send_ops);
    s.d.fd = ours;
    s.d.connected = true;
    rt_add(r, &s.d, S_EOF);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(theirs, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(theirs);

    /* Without MSG_NOSIGNAL, this test dies of SIGPIPE (signal 13). */
    turn_until(r, &s.done, S_EOF, "the reset");
    check(s.reads >= 1, S_EOF,
          "with the %s backend, a reset makes the socket readable (and hung "
          "up): handle_read should run, but it never did (handle_error ran "
          "%d times, with %s: was the hang-up handled before the read?)",
          backend, s.errors, rt_err_name(s.last_error));
    for (int i = 0; i < 2; i++) {
        check(sent[i] == -1 &&
                  (send_errno[i] == ECONNRESET || send_errno[i] == EPIPE),
              S_EOF,
              "with the %s backend, dispatcher_send number %d to a peer that "
              "reset the connection: expected -1 with ECONNRESET or EPIPE, "
              "got %zd with errno %s",
              backend, i + 1, sent[i], rt_err_name(send_errno[i]));
        check(send_errors[i] == i + 1, S_EOF,
              "with the %s backend, each failed dispatcher_send should call "
              "handle_error once; after send number %d, it had run %d times",
              backend, i + 1, send_errors[i]);
    }
    check(s.last_error == send_errno[1], S_EOF,
          "handle_error should get the error send failed with (%s), got %s",
          rt_err_name(send_errno[1]), rt_err_name(s.last_error));
}

static void test_send_to_a_peer_that_is_gone(void **state)
{
    (void)state;
    rt_on_both_backends(send_gone_scenario);
}

HARNESS_TESTS("chapters/05-reactor.md",
              cmocka_unit_test(test_connect_completes),
              cmocka_unit_test(test_connect_refused),
              cmocka_unit_test(test_refused_defaults_close),
              cmocka_unit_test(test_accept),
              cmocka_unit_test(test_peer_closes),
              cmocka_unit_test(test_peer_resets),
              cmocka_unit_test(test_send_to_a_peer_that_is_gone))
