/*
 * test_echo.c - step 06: a tasklet-per-connection echo server, written in
 * plain blocking style, with 200 clients in the same process and the same
 * OS thread; and the main tasklet itself accepting while tasklets connect.
 *
 * Every client sends its lines one at a time and reads each echo back in
 * full before the next; the server gives each connection a tasklet that
 * reads and writes back until the end of the stream. Loopback only, ports
 * picked by the kernel, no sleeps and no timing assertions.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock.h"
#include "sockets.h"
#include "tasklet.h"
#include "timer.h"

#define S_SERVER "A server, one tasklet per connection"
#define S_MAIN "The main tasklet"

/* The OS threads of this process, from /proc/self/status; -1 if unknown. */
static int thread_count(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

/* 200 connections take about 400 descriptors: make sure we may open them. */
static void want_descriptors(rlim_t n)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < n) {
        r.rlim_cur = r.rlim_max == RLIM_INFINITY || r.rlim_max >= n
                         ? n
                         : r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
    check(getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur >= n, S_SERVER,
          "this test needs %lu open descriptors; the limit is %lu",
          (unsigned long)n, (unsigned long)r.rlim_cur);
}

/* ---- the echo server: one tasklet per connection ---- */

enum { CLIENTS = 200, LINES = 5, LINE_MAX = 512 };

static struct sockaddr_in server_addr;
static int listen_fd;
static int accepted, echoed_to_the_end, server_errors, first_server_errno;
static const char *first_server_error;
static int threads_while_serving;

static void server_failed(const char *what)
{
    if (server_errors++ == 0) {
        first_server_error = what;
        first_server_errno = errno;
    }
}

/* book: echo-handler */
static void echo_handler(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[LINE_MAX];
    ssize_t n;
    while ((n = sock_recv(fd, buf, sizeof buf, 0)) > 0)
        if (sock_send(fd, buf, (size_t)n, 0) != n)
            break;
    if (n == 0)
        echoed_to_the_end++;
    else
        server_failed(n < 0 ? "sock_recv" : "sock_send");
    sock_close(fd);
}

static void echo_server(void *arg)
{
    int connections = (int)(intptr_t)arg;
    for (int i = 0; i < connections; i++) {
        int fd = sock_accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            server_failed("sock_accept");
            break;
        }
        accepted++;
        go(echo_handler, (void *)(intptr_t)fd, "handler");
    }
    threads_while_serving = thread_count();
    sock_close(listen_fd);
}
/* book: end */

/* ---- the clients ---- */

struct client {
    int id;
    int lines_ok;
    const char *failed; /* what failed, or NULL */
    int err;
    char detail[96];
};

static struct client clients[CLIENTS];

/* Line `line` of client `id`: a few words, then filler, 24 to 503 bytes. */
static size_t make_line(char *buf, int id, int line)
{
    int len = snprintf(buf, LINE_MAX, "client %03d line %d:", id, line);
    size_t want = 24 + (size_t)(id * 37 + line * 101) % 480;
    for (size_t i = (size_t)len; i < want - 1; i++)
        buf[i] = (char)('a' + (id + line + i) % 26);
    buf[want - 1] = '\n';
    return want;
}

static void client_failed(struct client *c, const char *what)
{
    c->failed = what;
    c->err = errno;
}

/* book: echo-client */
static void echo_client(void *arg)
{
    struct client *c = arg;
    int fd = sock_socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        client_failed(c, "sock_socket");
        return;
    }
    if (sock_connect(fd, (struct sockaddr *)&server_addr,
                     sizeof server_addr) < 0) {
        client_failed(c, "sock_connect");
        goto done;
    }
    for (int line = 0; line < LINES; line++) {
        char out[LINE_MAX], in[LINE_MAX];
        size_t len = make_line(out, c->id, line), got = 0;
        if (sock_send(fd, out, len, 0) != (ssize_t)len) {
            client_failed(c, "sock_send");
            goto done;
        }
        while (got < len) { /* the echo may come back in pieces */
            ssize_t n = sock_recv(fd, in + got, len - got, 0);
            if (n <= 0) {
                client_failed(c, n == 0 ? "sock_recv (early end of stream)"
                                        : "sock_recv");
                goto done;
            }
            got += (size_t)n;
        }
        if (memcmp(in, out, len) != 0) {
            client_failed(c, "the echo");
            snprintf(c->detail, sizeof c->detail,
                     "line %d came back as \"%.40s...\"", line, in);
            goto done;
        }
        c->lines_ok++;
    }
done:
    sock_close(fd);
}
/* book: end */

