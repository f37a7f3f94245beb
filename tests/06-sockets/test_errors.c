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
#include "tasklet.h"
#include "timer.h"

#define S_RETRY "Try, park, retry"
#define S_SOCK "One struct per socket"
#define S_CONNECT "Connecting"
#define S_ERRORS "End of file, refusals and resets"
#define S_CLOSE "Closing"
#define S_ADOPT "Sockets the layer did not create"

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

/* A connected pair, made by the main tasklet itself: *client connected
 * with sock_connect, *server from sock_accept. */
static void connected_pair(int *client, int *server)
{
    struct sockaddr_in addr;
    int l = listen_on(&addr, 4);
    errno = 0;
    int c = sock_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int e = errno;
    check(c >= 0, S_SOCK,
          "sock_socket(AF_INET, SOCK_STREAM, 0): expected a descriptor, got "
          "%d with errno %s",
          c, err_name(e));
    errno = 0;
    int rc = sock_connect(c, (struct sockaddr *)&addr, sizeof addr);
    e = errno;
    check(rc == 0, S_CONNECT,
          "from the main tasklet, sock_connect to a socket listening on "
          "127.0.0.1: expected 0, got %d with errno %s%s",
          rc, err_name(e),
          e == EINPROGRESS ? " (the layer took the socket for a "
                             "non-blocking one, but sock_socket's type had "
                             "no SOCK_NONBLOCK)"
                           : "");
    errno = 0;
    int s = sock_accept(l, NULL, NULL);
    e = errno;
    check(s >= 0, S_RETRY,
          "from the main tasklet, sock_accept with a connection waiting: "
          "expected a descriptor, got %d with errno %s",
          s, err_name(e));
    sock_close(l);
    *client = c;
    *server = s;
}

static int fd_a, fd_b, listen_fd;
static tasklet *waiter_t, *acceptor_t;
static struct call first, second, accept_call;
static bool parked_before;

/* ---- the end of the stream ---- */

static void eof_reader(void *arg)
{
    (void)arg;
    char buf[16];
    first = record(sock_recv(fd_b, buf, sizeof buf, 0));
    second = record(sock_recv(fd_b, buf, sizeof buf, 0));
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
    watch(S_ERRORS);
    connected_pair(&fd_a, &fd_b);
    waiter_t = go(eof_reader, NULL, "reader");
    go(closer_of_a, NULL, "closer");
    run_all();

    check(parked_before, S_RETRY,
          "the reader should have been parked in sock_recv when its peer "
          "closed");
    check(first.done && first.ret == 0, S_ERRORS,
          "sock_recv, parked when the peer closed: expected 0 (end of "
          "stream), got %s",
          describe(first));
    check(second.done && second.ret == 0, S_ERRORS,
          "a second sock_recv after the end of the stream: expected 0 again, "
          "got %s",
          describe(second));
    sock_close(fd_b);
}

/* ---- a refused connect ---- */

static struct sockaddr_in closed_addr;

static void refused_connector(void *arg)
{
    (void)arg;
    int fd = sock_socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        first = record(fd);
        return;
    }
    first = record(sock_connect(fd, (struct sockaddr *)&closed_addr,
                                sizeof closed_addr));
    sock_close(fd);
}

static void test_connect_refused(void **state)
{
    (void)state;
    watch(S_CONNECT);
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
    run_all();
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
    first = record(sock_recv(fd_b, buf, sizeof buf, 0));
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
    watch(S_ERRORS);
    connected_pair(&fd_a, &fd_b);
    waiter_t = go(reset_reader, NULL, "reader");
    go(resetter, NULL, "resetter");
    run_all();

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
    first = record(n);
    if (n > 0)
        pipe_buf[n] = '\0';
    second = record(sock_read(pipe_fds[0], pipe_buf, sizeof pipe_buf - 1));
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
    watch(S_ERRORS);
    check(pipe2(pipe_fds, O_CLOEXEC) == 0, S_ERRORS, "pipe2 failed: %s",
          strerror(errno));
    waiter_t = go(pipe_reader, NULL, "reader");
    go(pipe_writer, NULL, "writer");
    run_all();

    check(first.done && first.ret == 4 && strcmp(pipe_buf, "pipe") == 0,
          S_ADOPT,
          "sock_read on a pipe (the layer adopts any descriptor), with "
          "\"pipe\" written: expected 4, got %s",
          describe(first));
    check(parked_again, S_ERRORS,
          "the reader should have been parked in its second sock_read when "
          "the writer closed the pipe");
    /* A pipe whose writer closes reports a hang-up and nothing to read:
     * the reactor calls handle_close, not handle_read. */
    check(second.done && second.ret == 0, S_ERRORS,
          "sock_read, parked on an empty pipe when its writer closed: "
          "expected 0 (end of file; the hang-up comes alone, through "
          "handle_close), got %s",
          describe(second));
    sock_close(pipe_fds[0]);
}

/* ---- closing a socket others wait on ---- */

static void parked_reader(void *arg)
{
    (void)arg;
    char buf[16];
    first = record(sock_recv(fd_b, buf, sizeof buf, 0));
}

static void parked_acceptor(void *arg)
{
    (void)arg;
    accept_call = record(sock_accept(listen_fd, NULL, NULL));
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
    watch(S_CLOSE);
    connected_pair(&fd_a, &fd_b);
    struct sockaddr_in addr;
    listen_fd = listen_on(&addr, 4);
    waiter_t = go(parked_reader, NULL, "reader");
    acceptor_t = go(parked_acceptor, NULL, "acceptor");
    go(closer_of_both, NULL, "closer");
    run_all();

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
    watch(S_SOCK);
    char buf[8];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    check(fd >= 0, S_SOCK, "socket failed: %s", strerror(errno));
    close(fd); /* fd is now a number that names nothing */

    errno = 0;
    struct call c = record(sock_recv(fd, buf, sizeof buf, 0));
    check_fails(c, EBADF, S_SOCK, "sock_recv on a descriptor that is not open");
    errno = 0;
    c = record(sock_send(fd, "x", 1, 0));
    check_fails(c, EBADF, S_SOCK, "sock_send on a descriptor that is not open");
    errno = 0;
    c = record(sock_recv(-1, buf, sizeof buf, 0));
    check_fails(c, EBADF, S_SOCK, "sock_recv(-1, ...)");

    /* And one the layer knew, closed through it. */
    errno = 0;
    fd = sock_socket(AF_INET, SOCK_STREAM, 0);
    int e = errno;
    check(fd >= 0, S_SOCK,
          "sock_socket(AF_INET, SOCK_STREAM, 0): expected a descriptor, got "
          "%d with errno %s",
          fd, err_name(e));
    check_eq(sock_close(fd), 0, S_CLOSE, "sock_close of an open socket");
    errno = 0;
    c = record(sock_close(fd));
    check_fails(c, EBADF, S_CLOSE, "sock_close of a socket already closed");
    errno = 0;
    c = record(sock_recv(fd, buf, sizeof buf, 0));
    check_fails(c, EBADF, S_CLOSE, "sock_recv on a socket already closed");
    run_all();
}

HARNESS_TESTS("chapters/06-sockets.md",
              cmocka_unit_test(test_recv_returns_0_at_end_of_stream),
              cmocka_unit_test(test_connect_refused),
              cmocka_unit_test(test_recv_fails_with_econnreset),
              cmocka_unit_test(test_closed_pipe_wakes_a_parked_read),
              cmocka_unit_test(test_close_wakes_waiters_with_ebadf),
              cmocka_unit_test(test_closed_descriptor_is_ebadf))
