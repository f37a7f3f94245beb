/*
 * test_fetch.c - step 05: the chapter's example, "connect, read what the
 * server sends, print it, close", written twice.
 *
 * fetch_blocking is the plain version: one function, top to bottom, with
 * blocking calls. The struct fetch and its handlers are the same job for
 * the reactor, in callback style. Both run against a small server that
 * sends a greeting and closes, itself written in callback style: a
 * listening dispatcher, and one greeter per connection.
 *
 * The callback client shares the reactor with the server; the blocking
 * one cannot (it would wait in recv while the server, on the same
 * thread, never got to send), so the server runs in a child process.
 * Both backends; loopback only, ports picked by the kernel, no sleeps.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reactor.h"
#include "reactest.h"

#define S_FETCH "A client in callback style"
#define S_BREAKS "How the control flow breaks apart"
#define S_TURN "One turn of the loop"

static const char GREETING[] = "220 hello from the workbook's test server\r\n";

/* ---- the client, blocking ---- */

/* book: fetch-blocking */
int fetch_blocking(const struct sockaddr *addr, socklen_t addrlen, char *buf,
                   size_t size)
{
    size_t len = 0;
    ssize_t n;
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, addr, addrlen) < 0)
        goto fail;
    do { /* until the server closes, or buf is full */
        n = recv(fd, buf + len, size - 1 - len, 0);
        if (n > 0)
            len += (size_t)n;
    } while (n > 0 && len < size - 1);
    if (n < 0)
        goto fail;
    buf[len] = '\0';
    printf("read %zu bytes: %s", len, buf);
    close(fd);
    return 0;

fail:
    close(fd);
    return -1;
}
/* book: end */

/* ---- the client, in callback style ---- */

/* book: fetch-callbacks */
/* What the blocking version kept in local variables lives here, because
 * it must outlast every callback. The caller owns the struct. */
struct fetch {
    struct dispatcher d;
    char buf[1024]; /* what has arrived so far */
    size_t len;
    bool done;      /* the fetch is over: look at error, then buf */
    int error;      /* 0, or why it failed */
};

static void fetch_close(struct dispatcher *d)
{
    struct fetch *f = d->data;
    f->buf[f->len] = '\0';
    printf("read %zu bytes: %s", f->len, f->buf);
    f->done = true;
    dispatcher_close(d);
}

static void fetch_error(struct dispatcher *d, int err)
{
    struct fetch *f = d->data;
    f->error = err;
    f->done = true;
    dispatcher_close(d);
}

static void fetch_read(struct dispatcher *d)
{
    struct fetch *f = d->data;
    size_t room = sizeof f->buf - 1 - f->len; /* one byte for the '\0' */
    if (room == 0) {
        fetch_close(d); /* full: that is all we take */
        return;
    }
    ssize_t n = dispatcher_recv(d, f->buf + f->len, room);
    if (n > 0)
        f->len += (size_t)n;
    /* 0: nothing after all. -1: fetch_close or fetch_error has run. */
}

static void fetch_connect(struct dispatcher *d)
{
    /* Where the blocking connect() returned. Nothing to do: the server
     * speaks first, and a connected dispatcher is readable by default. */
    (void)d;
}

static const struct dispatcher_ops fetch_ops = {
    .handle_connect = fetch_connect,
    .handle_read = fetch_read,
    .handle_close = fetch_close,
    .handle_error = fetch_error,
};

/* Starts the fetch; its outcome comes later, in f->done and f->error. */
int fetch_start(reactor *r, struct fetch *f, const struct sockaddr *addr,
                socklen_t addrlen)
{
    *f = (struct fetch){.d = {.fd = -1, .ops = &fetch_ops, .data = f}};
    if (dispatcher_socket(&f->d, addr->sa_family, SOCK_STREAM) < 0)
        return -1;
    if (reactor_add(r, &f->d) < 0 ||
        dispatcher_connect(&f->d, addr, addrlen) < 0) {
        dispatcher_close(&f->d); /* keeps errno */
        return -1;
    }
    return 0;
}
/* book: end */

/* ---- the server: greets each connection, then closes it ---- */

struct greeter {
    struct dispatcher d;
    size_t sent;
};

static bool greeter_readable(struct dispatcher *d)
{
    (void)d;
    return false; /* what the client says does not matter */
}

