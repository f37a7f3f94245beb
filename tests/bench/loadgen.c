/*
 * loadgen.c - the closed-loop load generator of loadgen.h: one thread,
 * one epoll set, one array of connections.
 *
 * Each connection is a small state machine:
 *
 *   CONNECTING  non-blocking connect() in progress: watched for writing
 *   FIRST_ECHO  connected; its first message is out, the echo not back
 *   IDLE        made its first round trip; waits for the warmup to start
 *               (or for the next run phase: it is done)
 *   LOOPING     a message is out; when its echo is back, the next goes
 *   DEAD        failed and closed
 *
 * Only one message is ever in flight on a connection, so a reply is
 * always the echo of the message sent last: its latency is the time from
 * that send to the moment its last byte arrives. One clock reading per
 * round trip serves both as the end of one and the start of the next.
 *
 * Latencies go into a histogram with 32 buckets per power of two (a
 * "log-linear" histogram, as HdrHistogram keeps): any latency from
 * nanoseconds to minutes, within 3%, in a fixed 15 KiB, however long the
 * run. The reported percentile is the middle of its bucket.
 *
 * The calls send, recv, socket, connect and close are the plain POSIX
 * ones. (In bench_net they are step 07's definitions, linked for its echo
 * server; in this process install() is never called, so they pass
 * straight to the C library.)
 */
#define _GNU_SOURCE
#include "loadgen.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* ---- the latency histogram ---- */

#define SUB_BITS 5
#define SUB (1 << SUB_BITS)            /* buckets per power of two */
#define NBUCKETS ((64 - SUB_BITS) * SUB)

/* Values below SUB have a bucket each. Above, a value with its highest
 * bit at position e goes to the row of e, and to the bucket of that row
 * named by the SUB_BITS bits just below its highest bit. */
static int bucket_of(uint64_t ns)
{
    if (ns < SUB)
        return (int)ns;
    int e = 63 - __builtin_clzll(ns); /* 2^e <= ns < 2^(e+1) */
    int sub = (int)(ns >> (e - SUB_BITS)) & (SUB - 1);
    return (e - SUB_BITS + 1) * SUB + sub;
}

/* The smallest value that goes to bucket b. */
static uint64_t bucket_low(int b)
{
    if (b < SUB)
        return (uint64_t)b;
    int e = b / SUB - 1 + SUB_BITS;
    return (uint64_t)(SUB + b % SUB) << (e - SUB_BITS);
}

/* The value below which a fraction p of the samples fall (the middle of
 * that bucket), in microseconds. */
static double percentile_us(const long *hist, long total, double p)
{
    long want = (long)(p * (double)total + 0.999999);
    if (want < 1)
        want = 1;
    long seen = 0;
    for (int b = 0; b < NBUCKETS - 1; b++) {
        seen += hist[b];
        if (seen >= want)
            return (double)(bucket_low(b) + bucket_low(b + 1)) / 2 / 1000;
    }
    return 0;
}

/* ---- connections ---- */

enum state { CONNECTING, FIRST_ECHO, IDLE, LOOPING, DEAD };

struct conn {
    int fd;
    enum state state;
    uint32_t events;   /* what epoll watches for it now */
    size_t sent;       /* bytes of the current message sent */
    size_t got;        /* bytes of its echo received */
    int64_t sent_at;   /* when the current message went out */
    bool counted;      /* made a round trip in the window */
};

struct run {
    const struct loadgen_config *cfg;
    struct loadgen_result *res;
    int epfd;
    struct conn *conns;
    int opened;          /* connections opened so far */
    int pending;         /* opened, first echo not back yet */
    char *message;       /* what every connection sends */
    char scratch[65536]; /* where replies are read */
    int64_t window_start, window_end;
    long hist[NBUCKETS];
};

static void fail(struct run *run, struct conn *c, int err)
{
    if (c->state == CONNECTING || c->state == FIRST_ECHO)
        run->pending--;
    if (run->res->failed++ == 0)
        run->res->first_error = err;
    close(c->fd); /* also takes it out of the epoll set */
    c->fd = -1;
    c->state = DEAD;
}

/* Watches c for `events`, if that is not what it watches already. */
static void watch(struct run *run, struct conn *c, uint32_t events)
{
    if (c->events == events)
        return;
    struct epoll_event ev = {.events = events,
                             .data.u64 = (uint64_t)(c - run->conns)};
    int op = c->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(run->epfd, op, c->fd, &ev) < 0) {
        fail(run, c, errno);
        return;
    }
    c->events = events;
}

