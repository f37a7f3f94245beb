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
#include "tasklet.h"
#include "timer.h"

#define S_RETRY "Try, park, retry"
#define S_SOCK "One struct per socket"
#define S_CONNECT "Connecting"
#define S_FETCH "The fetch client again"

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
    struct call call;
    char buf[256];
};

static struct fetch fetches[FETCHES];

static void fetcher(void *arg)
{
    struct fetch *f = arg;
    f->call = record(fetch_blocking((struct sockaddr *)&server_addr,
                                    sizeof server_addr, f->buf,
                                    sizeof f->buf));
}

static void check_fetch(const struct fetch *f, int k)
{
    check(f->call.done && f->call.ret == 0, S_FETCH,
          "fetch %d: fetch_blocking against the greeting server: expected 0, "
          "got %s",
          k, describe(f->call));
    check(strcmp(f->buf, GREETING) == 0, S_FETCH,
          "fetch %d should have read the greeting \"%.*s\" then seen the "
          "server close; it read \"%s\"",
          k, (int)sizeof GREETING - 3, GREETING, f->buf);
}

static void test_fetch_reads_the_greeting(void **state)
{
    (void)state;
    watch(S_FETCH);
    listen_fd = listen_on(&server_addr, 4);
    go(server, (void *)(intptr_t)1, "server");
    go(fetcher, &fetches[0], "fetcher");
    run_all();
    check(server_errors == 0, S_FETCH,
          "the server failed %d times, first with errno %s", server_errors,
          err_name(first_server_errno));
    check_fetch(&fetches[0], 0);
}

static void test_fetch_100_at_once(void **state)
{
    (void)state;
    watch(S_FETCH);
    listen_fd = listen_on(&server_addr, 2 * FETCHES);
    go(server, (void *)(intptr_t)FETCHES, "server");
    for (int k = 0; k < FETCHES; k++)
        go(fetcher, &fetches[k], "fetcher");
    run_all();
    check(server_errors == 0, S_FETCH,
          "the server failed %d times, first with errno %s", server_errors,
          err_name(first_server_errno));
    check_eq(greeted, FETCHES, S_FETCH, "connections greeted");
    for (int k = 0; k < FETCHES; k++)
        check_fetch(&fetches[k], k);
}

static void test_fetch_refused(void **state)
{
    (void)state;
    watch(S_FETCH);
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
    run_all();
    check_fails(fetches[0].call, ECONNREFUSED, S_FETCH,
                "fetch_blocking from a port where nothing listens (one "
                "failure path, one errno, as in the blocking version of "
                "chapter 5)");
}

HARNESS_TESTS("chapters/06-sockets.md",
              cmocka_unit_test(test_fetch_reads_the_greeting),
              cmocka_unit_test(test_fetch_100_at_once),
              cmocka_unit_test(test_fetch_refused))