static bool greeter_writable(struct dispatcher *d)
{
    struct greeter *g = d->data;
    return g->sent < sizeof GREETING - 1;
}

static void greeter_done(struct dispatcher *d)
{
    dispatcher_close(d);
    free(d->data);
}

static void greeter_write(struct dispatcher *d)
{
    struct greeter *g = d->data;
    ssize_t n = dispatcher_send(d, GREETING + g->sent,
                                sizeof GREETING - 1 - g->sent);
    if (n < 0)
        return; /* greeter_error ran */
    g->sent += (size_t)n;
    if (g->sent == sizeof GREETING - 1)
        greeter_done(d); /* all said: close, the client sees EOF */
}

static void greeter_error(struct dispatcher *d, int err)
{
    (void)err;
    greeter_done(d);
}

static const struct dispatcher_ops greeter_ops = {
    .readable = greeter_readable,
    .writable = greeter_writable,
    .handle_write = greeter_write,
    .handle_close = greeter_done,
    .handle_error = greeter_error,
};

struct listener {
    struct dispatcher d;
    reactor *r;
    int left; /* connections still to greet */
    int err;  /* the first error, or 0 */
};

static void listener_accept(struct dispatcher *d)
{
    struct listener *l = d->data;
    int fd;
    while (l->left > 0 && (fd = dispatcher_accept(d)) >= 0) {
        struct greeter *g = calloc(1, sizeof *g);
        if (g == NULL) {
            close(fd);
            l->err = ENOMEM;
            continue;
        }
        g->d = (struct dispatcher){.fd = fd, .ops = &greeter_ops, .data = g,
                                   .connected = true};
        if (reactor_add(l->r, &g->d) < 0) {
            l->err = errno;
            close(fd);
            free(g);
        }
        l->left--;
    }
    if (l->left == 0)
        dispatcher_close(d);
}

static const struct dispatcher_ops listener_ops = {
    .handle_accept = listener_accept,
};

static struct sockaddr_in listener_start(struct listener *l, reactor *r,
                                         int connections)
{
    *l = (struct listener){.d = {.fd = -1, .ops = &listener_ops, .data = l},
                           .r = r,
                           .left = connections};
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    errno = 0;
    check(dispatcher_socket(&l->d, AF_INET, SOCK_STREAM) == 0 &&
              dispatcher_listen(&l->d, (struct sockaddr *)&addr, len, 16) ==
                  0 &&
              getsockname(l->d.fd, (struct sockaddr *)&addr, &len) == 0 &&
              reactor_add(r, &l->d) == 0,
          S_FETCH,
          "with the %s backend, starting the test server failed with errno "
          "%s",
          backend, rt_err_name(errno));
    return addr;
}

/* ---- helpers ---- */

/* Turns until the reactor is empty; fails after two idle turns of 2 s,
 * or 1000 turns (a handful is enough). */
static void run_until_empty(reactor *r, const char *waiting_for)
{
    int idle = 0;
    for (int turns = 0; reactor_count(r) > 0; turns++) {
        check(turns < 1000, S_FETCH,
              "with the %s backend, waiting for %s: 1000 turns went by "
              "without it; the loop spins on an fd that stays ready (an EOF "
              "or a hang-up that no handler acts on?)",
              backend, waiting_for);
        errno = 0;
        int n = reactor_poll(r, 2000);
        int e = errno;
        check(n >= 0, S_TURN,
              "with the %s backend, reactor_poll: expected the number of "
              "events handled, got %d with errno %s",
              backend, n, rt_err_name(e));
        idle = n == 0 ? idle + 1 : 0;
        check(idle < 2, S_FETCH,
              "with the %s backend, waiting for %s: two turns of 2 s brought "
              "no event at all (%zu dispatchers still added)",
              backend, waiting_for, reactor_count(r));
    }
}

/* ---- tests ---- */

