/*
 * test_clients.c - step 07: 100 copies of an unmodified plain POSIX
 * client, each in a tasklet of its own, on one OS thread.
 *
 * plain_client.c includes no workbook header; it resolves a name, then
 * calls socket, connect, send, read and close, and knows nothing else.
 * The server here is tasklets too, written with the same plain calls, and
 * it holds every reply until all 100 requests have arrived. On one OS
 * thread that can only end if each client's blocked call parked just its
 * own tasklet: one blocked thread would stop everything, and the test
 * would never finish.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chan.h"
#include "install.h"
#include "plain_client.h"
#include "tasklet.h"

#define S_CLIENTS "A hundred plain clients"
#define S_OUTSIDE "Outside a tasklet"

enum { CLIENTS = 100 };

static const char *err_name(int e)
{
    static char buf[64];
    if (e == ENOSYS)
        return "ENOSYS (still the starter's TODO?)";
    snprintf(buf, sizeof buf, "%d (%s)", e, strerror(e));
    return buf;
}

/* ---- the server: a tasklet per connection ---- */

/* book: server */
static struct server {
    int listener;
    char port[16];
    int expected;    /* requests to hold the replies for */
    int arrived;     /* requests read so far */
    int held;        /* replies sent before the last request came: 0 */
    chan *release;   /* closed when the last request arrives */
    tasklet *acceptor;
} server;

static void handle(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char request[64], reply[96];
    size_t len = 0;
    while (len < sizeof request - 1 && read(fd, request + len, 1) == 1 &&
           request[len] != '\n')
        len++;
    request[len] = '\0';
    if (++server.arrived == server.expected)
        chan_close(server.release); /* wakes every handler that waits */
    else
        chan_receive(server.release, NULL); /* fails with EPIPE once closed */
    if (server.arrived < server.expected)
        server.held++;
    int n = snprintf(reply, sizeof reply, "reply to %s\n", request);
    write(fd, reply, (size_t)n);
    close(fd);
}

static void serve(void *arg)
{
    (void)arg;
    for (int i = 0; i < server.expected; i++) {
        int fd = accept(server.listener, NULL, NULL);
        if (fd < 0)
            break; /* cancelled: a client failed */
        tasklet_spawn(handle, (void *)(intptr_t)fd);
    }
    close(server.listener);
}
/* book: end */

static void start_server(int expected)
{
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    server = (struct server){.expected = expected};
    server.listener = socket(AF_INET, SOCK_STREAM, 0);
    check(server.listener >= 0 &&
              bind(server.listener, (struct sockaddr *)&addr, len) == 0 &&
              listen(server.listener, CLIENTS) == 0 &&
              getsockname(server.listener, (struct sockaddr *)&addr, &len) == 0,
          S_CLIENTS, "a listening socket on 127.0.0.1: %s", strerror(errno));
    snprintf(server.port, sizeof server.port, "%d", ntohs(addr.sin_port));
    server.release = chan_create();
    server.acceptor = tasklet_spawn(serve, NULL);
}

/* ---- the clients ---- */

static struct client {
    int id;
    ssize_t n;
    int err;
    char reply[96];
} clients[CLIENTS];

/* book: client-tasklet */
static void run_client(void *arg)
{
    struct client *c = arg;
    char request[32];
    snprintf(request, sizeof request, "client %d\n", c->id);
    c->n = plain_client("127.0.0.1", server.port, request, c->reply,
                        sizeof c->reply);
    c->err = errno;
    if (c->n < 0) { /* let the others finish, so the test can say so */
        chan_close(server.release);
        tasklet_cancel(server.acceptor);
    }
}
/* book: end */

/* book: test-clients */
static void test_hundred_plain_clients(void **state)
{
    (void)state;
    int r = install();
    check(r == 0, S_CLIENTS, "install(): expected 0, got %d with errno %s", r,
          err_name(errno));
    start_server(CLIENTS);
    for (int i = 0; i < CLIENTS; i++) {
        clients[i] = (struct client){.id = i};
        tasklet_spawn(run_client, &clients[i]);
    }
    check(tasklet_run() == 0, S_CLIENTS, "every tasklet should have ended");
    for (int i = 0; i < CLIENTS; i++) {
        char want[64];
        snprintf(want, sizeof want, "reply to client %d\n", i);
        check(clients[i].n >= 0 && strcmp(clients[i].reply, want) == 0,
              S_CLIENTS, "plain client %d of %d: expected the reply \"%s\", "
              "got %zd bytes \"%s\" (errno %s)", i, CLIENTS, want,
              clients[i].n, clients[i].reply, err_name(clients[i].err));
    }
    check_eq(server.arrived, CLIENTS, S_CLIENTS, "requests the server read");
    check_eq(server.held, 0, S_CLIENTS,
             "replies sent before every request had arrived");
    chan_destroy(server.release);
}
/* book: end */

static void test_plain_client_from_main(void **state)
{
    (void)state;
    int r = install();
    check(r == 0, S_OUTSIDE, "install(): expected 0, got %d with errno %s", r,
          err_name(errno));
    start_server(1);
    /* main itself runs the client: its calls park main, and the server's
     * tasklets run meanwhile. */
    char reply[64] = "";
    ssize_t n = plain_client("127.0.0.1", server.port, "main\n", reply,
                             sizeof reply);
    check(n >= 0 && strcmp(reply, "reply to main\n") == 0, S_OUTSIDE,
          "the plain client run by main: expected \"reply to main\\n\", got "
          "%zd bytes \"%s\" (errno %s)", n, reply, err_name(errno));
    check(tasklet_run() == 0, S_OUTSIDE, "every tasklet should have ended");
    chan_destroy(server.release);
}

HARNESS_TESTS("chapters/07-install.md",
              cmocka_unit_test(test_hundred_plain_clients),
              cmocka_unit_test(test_plain_client_from_main))
