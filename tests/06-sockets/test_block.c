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
#include "sockets.h"
#include "tasklet.h"
#include "timer.h"

#define S_WAIT "Waiting on a channel"
#define S_ORDER "Two tasklets on one socket"
#define S_POLLER "The poller"
#define S_SEND "Sending everything"
#define S_OPTIONS "Timeouts, deadlines and cancellation"

/* ---- a recv that waits blocks only its own tasklet ---- */

static int rd_fd, wr_fd;
static tasklet *reader_t;
static struct net_call reader_call;
static char reader_buf[64];
static int reader_seen_parked;
static bool worker_done;

static void reader(void *arg)
{
    (void)arg;
    trace("r:wait");
    ssize_t n = sock_recv(rd_fd, reader_buf, sizeof reader_buf - 1, 0);
    reader_call = net_record(n);
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
    net_watch(S_RETRY);
    int a, b;
    net_pair(&a, &b);
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
    net_run_all();

    check(!(reader_call.ret < 0 && reader_call.err == EAGAIN), S_RETRY,
          "the reader's sock_recv blocked the whole thread until the "
          "kernel's own 3 s timeout ended it (trace: \"%s\"): the fd must be "
          "non-blocking underneath, and a recv that would block must park "
          "the tasklet and let the others run",
          trace_text());
    check(reader_call.done && reader_call.ret == 5, S_RETRY,
          "the reader's sock_recv: expected 5 (\"hello\"), got %s",
          net_describe(reader_call));
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
    reader_call = net_record(n);
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
    net_watch(S_POLLER);
    int a, b;
    net_pair(&a, &b);
    rd_fd = b;
    wr_fd = a;

    trace_reset();
    go(starved_reader, NULL, "reader");
    go(yielder, NULL, "yielder");
    go(one_send, NULL, "sender");
    net_run_all();

    check(reader_call.done && reader_call.ret == 4, S_POLLER,
          "the reader's sock_recv: expected 4 (\"ping\"), got %s (the "
          "yielder yielded %ld times)",
          net_describe(reader_call), yields);
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
static struct net_call order_calls[READERS];
static int all_parked_when_sent;

static void one_byte_reader(void *arg)
{
    int k = (int)(intptr_t)arg;
    char c;
    ssize_t n = sock_recv(rd_fd, &c, 1, 0);
    order_calls[k] = net_record(n);
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
    net_watch(S_ORDER);
    int a, b;
    net_pair(&a, &b);
    rd_fd = b;
    wr_fd = a;

    trace_reset();
    for (int k = 0; k < READERS; k++) {
        char name[TASKLET_NAME_MAX];
        snprintf(name, sizeof name, "r%d", k + 1);
        readers[k] = go(one_byte_reader, (void *)(intptr_t)k, name);
    }
    go(send_three, NULL, "sender");
    net_run_all();

    check_eq(all_parked_when_sent, READERS, S_ORDER,
             "readers parked in sock_recv when the sender ran");
    for (int k = 0; k < READERS; k++)
        check(order_calls[k].done && order_calls[k].ret == 1, S_ORDER,
              "reader r%d's sock_recv of 1 byte: expected 1, got %s", k + 1,
              net_describe(order_calls[k]));
    /* Each readiness wakes the first waiter; it takes one byte, and the
     * bytes still there make the socket readable again for the next. */
    check_trace("r1:1 r2:2 r3:3", S_ORDER);
    sock_close(a);
    sock_close(b);
}

/* ---- a send writes the whole buffer ---- */

enum { BIG = 4 << 20, CHUNK = 4000 };
static unsigned char *big;
static struct net_call send_call, recv_call;
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
    send_call = net_record(n);
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
    recv_call = net_record(n);
}

static void transfer(bool with_write)
{
    const char *w = with_write ? "sock_write" : "sock_send";
    const char *r = with_write ? "sock_read" : "sock_recv";
    net_watch(S_SEND);
    big = malloc(BIG);
    check(big != NULL, S_SEND, "out of memory");
    for (size_t i = 0; i < BIG; i++)
        big[i] = pattern(i);
    int a, b;
    net_pair(&a, &b);
    /* A bounded send buffer: far less than 4 MiB fits in the sockets. */
    int size = 64 * 1024;
    errno = 0;
    check(sock_setsockopt(a, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) == 0,
          S_OPTIONS, "sock_setsockopt(SO_SNDBUF), an option the layer only "
          "passes on: expected 0, got -1 with errno %s", net_err_name(errno));
    rd_fd = b;
    wr_fd = a;
    use_write = with_write;

    go(big_writer, NULL, "writer");
    go(small_reader, NULL, "reader");
    net_run_all();

    check(send_call.done && send_call.ret == BIG, S_SEND,
          "%s of 4 MiB to a peer that reads in chunks of %d bytes: expected "
          "%d (the whole buffer, across partial writes), got %s",
          w, CHUNK, BIG, net_describe(send_call));
    check(received_when_sent > 0, S_SEND,
          "%s returned before the reader had received a single byte: 4 MiB "
          "cannot fit in the sockets' buffers, so the writer must have "
          "waited for room, and only its own tasklet should have",
          w);
    check(recv_call.done && recv_call.ret == 0, S_SEND,
          "the reader's last %s: expected 0 (the writer closed), got %s", r,
          net_describe(recv_call));
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
