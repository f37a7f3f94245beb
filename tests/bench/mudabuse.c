/*
 * mudabuse.c - the hostile clients (mudabuse.h): one thread, one epoll
 * set, one array of clients, one pacer per kind.
 *
 * A client is DOWN (no connection), CONNECTING (non-blocking connect in
 * progress, watched for writing) or UP. Once up, the readers (DRIP, NOISE,
 * CHURN) are watched for reading and discard all they get; SILENT is
 * watched for nothing but errors (a reset once the server has dropped
 * it, which epoll always reports).
 *
 * Pacing: for each kind, its k-th turn is due at start + k * period / n,
 * for client k % n of that kind: n turns per period, evenly spaced, one
 * counter per kind and no timer per client. A turn of a DOWN client
 * connects it; a turn of a CONNECTING one waits for the next.
 *
 * Random bytes come from a fixed-seed xorshift generator: every run
 * sends the same noise.
 */
#define _GNU_SOURCE
#include "mudabuse.h"

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
#include <unistd.h>

#include "bench.h"
#include "mudbots.h" /* MUDBOTS_PASSWORD */

#define MS 1000000LL

/* Per kind: the time between two turns of one client, and the letter
 * that starts its characters' names. */
static const int64_t period_of[MUDABUSE_KINDS] = {200 * MS, 100 * MS,
                                                  100 * MS, 250 * MS};
static const char letter_of[MUDABUSE_KINDS] = {'d', 's', 'n', 'c'};
static const char *const name_of[MUDABUSE_KINDS] = {"drip", "silent",
                                                    "noise", "churn"};

enum state { DOWN, CONNECTING, UP };

struct hostile {
    int fd;
    enum state state;
    enum mudabuse_kind kind;
    long serial;      /* connections this client made */
    int pause;        /* DOWN: turns to wait before connecting again */
    size_t pos;       /* DRIP: bytes of its script sent; SILENT: turns */
    char script[64];  /* DRIP: its login, then "look" */
    size_t login_len; /* DRIP: the script's login part */
};

struct abuse {
    const struct mudabuse_config *cfg;
    volatile struct mudabuse_counts *counts;
    int epfd;
    struct hostile *h;  /* per_kind of each kind, kind by kind */
    long names;         /* characters named so far */
    uint64_t rng;
    char buf[65536];
};

const char *mudabuse_kind_name(enum mudabuse_kind k)
{
    return k < MUDABUSE_KINDS ? name_of[k] : "?";
}

static uint64_t rnd(struct abuse *a)
{
    a->rng ^= a->rng << 13;
    a->rng ^= a->rng >> 7;
    a->rng ^= a->rng << 17;
    return a->rng;
}

/* A name nobody has had: the kind's letter and five from the counter. */
static void new_name(struct abuse *a, enum mudabuse_kind k, char out[8])
{
    long n = a->names++;
    out[0] = letter_of[k];
    for (int i = 5; i >= 1; i--, n /= 26)
        out[i] = (char)('a' + n % 26);
    out[6] = '\0';
}

/* Closes c's connection; with a reset unless `gently`. */
static void hang_up(struct hostile *c, bool gently)
{
    if (!gently) {
        struct linger rst = {.l_onoff = 1, .l_linger = 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
    }
    close(c->fd);
    c->fd = -1;
    c->state = DOWN;
}

/* The server ended c's connection (or a send to it failed). It waits
 * 0 to 19 turns, at random, before it connects again: clients that the
 * server dropped together come back spread out (see drip). */
static void ended(struct abuse *a, struct hostile *c)
{
    a->counts->ended[c->kind]++;
    hang_up(c, false);
    c->pause = (int)(rnd(a) % 20);
}

static void dial(struct abuse *a, struct hostile *c)
{
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)a->cfg->port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        a->counts->failed++;
        return;
    }
    int one = 1, small = 2048;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (c->kind == MUDABUSE_SILENT) /* before connect: the window */
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct epoll_event ev = {.events = EPOLLOUT,
                             .data.u32 = (uint32_t)(c - a->h)};
    c->state = CONNECTING;
    if ((connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 &&
         errno != EINPROGRESS) ||
        epoll_ctl(a->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        a->counts->failed++;
        hang_up(c, false);
    }
}

/* Sends what a turn sends; a failure means the server ended it. */
static void say(struct abuse *a, struct hostile *c, const void *p, size_t n)
{
    ssize_t sent = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0)
        a->counts->bytes += sent;
    else if (sent < 0 && errno != EAGAIN && errno != EINTR)
        ended(a, c);
}

