/*
 * test_block.c - step 06: a blocking call blocks only its own tasklet.
 *
 * A recv with nothing to read parks its tasklet while others go on, and
 * returns the data once some tasklet sends it; a tasklet that never stops
 * yielding does not starve the sockets (the scheduler's poll every
 * TASKLET_POLL_INTERVAL switches); several tasklets waiting to read one
 * socket are woken one per readiness, in the order they parked; a send
 * writes the whole buffer across as many partial writes as it takes.
 *
 * Tasklets record what they saw into globals and the trace; the checks run
 * on the main tasklet once tasklet_run has returned. Loopback only, ports
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
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "sock.h"
#include "tasklet.h"
#include "timer.h"

#define S_RETRY "Try, park, retry"
#define S_SOCK "One struct per socket"
#define S_WAIT "Waiting on a channel"
#define S_ORDER "Two tasklets on one socket"
#define S_POLLER "The poller"
#define S_CONNECT "Connecting"
#define S_SEND "Sending everything"
#define S_OPTIONS "Timeouts, deadlines and cancellation"

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

/* ---- a recv that waits blocks only its own tasklet ---- */

static int rd_fd, wr_fd;
static tasklet *reader_t;
static struct call reader_call;
static char reader_buf[64];
static int reader_seen_parked;
static bool worker_done;

static void reader(void *arg)
{
    (void)arg;
    trace("r:wait");
    ssize_t n = sock_recv(rd_fd, reader_buf, sizeof reader_buf - 1, 0);
    reader_call = record(n);
    if (n > 0) {
        reader_buf[n] = '\0';
        trace("r:got:%s", reader_buf);
    }
}

static void worker(void *arg)
{
    (void)arg;
    for (int i = 1; i <= 3; i++) {
        reader_seen_parked += tasklet_is_parked(reader_t);
        trace("w%d", i);
        tasklet_yield();
    }
    worker_done = true;
}

static void sender(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100 && !worker_done; i++)
        tasklet_yield();
    trace("s:send");
    sock_send(wr_fd, "hello", 5, 0);
}

static void test_recv_parks_only_its_tasklet(void **state)
{
    (void)state;
    watch(S_RETRY);
    int a, b;
    connected_pair(&a, &b);
    rd_fd = b;
    wr_fd = a;
    /* A safety net, not part of the lesson: if the layer let the kernel
     * block in recv, the whole thread would stop there for good. The
     * kernel's own timeout (set behind the layer's back, so the layer
     * does not know of it) ends such a recv after 3 s with EAGAIN. A
     * non-blocking fd, as the layer's are, never sees it. */
    struct timeval tv = {.tv_sec = 3};
    setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

    trace_reset();
    reader_t = go(reader, NULL, "reader");
    go(worker, NULL, "worker");
    go(sender, NULL, "sender");
    run_all();

    check(!(reader_call.ret < 0 && reader_call.err == EAGAIN), S_RETRY,
          "the reader's sock_recv blocked the whole thread until the "
          "kernel's own 3 s timeout ended it (trace: \"%s\"): the fd must be "
          "non-blocking underneath, and a recv that would block must park "
          "the tasklet and let the others run",
          trace_text());
    check(reader_call.done && reader_call.ret == 5, S_RETRY,
          "the reader's sock_recv: expected 5 (\"hello\"), got %s",
          describe(reader_call));
    check_trace("r:wait w1 w2 w3 s:send r:got:hello", S_RETRY);
    check_eq(reader_seen_parked, 3, S_WAIT,
             "times the worker saw the reader parked while it ran (of 3)");
    sock_close(a);
    sock_close(b);
}

/* ---- I/O never starves behind tasklets that keep yielding ---- */

enum { YIELD_LIMIT = 100000 };
static bool got_data;
static long yields, yields_at_send, yields_at_got;

static void yielder(void *arg)
{
    (void)arg;
    while (!got_data && yields < YIELD_LIMIT) {
        tasklet_yield();
        yields++;
    }
    trace("y:stop");
}

static void starved_reader(void *arg)
{
    (void)arg;
    char buf[16];
    ssize_t n = sock_recv(rd_fd, buf, sizeof buf, 0);
    reader_call = record(n);
    yields_at_got = yields;
    got_data = n > 0;
    trace("r:got");
}

static void one_send(void *arg)
{
    (void)arg;
    yields_at_send = yields;
    trace("s:send");
    sock_send(wr_fd, "ping", 4, 0);
}

static void test_io_does_not_starve_behind_yielders(void **state)
{
    (void)state;
    watch(S_POLLER);
    int a, b;
    connected_pair(&a, &b);
    rd_fd = b;
    wr_fd = a;

    trace_reset();
    go(starved_reader, NULL, "reader");
    go(yielder, NULL, "yielder");
    go(one_send, NULL, "sender");
    run_all();

    check(reader_call.done && reader_call.ret == 4, S_POLLER,
          "the reader's sock_recv: expected 4 (\"ping\"), got %s (the "
          "yielder yielded %ld times)",
          describe(reader_call), yields);
    check(yields < YIELD_LIMIT, S_POLLER,
          "while one tasklet kept yielding, the data sent to a parked "
          "reader never reached it: after %d yields the reader still "
          "waited. The run queue never empties here, so only the "
          "scheduler's non-blocking poll every TASKLET_POLL_INTERVAL "
          "switches can see the socket: the poller must call the reactor "
          "even when it may not block",
          YIELD_LIMIT);
    check_trace("s:send r:got y:stop", S_POLLER);
    check(yields_at_got > yields_at_send, S_POLLER,
          "the yielder should still have been yielding while the reader "
          "waited for its data (it had yielded %ld times when the data was "
          "sent and %ld when it arrived)",
          yields_at_send, yields_at_got);
    sock_close(a);
    sock_close(b);
}