static void test_echo_200_clients_in_one_thread(void **state)
{
    (void)state;
    want_descriptors(2 * CLIENTS + 64);
    net_watch(S_SERVER);
    listen_fd = net_listen(&server_addr, 2 * CLIENTS);

    go(echo_server, (void *)(intptr_t)CLIENTS, "server");
    for (int i = 0; i < CLIENTS; i++) {
        clients[i].id = i;
        char name[TASKLET_NAME_MAX];
        snprintf(name, sizeof name, "client%d", i);
        go(echo_client, &clients[i], name);
    }
    net_run_all();

    int ok = 0;
    const struct client *bad = NULL;
    for (int i = 0; i < CLIENTS; i++) {
        if (clients[i].lines_ok == LINES && clients[i].failed == NULL)
            ok++;
        else if (bad == NULL)
            bad = &clients[i];
    }
    check(ok == CLIENTS, S_SERVER,
          "%d of %d clients got each of their %d lines echoed; the first "
          "that did not, client %d, failed in %s with errno %s after %d "
          "lines %s (the server accepted %d connections)",
          ok, CLIENTS, LINES, bad->id, bad->failed ? bad->failed : "nothing",
          net_err_name(bad->err), bad->lines_ok, bad->detail, accepted);
    check(server_errors == 0, S_SERVER,
          "the server side failed %d times; the first in %s with errno %s",
          server_errors, first_server_error, net_err_name(first_server_errno));
    check_eq(accepted, CLIENTS, S_SERVER, "connections accepted");
    check_eq(echoed_to_the_end, CLIENTS, S_SERVER,
             "handlers that echoed until the client closed (recv 0)");
    check(threads_while_serving == 1, S_SERVER,
          "with %d connections open, the process should have 1 OS thread "
          "(tasklets are not threads); /proc/self/status said %d",
          CLIENTS, threads_while_serving);
}

/* ---- the main tasklet accepts while tasklets connect ---- */

enum { CONNECTORS = 20 };
static struct net_call connect_calls[CONNECTORS];

static void connector(void *arg)
{
    int k = (int)(intptr_t)arg;
    int fd = sock_socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        connect_calls[k] = net_record(fd);
        return;
    }
    int rc = sock_connect(fd, (struct sockaddr *)&server_addr,
                          sizeof server_addr);
    connect_calls[k] = net_record(rc);
    if (rc == 0) {
        char msg[32];
        int len = snprintf(msg, sizeof msg, "hello from %d", k);
        sock_send(fd, msg, (size_t)len, 0);
    }
    sock_close(fd);
}

static void test_main_accepts_while_tasklets_connect(void **state)
{
    (void)state;
    net_watch(S_MAIN);
    listen_fd = net_listen(&server_addr, CONNECTORS);
    for (int k = 0; k < CONNECTORS; k++)
        go(connector, (void *)(intptr_t)k, "connector");

    /* The main tasklet accepts and reads, parking in each call while the
     * connectors run; tasklet_run comes only at the end. */
    bool seen[CONNECTORS] = {false};
    for (int i = 0; i < CONNECTORS; i++) {
        errno = 0;
        int fd = sock_accept(listen_fd, NULL, NULL);
        int e = errno;
        check(fd >= 0, S_MAIN,
              "the main tasklet's sock_accept number %d, while tasklets "
              "connect: expected a descriptor, got %d with errno %s",
              i + 1, fd, net_err_name(e));
        char buf[64];
        size_t len = 0;
        ssize_t n;
        while ((n = sock_recv(fd, buf + len, sizeof buf - 1 - len, 0)) > 0)
            len += (size_t)n;
        e = errno;
        check(n == 0, S_MAIN,
              "the main tasklet's sock_recv until the connector closes: "
              "expected 0 at the end, got %zd with errno %s",
              n, net_err_name(e));
        buf[len] = '\0';
        int k = -1;
        check(sscanf(buf, "hello from %d", &k) == 1 && k >= 0 &&
                  k < CONNECTORS && !seen[k],
              S_MAIN, "the main tasklet read \"%s\" from connection %d", buf,
              i + 1);
        seen[k] = true;
        sock_close(fd);
    }
    sock_close(listen_fd);
    net_run_all();
    for (int k = 0; k < CONNECTORS; k++)
        check(connect_calls[k].done && connect_calls[k].ret == 0, S_CONNECT,
              "connector %d's sock_connect: expected 0, got %s", k,
              net_describe(connect_calls[k]));
}

HARNESS_TESTS("chapters/06-sockets.md",
              cmocka_unit_test(test_echo_200_clients_in_one_thread),
              cmocka_unit_test(test_main_accepts_while_tasklets_connect))
