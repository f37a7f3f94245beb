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
#include "tasklet.h"
#include "timer.h"

#define S_RETRY "Try, park, retry"
#define S_SOCK "One struct per socket"
#define S_CONNECT "Connecting"
#define S_SERVER "A server, one tasklet per connection"
#define S_MAIN "The main tasklet"

/* ---- helpers (each test file of this step has the same ones) ---- */

static const char *err_name(int e)
{
    static char bufs[4][64];
    static int next;
    switch (e) {
    case 0: return "0";
    case ENOSYS: return "ENOSYS (still the starter's TODO?)";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case ECANCELED: return "ECANCELED";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EINPROGRESS: return "EINPROGRESS";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case EPIPE: return "EPIPE";
    case EDEADLK:
        return "EDEADLK (the scheduler found nothing that could wake the "
               "parked tasklets: does the poller say it still holds waits "
               "while tasklets wait in sock_wait?)";
    case EEXIST: return "EEXIST";
    case ENOMEM: return "ENOMEM";
    }
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "%d (%s)", e, strerror(e));
    return b;
}

/* What a call returned, recorded by the tasklet that made it. */
struct call {
    bool done;
    long ret;
    int err;
};

static struct call record(long ret)
{
    return (struct call){.done = true, .ret = ret, .err = ret < 0 ? errno : 0};
}

static const char *describe(struct call c)
{
    static char bufs[4][256];
    static int next;
    char *b = bufs[next++ % 4];
    if (!c.done)
        snprintf(b, sizeof bufs[0], "no return at all (the tasklet never "
                                    "came back from the call)");
    else if (c.ret >= 0)
        snprintf(b, sizeof bufs[0], "%ld", c.ret);
    else
        snprintf(b, sizeof bufs[0], "%ld with errno %s", c.ret,
                 err_name(c.err));
    return b;
}

/* The call returned -1 with errno want. */
#define check_fails(c, want, section, what)                                 \
    check((c).done && (c).ret == -1 && (c).err == (want), section,          \
          "%s: expected -1 with errno %s, got %s", what, err_name(want),    \
          describe(c))

/* ---- the watchdog: a safety net, never a measurement ---- */

/* Every test runs under an alarm set for most of the harness's time
 * limit. If the test has not finished by then, the alarm names the
 * tasklets still waiting and ends the process, so that a wait nobody
 * ends fails with a message instead of a bare timeout. It is a signal,
 * not a timer, so that it changes nothing in what the runtime sees (an
 * armed timer would keep the poller busy). A correct layer finishes long
 * before it. */

enum { MAX_JOBS = 512 };

struct job {
    void (*fn)(void *);
    void *arg;
    tasklet *t;
    bool finished;
    char name[TASKLET_NAME_MAX];
};

static struct job jobs[MAX_JOBS];
static int njobs;
static bool spawn_failed, main_running;
static const char *watch_section;

static int watch_seconds(void)
{
    const char *s = getenv("HARNESS_TIMEOUT");
    int t = s ? atoi(s) : 0;
    t = t > 0 ? t : 10;
    return t * 4 / 5 > 1 ? t * 4 / 5 : 1;
}

static void say(const char *s)
{
    ssize_t n = write(STDERR_FILENO, s, strlen(s));
    (void)n;
}

/* Runs on SIGALRM: write(2) only, then _exit. */
static void watchdog(int sig)
{
    (void)sig;
    char secs[16];
    snprintf(secs, sizeof secs, "%d", watch_seconds());
    say("after ");
    say(secs);
    say(" s the test had not finished: a tasklet waits for an event that "
        "never comes, or is never woken when it does.\n  Still not "
        "finished:");
    if (main_running)
        say(" the main tasklet (in a sock_ call),");
    int shown = 0;
    for (int i = 0; i < njobs && shown < 8; i++) {
        if (jobs[i].finished)
            continue;
        shown++;
        say(" ");
        say(jobs[i].name);
        if (tasklet_is_parked(jobs[i].t)) {
            say(" (parked in ");
            say(tasklet_waiting_for(jobs[i].t));
            say(")");
        } else {
            say(" (runnable)");
        }
    }
    say("\n  reread ");
    say(harness_chapter);
    say(", section \"");
    say(watch_section);
    say("\"\n");
    _exit(1);
}