/* ---- readers of one socket wake in the order they parked ---- */

enum { READERS = 3 };
static tasklet *readers[READERS];
static struct call order_calls[READERS];
static int all_parked_when_sent;

static void one_byte_reader(void *arg)
{
    int k = (int)(intptr_t)arg;
    char c;
    ssize_t n = sock_recv(rd_fd, &c, 1, 0);
    order_calls[k] = record(n);
    if (n == 1)
        trace("r%d:%c", k + 1, c);
}

static void send_three(void *arg)
{
    (void)arg;
    all_parked_when_sent = 0;
    for (int k = 0; k < READERS; k++)
        all_parked_when_sent += tasklet_is_parked(readers[k]);
    sock_send(wr_fd, "123", 3, 0); /* one send: all three bytes at once */
}

static void test_readers_wake_in_the_order_they_parked(void **state)
{
    (void)state;
    watch(S_ORDER);
    int a, b;
    connected_pair(&a, &b);
    rd_fd = b;
    wr_fd = a;

    trace_reset();
    for (int k = 0; k < READERS; k++) {
        char name[TASKLET_NAME_MAX];
        snprintf(name, sizeof name, "r%d", k + 1);
        readers[k] = go(one_byte_reader, (void *)(intptr_t)k, name);
    }
    go(send_three, NULL, "sender");
    run_all();

    check_eq(all_parked_when_sent, READERS, S_ORDER,
             "readers parked in sock_recv when the sender ran");
    for (int k = 0; k < READERS; k++)
        check(order_calls[k].done && order_calls[k].ret == 1, S_ORDER,
              "reader r%d's sock_recv of 1 byte: expected 1, got %s", k + 1,
              describe(order_calls[k]));
    /* Each readiness wakes the first waiter; it takes one byte, and the
     * bytes still there make the socket readable again for the next. */
    check_trace("r1:1 r2:2 r3:3", S_ORDER);
    sock_close(a);
    sock_close(b);
}

/* ---- a send writes the whole buffer ---- */

enum { BIG = 4 << 20, CHUNK = 4000 };
static unsigned char *big;
static struct call send_call, recv_call;
static size_t received, received_when_sent;
static long mismatch_at;
static bool use_write;

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i ^ (i >> 8) ^ (i >> 16) ^ (i >> 24));
}

static void big_writer(void *arg)
{
    (void)arg;
    ssize_t n = use_write ? sock_write(wr_fd, big, BIG)
                          : sock_send(wr_fd, big, BIG, 0);
    send_call = record(n);
    received_when_sent = received;
    sock_close(wr_fd); /* the reader then sees the end of the stream */
}

static void small_reader(void *arg)
{
    (void)arg;
    static unsigned char chunk[CHUNK];
    ssize_t n;
    mismatch_at = -1;
    for (;;) {
        n = use_write ? sock_read(rd_fd, chunk, sizeof chunk)
                      : sock_recv(rd_fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            break;
        for (ssize_t k = 0; k < n; k++)
            if (mismatch_at < 0 && chunk[k] != pattern(received + (size_t)k))
                mismatch_at = (long)(received + (size_t)k);
        received += (size_t)n;
    }
    recv_call = record(n);
}

static void transfer(bool with_write)
{
    const char *w = with_write ? "sock_write" : "sock_send";
    const char *r = with_write ? "sock_read" : "sock_recv";
    watch(S_SEND);
    big = malloc(BIG);
    check(big != NULL, S_SEND, "out of memory");
    for (size_t i = 0; i < BIG; i++)
        big[i] = pattern(i);
    int a, b;
    connected_pair(&a, &b);
    /* A bounded send buffer: far less than 4 MiB fits in the sockets. */
    int size = 64 * 1024;
    errno = 0;
    check(sock_setsockopt(a, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) == 0,
          S_OPTIONS, "sock_setsockopt(SO_SNDBUF), an option the layer only "
          "passes on: expected 0, got -1 with errno %s", err_name(errno));
    rd_fd = b;
    wr_fd = a;
    use_write = with_write;

    go(big_writer, NULL, "writer");
    go(small_reader, NULL, "reader");
    run_all();

    check(send_call.done && send_call.ret == BIG, S_SEND,
          "%s of 4 MiB to a peer that reads in chunks of %d bytes: expected "
          "%d (the whole buffer, across partial writes), got %s",
          w, CHUNK, BIG, describe(send_call));
    check(received_when_sent > 0, S_SEND,
          "%s returned before the reader had received a single byte: 4 MiB "
          "cannot fit in the sockets' buffers, so the writer must have "
          "waited for room, and only its own tasklet should have",
          w);
    check(recv_call.done && recv_call.ret == 0, S_SEND,
          "the reader's last %s: expected 0 (the writer closed), got %s", r,
          describe(recv_call));
    check(received == BIG, S_SEND,
          "the reader received %zu bytes; expected %d", received, BIG);
    check(mismatch_at < 0, S_SEND,
          "byte %ld arrived wrong: a partial write was resent from the "
          "start, or the rest was skipped",
          mismatch_at);
    sock_close(b);
    free(big);
}

static void test_send_writes_the_whole_buffer(void **state)
{
    (void)state;
    transfer(false);
}

static void test_write_writes_the_whole_buffer(void **state)
{
    (void)state;
    transfer(true);
}

HARNESS_TESTS("chapters/06-sockets.md",
              cmocka_unit_test(test_recv_parks_only_its_tasklet),
              cmocka_unit_test(test_io_does_not_starve_behind_yielders),
              cmocka_unit_test(test_readers_wake_in_the_order_they_parked),
              cmocka_unit_test(test_send_writes_the_whole_buffer),
              cmocka_unit_test(test_write_writes_the_whole_buffer))
