/*
 * test_echo.c - step 05: a callback-style echo server and its clients,
 * all in one process and one thread, on one reactor.
 *
 * The server is a listening dispatcher whose handle_accept makes one
 * dispatcher per connection; each echoes what it reads, keeping what it
 * could not send yet in a buffer, and says it is writable only while that
 * buffer holds something. Each client sends its lines one at a time and
 * sends the next only when the previous one came back whole, then closes.
 * The server closes its listener when every client it expects is gone, so
 * the reactor ends up empty and the loop returns.
 *
 * Several clients with several messages each, then 300 clients at once
 * with one message each; both on epoll, then on poll. Loopback only,
 * ports picked by the kernel, bounded counts, no sleeps.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reactor.h"
#include "reactest.h"

#define S_HANDLERS "The handlers"
#define S_TABLE "The table of dispatchers"
#define S_TURN "One turn of the loop"
#define S_EPOLL_POLL "epoll and poll"

static const char *section; /* the section the current test is about */

/* ---- the server ---- */

struct server {
    struct dispatcher d; /* the listening socket */
    reactor *r;
    int expected;        /* connections to serve before closing */
    int accepted, closed;
    int failed_err;      /* first error seen, or 0 */
};

/* book: echo-conn */
struct conn {
    struct dispatcher d;
    struct server *srv;
    char buf[1024]; /* read, not yet echoed */
    size_t len;
};

static bool conn_readable(struct dispatcher *d)
{
    struct conn *c = d->data;
    return c->len < sizeof c->buf; /* room left: read more */
}

static bool conn_writable(struct dispatcher *d)
{
    struct conn *c = d->data;
    return c->len > 0; /* something to echo */
}

static void conn_read(struct dispatcher *d)
{
    struct conn *c = d->data;
    ssize_t n = dispatcher_recv(d, c->buf + c->len, sizeof c->buf - c->len);
    if (n > 0)
        c->len += (size_t)n;
    /* n == -1: conn_close has run, c is gone. */
}

static void conn_write(struct dispatcher *d)
{
    struct conn *c = d->data;
    ssize_t n = dispatcher_send(d, c->buf, c->len);
    if (n > 0) {
        memmove(c->buf, c->buf + n, c->len - (size_t)n);
        c->len -= (size_t)n;
    }
}
/* book: end */

static void server_done_with_one(struct server *srv)
{
    srv->closed++;
    if (srv->closed == srv->expected)
        dispatcher_close(&srv->d); /* nobody else comes: stop listening */
}

static void conn_close(struct dispatcher *d)
{
    struct conn *c = d->data;
    struct server *srv = c->srv;
    dispatcher_close(d);
    free(c);
    server_done_with_one(srv);
}

static void conn_error(struct dispatcher *d, int err)
{
    struct conn *c = d->data;
    if (c->srv->failed_err == 0)
        c->srv->failed_err = err;
    conn_close(d);
}

static const struct dispatcher_ops conn_ops = {
    .readable = conn_readable,
    .writable = conn_writable,
    .handle_read = conn_read,
    .handle_write = conn_write,
    .handle_close = conn_close,
    .handle_error = conn_error,
};

/* book: echo-accept */
static void server_accept(struct dispatcher *d)
{
    struct server *srv = d->data;
    /* Take every connection waiting, not just one. */
    for (;;) {
        int fd = dispatcher_accept(d);
        if (fd < 0) {
            if (errno != EAGAIN && srv->failed_err == 0)
                srv->failed_err = errno;
            return;
        }
        struct conn *c = calloc(1, sizeof *c);
        if (c == NULL) {
            close(fd);
            srv->failed_err = ENOMEM;
            return;
        }
        c->d = (struct dispatcher){.fd = fd, .ops = &conn_ops, .data = c,
                                   .connected = true};
        c->srv = srv;
        if (reactor_add(srv->r, &c->d) < 0) {
            if (srv->failed_err == 0)
                srv->failed_err = errno;
            close(fd);
            free(c);
            return;
        }
        srv->accepted++;
    }
}
/* book: end */

static const struct dispatcher_ops server_ops = {
    .handle_accept = server_accept,
};

