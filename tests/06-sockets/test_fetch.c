/*
 * test_fetch.c - step 06: chapter 5's client, "connect, read what the
 * server sends, print it, close", in plain blocking style again, now on
 * sockets that block only the calling tasklet.
 *
 * In step 05 the blocking version could not share its thread with the
 * server (it would have waited in recv while the server, on the same
 * thread, never got to send), so the server ran in a child process. Here
 * the server is a tasklet in the same process, each greeting has a
 * tasklet of its own, and a hundred fetches run at once. Loopback only,
 * ports picked by the kernel, no sleeps.
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

#define S_FETCH "The fetch client again"

static const char GREETING[] = "220 hello from the workbook's test server\r\n";

/* ---- the client: chapter 5's fetch_blocking, with sock_ calls ---- */

/* book: fetch-blocking */
int fetch_blocking(const struct sockaddr *addr, socklen_t addrlen, char *buf,
                   size_t size)
{
    size_t len = 0;
    ssize_t n;
    int fd = sock_socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (sock_connect(fd, addr, addrlen) < 0)
        goto fail;
    do { /* until the server closes, or buf is full */
        n = sock_recv(fd, buf + len, size - 1 - len, 0);
        if (n > 0)
            len += (size_t)n;
    } while (n > 0 && len < size - 1);
    if (n < 0)
        goto fail;
    buf[len] = '\0';
    printf("read %zu bytes: %s", len, buf);
    sock_close(fd);
    return 0;

fail:
    sock_close(fd);
    return -1;
}
/* book: end */

/* ---- the server: a tasklet per greeting ---- */

static struct sockaddr_in server_addr;
static int listen_fd, greeted, server_errors, first_server_errno;

static void greeter(void *arg)
{
    int fd = (int)(intptr_t)arg;
    if (sock_send(fd, GREETING, sizeof GREETING - 1, 0) ==
        (ssize_t)sizeof GREETING - 1)
        greeted++;
    else if (server_errors++ == 0)
        first_server_errno = errno;
    sock_close(fd); /* the client sees the end of the stream */
}

static void server(void *arg)
{
    int connections = (int)(intptr_t)arg;
    for (int i = 0; i < connections; i++) {
        int fd = sock_accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            if (server_errors++ == 0)
                first_server_errno = errno;
            break;
        }
        go(greeter, (void *)(intptr_t)fd, "greeter");
    }
    sock_close(listen_fd);
}

/* ---- the fetches ---- */

enum { FETCHES = 100 };

struct fetch {
    struct net_call call;
    char buf[256];
};

static struct fetch fetches[FETCHES];

static void fetcher(void *arg)
{
    struct fetch *f = arg;
    f->call = net_record(fetch_blocking((struct sockaddr *)&server_addr,
                                    sizeof server_addr, f->buf,
                                    sizeof f->buf));
}

static void check_fetch(const struct fetch *f, int k)
{
    check(f->call.done && f->call.ret == 0, S_FETCH,
          "fetch %d: fetch_blocking against the greeting server: expected 0, "
          "got %s",
          k, net_describe(f->call));
    check(strcmp(f->buf, GREETING) == 0, S_FETCH,
          "fetch %d should have read the greeting \"%.*s\" then seen the "
          "server close; it read \"%s\"",
          k, (int)sizeof GREETING - 3, GREETING, f->buf);
}

static void test_fetch_reads_the_greeting(void **state)
{
    (void)state;
    net_watch(S_FETCH);
    listen_fd = net_listen(&server_addr, 4);
    go(server, (void *)(intptr_t)1, "server");
    go(fetcher, &fetches[0], "fetcher");
    net_run_all();
    check(server_errors == 0, S_FETCH,
          "the server failed %d times, first with errno %s", server_errors,
          net_err_name(first_server_errno));
    check_fetch(&fetches[0], 0);
}

static void test_fetch_100_at_once(void **state)
{
    (void)state;
    net_watch(S_FETCH);
    listen_fd = net_listen(&server_addr, 2 * FETCHES);
    go(server, (void *)(intptr_t)FETCHES, "server");
    for (int k = 0; k < FETCHES; k++)
        go(fetcher, &fetches[k], "fetcher");
    net_run_all();
    check(server_errors == 0, S_FETCH,
          "the server failed %d times, first with errno %s", server_errors,
          net_err_name(first_server_errno));
    check_eq(greeted, FETCHES, S_FETCH, "connections greeted");
    for (int k = 0; k < FETCHES; k++)
        check_fetch(&fetches[k], k);
}

static void test_fetch_refused(void **state)
{
    (void)state;
    net_watch(S_FETCH);
    /* A port that was bound, then closed: nothing listens there. */
    server_addr = (struct sockaddr_in){
        .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof server_addr;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(s >= 0 && bind(s, (struct sockaddr *)&server_addr, len) == 0 &&
              getsockname(s, (struct sockaddr *)&server_addr, &len) == 0,
          S_FETCH, "the test could not bind a port: %s", strerror(errno));
    close(s);

    go(fetcher, &fetches[0], "fetcher");
    net_run_all();
    check_fails(fetches[0].call, ECONNREFUSED, S_FETCH,
                "fetch_blocking from a port where nothing listens (one "
                "failure path, one errno, as in the blocking version of "
                "chapter 5)");
}

HARNESS_TESTS("chapters/06-sockets.md",
              cmocka_unit_test(test_fetch_reads_the_greeting),
              cmocka_unit_test(test_fetch_100_at_once),
              cmocka_unit_test(test_fetch_refused))