static void connected(struct abuse *a, struct hostile *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    struct epoll_event ev = {
        .events = c->kind == MUDABUSE_SILENT ? 0u : (uint32_t)EPOLLIN,
        .data.u32 = (uint32_t)(c - a->h)};
    if (err || epoll_ctl(a->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
        a->counts->failed++;
        hang_up(c, false);
        return;
    }
    a->counts->connects[c->kind]++;
    c->state = UP;
    c->serial++;
    c->pos = 0;
    char name[8];
    switch (c->kind) {
    case MUDABUSE_DRIP:
        new_name(a, c->kind, name);
        c->login_len = (size_t)snprintf(c->script, sizeof c->script,
                                        "%s\r\n%s\r\n%s\r\n", name,
                                        MUDBOTS_PASSWORD, MUDBOTS_PASSWORD);
        snprintf(c->script + c->login_len,
                 sizeof c->script - c->login_len, "look\r\n");
        break;
    case MUDABUSE_SILENT: {
        char login[64];
        new_name(a, c->kind, name);
        int n = snprintf(login, sizeof login, "%s\r\n%s\r\n%s\r\n", name,
                         MUDBOTS_PASSWORD, MUDBOTS_PASSWORD);
        say(a, c, login, (size_t)n);
        break;
    }
    case MUDABUSE_CHURN:
        if (c->serial % 2 == 0)
            say(a, c, "Chur", 4); /* half a name, never finished */
        break;
    default:
        break;
    }
}

/* One byte of the script at half of its turns, at random: pauses of 200
 * ms, 400 ms, ... that keep the clients from moving in step (in step,
 * all 250 would send their password in the same 200 ms, and the server
 * would hash 250 passwords at once). After the login, "look" over and
 * over. */
static void drip(struct abuse *a, struct hostile *c)
{
    if (rnd(a) % 2)
        return;
    size_t len = strlen(c->script);
    if (c->pos >= len)
        c->pos = c->login_len;
    say(a, c, &c->script[c->pos++], 1);
}

/* 1 to 64 bytes: a third 255s, a tenth line ends, a tenth command bytes
 * (250..254: SB, GA, EL, EC... after a 255, a command), the rest any. */
static void noise(struct abuse *a, struct hostile *c)
{
    unsigned char b[64];
    size_t n = 1 + rnd(a) % sizeof b;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rnd(a);
        switch (r % 10) {
        case 0: case 1: case 2: b[i] = 255; break;
        case 3: b[i] = (r >> 8) % 2 ? '\r' : '\n'; break;
        case 4: b[i] = (unsigned char)(250 + (r >> 8) % 5); break;
        default: b[i] = (unsigned char)(r >> 8); break;
        }
    }
    say(a, c, b, n);
}

/* A client's turn. */
static void turn(struct abuse *a, struct hostile *c)
{
    if (c->state == DOWN) {
        if (c->pause > 0)
            c->pause--;
        else
            dial(a, c);
        return;
    }
    if (c->state == CONNECTING)
        return;
    switch (c->kind) {
    case MUDABUSE_DRIP:
        drip(a, c);
        break;
    case MUDABUSE_SILENT: /* at half of its turns, at random */
        if (rnd(a) % 2 == 0)
            say(a, c, "who\r\n", 5);
        break;
    case MUDABUSE_NOISE:
        noise(a, c);
        break;
    case MUDABUSE_CHURN:
        hang_up(c, c->serial % 4 == 3);
        break;
    default:
        break;
    }
}

static void on_event(struct abuse *a, struct hostile *c, uint32_t events)
{
    if (c->state == CONNECTING) {
        connected(a, c);
        return;
    }
    if (c->state != UP)
        return;
    if (c->kind == MUDABUSE_SILENT) { /* only errors wake it */
        ended(a, c);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        ssize_t n = recv(c->fd, a->buf, sizeof a->buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            ended(a, c);
    }
}

_Noreturn void mudabuse_run(const struct mudabuse_config *cfg,
                            volatile struct mudabuse_counts *counts)
{
    struct abuse *a = calloc(1, sizeof *a);
    int n = cfg->per_kind;
    if (a == NULL || n < 1 ||
        (a->h = calloc((size_t)n * MUDABUSE_KINDS, sizeof *a->h)) == NULL ||
        (a->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        perror("mudabuse");
        _exit(1);
    }
    a->cfg = cfg;
    a->counts = counts;
    a->rng = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < n * MUDABUSE_KINDS; i++)
        a->h[i] = (struct hostile){.fd = -1, .kind = i / n};

    int64_t start = bench_now();
    int64_t stop = start + (int64_t)(cfg->max_s * 1e9);
    long k[MUDABUSE_KINDS] = {0};
    for (int64_t now = start; now < stop; now = bench_now()) {
        int64_t next = stop;
        for (int kind = 0; kind < MUDABUSE_KINDS; kind++) {
            if (cfg->kinds && !(cfg->kinds & 1u << kind))
                continue;
            int64_t step = period_of[kind] / n, due;
            while ((due = start + k[kind] * step) <= now)
                turn(a, &a->h[kind * n + k[kind]++ % n]);
            if (due < next)
                next = due;
        }
        struct epoll_event ev[256];
        int got = epoll_wait(a->epfd, ev, 256,
                             (int)((next - now + MS - 1) / MS));
        for (int i = 0; i < got; i++)
            on_event(a, &a->h[ev[i].data.u32], ev[i].events);
    }
    _exit(0);
}