static struct sockaddr_in server_start(struct server *srv, reactor *r,
                                       int expected)
{
    *srv = (struct server){.d = {.fd = -1, .ops = &server_ops, .data = srv},
                           .r = r,
                           .expected = expected};
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    errno = 0;
    check(dispatcher_socket(&srv->d, AF_INET, SOCK_STREAM) == 0 &&
              dispatcher_listen(&srv->d, (struct sockaddr *)&addr, len,
                                SOMAXCONN) == 0 &&
              getsockname(srv->d.fd, (struct sockaddr *)&addr, &len) == 0 &&
              reactor_add(r, &srv->d) == 0,
          S_HANDLERS,
          "with the %s backend, starting the server (dispatcher_socket, "
          "dispatcher_listen on 127.0.0.1 port 0, reactor_add) failed with "
          "errno %s",
          backend, rt_err_name(errno));
    return addr;
}

/* ---- the clients ---- */

struct client {
    struct dispatcher d;
    int id, messages;  /* this client's number, and how many to send */
    int next;          /* the message to send (or being echoed) */
    char out[64];      /* the current message */
    size_t out_len, out_sent;
    char in[64];       /* its echo so far */
    size_t in_len;
    bool finished;     /* every echo came back in order */
    int connects;
    int err;           /* the error that ended it early, or 0 */
    char wrong[160];   /* what came back instead, if something did */
};

static void client_compose(struct client *c)
{
    c->out_len = (size_t)snprintf(c->out, sizeof c->out, "client %d says %d\n",
                                  c->id, c->next);
    c->out_sent = 0;
    c->in_len = 0;
}

static bool client_readable(struct dispatcher *d)
{
    return d->connected;
}

static bool client_writable(struct dispatcher *d)
{
    struct client *c = d->data;
    /* While connecting: the connect's end shows as writability. */
    return d->connecting || (d->connected && c->out_sent < c->out_len);
}

static void client_connect(struct dispatcher *d)
{
    struct client *c = d->data;
    c->connects++;
}

static void client_write(struct dispatcher *d)
{
    struct client *c = d->data;
    ssize_t n = dispatcher_send(d, c->out + c->out_sent,
                                c->out_len - c->out_sent);
    if (n > 0)
        c->out_sent += (size_t)n;
}

/* book: echo-client-read */
static void client_read(struct dispatcher *d)
{
    struct client *c = d->data;
    ssize_t n = dispatcher_recv(d, c->in + c->in_len, sizeof c->in - c->in_len);
    if (n <= 0)
        return; /* nothing yet, or closed (client_close ran) */
    c->in_len += (size_t)n;
    if (c->in_len < c->out_len)
        return; /* a part of the echo: wait for the rest */
    if (c->in_len != c->out_len || memcmp(c->in, c->out, c->out_len) != 0) {
        snprintf(c->wrong, sizeof c->wrong, "sent \"%.*s\", got back \"%.*s\"",
                 (int)c->out_len - 1, c->out, (int)c->in_len, c->in);
        dispatcher_close(d);
        return;
    }
    if (++c->next == c->messages) {
        c->finished = true;
        dispatcher_close(d); /* the server sees our EOF */
        return;
    }
    client_compose(c);
}
/* book: end */

static void client_close(struct dispatcher *d)
{
    /* Only the server closing early gets here: we close first. */
    struct client *c = d->data;
    c->err = -1;
    dispatcher_close(d);
}

static void client_error(struct dispatcher *d, int err)
{
    struct client *c = d->data;
    c->err = err;
    dispatcher_close(d);
}

static const struct dispatcher_ops client_ops = {
    .readable = client_readable,
    .writable = client_writable,
    .handle_connect = client_connect,
    .handle_read = client_read,
    .handle_write = client_write,
    .handle_close = client_close,
    .handle_error = client_error,
};