/* Sends what is left of the current message. Watching for writing is
 * needed only while part of it waits for room in the socket buffer. */
static void send_rest(struct run *run, struct conn *c)
{
    size_t size = run->cfg->size;
    ssize_t n = send(c->fd, run->message + c->sent, size - c->sent,
                     MSG_NOSIGNAL);
    if (n >= 0)
        c->sent += (size_t)n;
    else if (errno != EAGAIN && errno != EINTR) {
        fail(run, c, errno);
        return;
    }
    watch(run, c, c->sent < size ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

static void start_message(struct run *run, struct conn *c, int64_t now)
{
    c->sent = 0;
    c->got = 0;
    c->sent_at = now;
    send_rest(run, c);
}

/* The whole echo is back. */
static void round_trip_done(struct run *run, struct conn *c)
{
    int64_t now = bench_now();
    if (c->state == FIRST_ECHO) {
        c->state = IDLE;
        run->pending--;
        run->res->connected++;
        return;
    }
    if (now >= run->window_start && now < run->window_end) {
        run->hist[bucket_of((uint64_t)(now - c->sent_at))]++;
        run->res->messages++;
        if (!c->counted) {
            c->counted = true;
            run->res->echoing++;
        }
    }
    if (now < run->window_end)
        start_message(run, c, now);
    else
        c->state = IDLE; /* done: the run is over for it */
}

/* Reads what has come back. Anything that is not the echo of the message
 * out (a byte too many, a wrong byte, the end of the stream) fails. */
static void receive(struct run *run, struct conn *c)
{
    size_t size = run->cfg->size;
    size_t want = c->state == IDLE ? 1 : size - c->got;
    if (want > sizeof run->scratch)
        want = sizeof run->scratch;
    ssize_t n = recv(c->fd, run->scratch, want, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            fail(run, c, errno);
        return;
    }
    if (n == 0) {
        fail(run, c, 0); /* the server closed it */
        return;
    }
    if (c->state == IDLE ||
        memcmp(run->scratch, run->message + c->got, (size_t)n) != 0) {
        fail(run, c, EPROTO);
        return;
    }
    c->got += (size_t)n;
    if (c->got == size)
        round_trip_done(run, c);
}

static void on_event(struct run *run, struct conn *c, uint32_t events)
{
    if (c->state == DEAD)
        return;
    if (c->state == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err != 0) {
            fail(run, c, err);
            return;
        }
        c->state = FIRST_ECHO;
        start_message(run, c, bench_now());
        return;
    }
    if ((events & EPOLLOUT) && c->sent < run->cfg->size) {
        send_rest(run, c);
        if (c->state == DEAD)
            return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        receive(run, c);
}

/* Opens one more connection: non-blocking, so connect() returns at once
 * and epoll says when it is done. */
static void open_one(struct run *run)
{
    struct conn *c = &run->conns[run->opened++];
    run->pending++;
    c->state = CONNECTING;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        if (run->res->failed++ == 0)
            run->res->first_error = errno;
        run->pending--;
        c->state = DEAD;
        return;
    }
    /* Each message goes out at once, not held back to be coalesced. */
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons((uint16_t)run->cfg->port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
        c->state = FIRST_ECHO;
        start_message(run, c, bench_now());
    } else if (errno == EINPROGRESS) {
        watch(run, c, EPOLLOUT);
    } else {
        fail(run, c, errno);
    }
}

/* One epoll_wait, at most timeout_ms, and the events it brings. */
static void turn(struct run *run, int timeout_ms)
{
    struct epoll_event ready[1024];
    int n = epoll_wait(run->epfd, ready, 1024, timeout_ms);
    for (int i = 0; i < n; i++)
        on_event(run, &run->conns[ready[i].data.u64], ready[i].events);
}

/* Milliseconds until t, rounded up, at most 100 (so the loops look at the
 * clock again now and then). */
static int ms_until(int64_t t)
{
    int64_t ms = (t - bench_now() + 999999) / 1000000;
    return ms < 0 ? 0 : ms > 100 ? 100 : (int)ms;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The CPU time (user + system, all threads) of process pid, in seconds,
 * from fields 14 and 15 of /proc/PID/stat; -1 if it cannot be read. */
static double process_cpu_seconds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[1024];
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    /* Field 2, the name, is in parentheses and may hold spaces: count the
     * fields from the last ')'. */
    char *p = ok ? strrchr(line, ')') : NULL;
    if (p == NULL)
        return -1;
    unsigned long utime, stime;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* The CPU time the whole machine spent running processes (user, nice,
 * system) or lost to the hypervisor (steal), in seconds over all CPUs,
 * from the first line of /proc/stat; -1 if it cannot be read. Interrupt
 * time is left out: much of it is this benchmark's own network traffic. */
static double machine_cpu_seconds(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (f == NULL)
        return -1;
    unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user,
                   &nice, &system, &idle, &iowait, &irq, &softirq, &steal);
    fclose(f);
    if (n != 8)
        return -1;
    return (double)(user + nice + system + steal) /
           (double)sysconf(_SC_CLK_TCK);
}

static void close_all(struct run *run)
{
    struct linger reset = {.l_onoff = 1, .l_linger = 0};
    for (int i = 0; i < run->opened; i++) {
        struct conn *c = &run->conns[i];
        if (c->state == DEAD)
            continue;
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        close(c->fd);
    }
}

int loadgen_run(const struct loadgen_config *cfg, struct loadgen_result *res)
{
    memset(res, 0, sizeof *res);
    struct run *run = calloc(1, sizeof *run);
    if (run == NULL)
        return -1;
    run->cfg = cfg;
    run->res = res;
    run->conns = calloc((size_t)cfg->conns, sizeof *run->conns);
    run->message = malloc(cfg->size);
    run->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (run->conns == NULL || run->message == NULL || run->epfd < 0) {
        int err = run->epfd < 0 ? errno : ENOMEM;
        free(run->conns);
        free(run->message);
        free(run);
        errno = err;
        return -1;
    }
    for (size_t i = 0; i < cfg->size; i++)
        run->message[i] = (char)('a' + i % 26);
    /* No round trip counts before the warmup is over. */
    run->window_start = run->window_end = INT64_MAX;

    /* Setup: open them all, a few at a time; each makes one round trip. */
    int64_t t0 = bench_now();
    int64_t setup_end = t0 + (int64_t)(cfg->setup_s * 1e9);
    while (res->connected + res->failed < cfg->conns &&
           bench_now() < setup_end) {
        while (run->opened < cfg->conns &&
               run->pending < LOADGEN_MAX_PENDING)
            open_one(run);
        turn(run, ms_until(setup_end));
    }
    int64_t t1 = bench_now();
    res->setup_s = (double)(t1 - t0) / 1e9;

    /* Warmup, then the window: every connection that made its first round
     * trip loops until the window ends. */
    run->window_start = t1 + (int64_t)(cfg->warmup_s * 1e9);
    run->window_end = run->window_start + (int64_t)(cfg->seconds_s * 1e9);
    for (int i = 0; i < run->opened; i++)
        if (run->conns[i].state == IDLE) {
            run->conns[i].state = LOOPING;
            start_message(run, &run->conns[i], t1);
        }
    while (bench_now() < run->window_start)
        turn(run, ms_until(run->window_start));

    double cpu0 = cpu_seconds();
    double server0 = cfg->server > 0 ? process_cpu_seconds(cfg->server) : -1;
    double machine0 = machine_cpu_seconds();
    while (bench_now() < run->window_end)
        turn(run, ms_until(run->window_end));
    double machine1 = machine_cpu_seconds();
    double server1 = cfg->server > 0 ? process_cpu_seconds(cfg->server) : -1;
    res->cpu_s = cpu_seconds() - cpu0;
    res->server_cpu_s = server0 >= 0 && server1 >= 0 ? server1 - server0 : -1;
    res->others_cpu_s = -1;
    if (res->server_cpu_s >= 0 && machine0 >= 0 && machine1 >= 0) {
        double others = machine1 - machine0 - res->server_cpu_s - res->cpu_s;
        res->others_cpu_s = others > 0 ? others : 0; /* clock-tick rounding */
    }

    /* Round trips were counted by their own timestamps: the window is
     * exactly as long as asked, however late the loop noticed its end. */
    res->seconds = (double)(run->window_end - run->window_start) / 1e9;
    res->msgs_per_s = (double)res->messages / res->seconds;
    res->p50_us = percentile_us(run->hist, res->messages, 0.50);
    res->p99_us = percentile_us(run->hist, res->messages, 0.99);

    close_all(run);
    close(run->epfd);
    free(run->conns);
    free(run->message);
    free(run);
    return 0;
}