/* Sets the alarm; section is what the test is about. */
static void watch(const char *section)
{
    watch_section = section;
    main_running = true;
    struct sigaction sa = {.sa_handler = watchdog};
    sigaction(SIGALRM, &sa, NULL);
    alarm((unsigned)watch_seconds());
}

static void job_main(void *arg)
{
    struct job *j = arg;
    j->fn(j->arg);
    j->finished = true;
}

/* Spawns a test tasklet; from the main tasklet or from another one. */
static tasklet *go(void (*fn)(void *), void *arg, const char *name)
{
    if (njobs == MAX_JOBS) {
        spawn_failed = true;
        return NULL;
    }
    struct job *j = &jobs[njobs];
    *j = (struct job){.fn = fn, .arg = arg};
    snprintf(j->name, sizeof j->name, "%s", name);
    j->t = tasklet_spawn(job_main, j);
    if (j->t == NULL) {
        spawn_failed = true;
        return NULL;
    }
    tasklet_set_name(j->t, name);
    njobs++;
    return j->t;
}

/* Runs every tasklet to the end. */
static void run_all(void)
{
    main_running = false;
    errno = 0;
    int rc = tasklet_run();
    int e = errno;
    main_running = true;
    check(!spawn_failed, watch_section, "a tasklet could not be spawned");
    check(rc == 0, watch_section,
          "tasklet_run: expected 0 (every tasklet finished), got %d with "
          "errno %s",
          rc, err_name(e));
}

/* ---- sockets on the loopback interface ---- */

/* A listening socket on 127.0.0.1, on a port the kernel picks; addr gets
 * the address to connect to. */
static int listen_on(struct sockaddr_in *addr, int backlog)
{
    *addr = (struct sockaddr_in){.sin_family = AF_INET,
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof *addr;
    errno = 0;
    int fd = sock_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int e = errno;
    check(fd >= 0, S_SOCK,
          "sock_socket(AF_INET, SOCK_STREAM, 0): expected a descriptor, got "
          "%d with errno %s",
          fd, err_name(e));
    errno = 0;
    check(sock_bind(fd, (struct sockaddr *)addr, len) == 0 &&
              sock_listen(fd, backlog) == 0 &&
              getsockname(fd, (struct sockaddr *)addr, &len) == 0,
          S_SOCK, "binding and listening on 127.0.0.1, port 0, failed: %s",
          err_name(errno));
    return fd;
}

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
    watch(S_SERVER);
    listen_fd = listen_on(&server_addr, 2 * CLIENTS);

    go(echo_server, (void *)(intptr_t)CLIENTS, "server");
    for (int i = 0; i < CLIENTS; i++) {
        clients[i].id = i;
        char name[TASKLET_NAME_MAX];
        snprintf(name, sizeof name, "client%d", i);
        go(echo_client, &clients[i], name);
    }
    run_all();

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
          err_name(bad->err), bad->lines_ok, bad->detail, accepted);
    check(server_errors == 0, S_SERVER,
          "the server side failed %d times; the first in %s with errno %s",
          server_errors, first_server_error, err_name(first_server_errno));
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
static struct call connect_calls[CONNECTORS];

static void connector(void *arg)
{
    int k = (int)(intptr_t)arg;
    int fd = sock_socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        connect_calls[k] = record(fd);
        return;
    }
    int rc = sock_connect(fd, (struct sockaddr *)&server_addr,
                          sizeof server_addr);
    connect_calls[k] = record(rc);
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
    watch(S_MAIN);
    listen_fd = listen_on(&server_addr, CONNECTORS);
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
              i + 1, fd, err_name(e));
        char buf[64];
        size_t len = 0;
        ssize_t n;
        while ((n = sock_recv(fd, buf + len, sizeof buf - 1 - len, 0)) > 0)
            len += (size_t)n;
        e = errno;
        check(n == 0, S_MAIN,
              "the main tasklet's sock_recv until the connector closes: "
              "expected 0 at the end, got %zd with errno %s",
              n, err_name(e));
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
    run_all();
    for (int k = 0; k < CONNECTORS; k++)
        check(connect_calls[k].done && connect_calls[k].ret == 0, S_CONNECT,
              "connector %d's sock_connect: expected 0, got %s", k,
              describe(connect_calls[k]));
}

HARNESS_TESTS("chapters/06-sockets.md",
              cmocka_unit_test(test_echo_200_clients_in_one_thread),
              cmocka_unit_test(test_main_accepts_while_tasklets_connect))