static void client_start(struct client *c, reactor *r, int id, int messages,
                         const struct sockaddr_in *addr)
{
    *c = (struct client){.d = {.fd = -1, .ops = &client_ops, .data = c},
                         .id = id,
                         .messages = messages};
    client_compose(c);
    errno = 0;
    int rc = dispatcher_socket(&c->d, AF_INET, SOCK_STREAM);
    if (rc == 0)
        rc = reactor_add(r, &c->d);
    if (rc == 0)
        rc = dispatcher_connect(&c->d, (const struct sockaddr *)addr,
                                sizeof *addr);
    check(rc == 0, section,
          "with the %s backend, starting client %d (dispatcher_socket, "
          "reactor_add, dispatcher_connect) failed with errno %s",
          backend, id, rt_err_name(errno));
}

/* ---- the scenario ---- */

static void echo(int nclients, int messages)
{
    for (size_t b = 0; b < sizeof backends / sizeof backends[0]; b++) {
        backend = backends[b];
        reactor *r = rt_make(backend);

        struct server srv;
        struct sockaddr_in addr = server_start(&srv, r, nclients);
        struct client *clients = calloc((size_t)nclients, sizeof *clients);
        check(clients != NULL, section, "out of memory");
        for (int i = 0; i < nclients; i++)
            client_start(&clients[i], r, i, messages, &addr);

        /* Turn until the reactor is empty. Two idle turns of 2 s in a row
         * mean something waits for an event that will not come; a few
         * thousand turns, a loop that spins without progress (this takes
         * about 4 turns per message and far fewer for 300 clients). */
        int idle = 0, turns = 0, max_turns = 1000 + 50 * nclients * messages;
        while (reactor_count(r) > 0 && turns < max_turns) {
            errno = 0;
            int n = reactor_poll(r, 2000);
            int e = errno;
            check(n >= 0, S_TURN,
                  "with the %s backend, reactor_poll: expected the number "
                  "of events handled, got %d with errno %s",
                  backend, n, rt_err_name(e));
            turns++;
            idle = n == 0 ? idle + 1 : 0;
            if (idle == 2)
                break;
        }

        int finished = 0, connected = 0;
        for (int i = 0; i < nclients; i++) {
            struct client *c = &clients[i];
            check(c->wrong[0] == '\0', section,
                  "with the %s backend, client %d: %s", backend, i, c->wrong);
            check(c->err == 0, section,
                  "with the %s backend, client %d ended early, at message %d "
                  "of %d: %s",
                  backend, i, c->next, messages,
                  c->err == -1 ? "the server closed the connection"
                               : rt_err_name(c->err));
            finished += c->finished;
            connected += c->connects == 1;
        }
        check(srv.failed_err == 0, section,
              "with the %s backend, the server saw an error: %s", backend,
              rt_err_name(srv.failed_err));
        check(connected == nclients, S_HANDLERS,
              "with the %s backend, handle_connect should run once per "
              "client: it did for %d of %d",
              backend, connected, nclients);
        check(finished == nclients, section,
              "with the %s backend, %d of %d clients got each of their %d "
              "messages echoed in order (the server accepted %d connections "
              "and saw %d close; %zu dispatchers left after %d turns)",
              backend, finished, nclients, messages, srv.accepted,
              srv.closed, reactor_count(r), turns);
        check(srv.accepted == nclients && srv.closed == nclients &&
                  srv.d.fd == -1,
              section,
              "with the %s backend, the server should accept %d connections "
              "and see each close; it accepted %d and saw %d close",
              backend, nclients, srv.accepted, srv.closed);
        check_eq(reactor_count(r), 0, S_TURN,
                 "dispatchers left once every client is done");
        free(clients);
        reactor_destroy(r);
    }
}

static void test_echo_several_clients(void **state)
{
    (void)state;
    section = S_HANDLERS;
    echo(5, 20);
}

enum { HUNDREDS = 300 };

static void test_echo_hundreds_of_clients(void **state)
{
    (void)state;
    section = S_TABLE;
    /* Two fds per connection (both ends are ours), and a few more. */
    rlim_t need = 2 * HUNDREDS + 64;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    check(rl.rlim_cur >= need, S_TABLE,
          "this test needs %llu open files, and the limit is %llu (ulimit -n)",
          (unsigned long long)need, (unsigned long long)rl.rlim_cur);
    echo(HUNDREDS, 1);
}

HARNESS_TESTS("chapters/05-reactor.md",
              cmocka_unit_test(test_echo_several_clients),
              cmocka_unit_test(test_echo_hundreds_of_clients))