static void test_fetch_reads_the_greeting(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        backend = backends[i];
        reactor *r = rt_make(backend);
        struct listener l;
        struct sockaddr_in addr = listener_start(&l, r, 1);
        struct fetch f;
        errno = 0;
        int rc = fetch_start(r, &f, (struct sockaddr *)&addr, sizeof addr);
        int e = errno;
        check(rc == 0, S_FETCH,
              "with the %s backend, fetch_start to a listening server: "
              "expected 0, got %d with errno %s",
              backend, rc, rt_err_name(e));
        run_until_empty(r, "the fetch to end");
        check(l.err == 0, S_FETCH, "with the %s backend, the server failed: %s",
              backend, rt_err_name(l.err));
        check(f.done, S_FETCH,
              "with the %s backend, the reactor is empty but the fetch never "
              "ended (neither handle_close nor handle_error ran)",
              backend);
        check(f.error == 0, S_FETCH,
              "with the %s backend, the fetch failed with %s", backend,
              rt_err_name(f.error));
        check(strcmp(f.buf, GREETING) == 0, S_FETCH,
              "with the %s backend, the fetch should have read the greeting "
              "\"%.*s\" then seen the server close; it read %zu bytes: "
              "\"%s\"",
              backend, (int)sizeof GREETING - 3, GREETING, f.len, f.buf);
        reactor_destroy(r);
    }
}

static void test_fetch_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        backend = backends[i];
        reactor *r = rt_make(backend);
        /* A port that was bound, then closed: nothing listens there. */
        struct sockaddr_in addr = {.sin_family = AF_INET,
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof addr;
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        check(s >= 0 && bind(s, (struct sockaddr *)&addr, len) == 0 &&
                  getsockname(s, (struct sockaddr *)&addr, &len) == 0,
              S_FETCH, "the test could not bind: %s", strerror(errno));
        close(s);

        struct fetch f;
        errno = 0;
        int rc = fetch_start(r, &f, (struct sockaddr *)&addr, sizeof addr);
        int e = errno;
        if (rc < 0) {
            /* Refused before connect returned: the other error path. */
            check(e == ECONNREFUSED, S_BREAKS,
                  "with the %s backend, fetch_start to a closed port failed "
                  "at once: expected errno ECONNREFUSED, got %s",
                  backend, rt_err_name(e));
        } else {
            run_until_empty(r, "the refusal");
            check(f.done && f.error == ECONNREFUSED, S_BREAKS,
                  "with the %s backend, a fetch from a closed port should end "
                  "in handle_error with ECONNREFUSED; done %d, error %s",
                  backend, f.done, rt_err_name(f.error));
            check_eq(f.len, 0, S_BREAKS, "bytes read from a closed port");
        }
        reactor_destroy(r);
    }
}

/* The server in a child process, on its own reactor. */
static void serve_in_child(int connections, struct sockaddr_in *addr,
                           pid_t *pid)
{
    reactor *r = rt_make(backend);
    struct listener l;
    *addr = listener_start(&l, r, connections);
    fflush(NULL);
    *pid = fork();
    check(*pid >= 0, S_BREAKS, "fork failed: %s", strerror(errno));
    if (*pid == 0) {
        alarm(30); /* whatever goes wrong, this process does not outlive the test */
        int idle = 0;
        for (int turns = 0; reactor_count(r) > 0 && idle < 2 && turns < 1000;
             turns++)
            idle = reactor_poll(r, 2000) == 0 ? idle + 1 : 0;
        int status = reactor_count(r) == 0 && l.err == 0 ? 0 : 1;
        reactor_destroy(r);
        _exit(status);
    }
    /* The parent only needed the address: the child serves. */
    dispatcher_close(&l.d);
    reactor_destroy(r);
}

static void test_fetch_blocking_reads_the_greeting(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        backend = backends[i];
        struct sockaddr_in addr;
        pid_t pid;
        serve_in_child(1, &addr, &pid);
        char buf[1024] = "";
        errno = 0;
        int rc = fetch_blocking((struct sockaddr *)&addr, sizeof addr, buf,
                                sizeof buf);
        int e = errno;
        int status = 0;
        waitpid(pid, &status, 0);
        check(rc == 0, S_BREAKS,
              "fetch_blocking from a server on the %s backend: expected 0, "
              "got %d with errno %s",
              backend, rc, rt_err_name(e));
        check(strcmp(buf, GREETING) == 0, S_BREAKS,
              "fetch_blocking from a server on the %s backend should read "
              "the greeting, read \"%s\"",
              backend, buf);
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0, S_BREAKS,
              "the server (%s backend) in the child process should end "
              "cleanly after one connection (status 0x%x)",
              backend, status);
    }
}

HARNESS_TESTS("chapters/05-reactor.md",
              cmocka_unit_test(test_fetch_reads_the_greeting),
              cmocka_unit_test(test_fetch_refused),
              cmocka_unit_test(test_fetch_blocking_reads_the_greeting))
