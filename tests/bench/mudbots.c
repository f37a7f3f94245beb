/*
 * mudbots.c - the players of the MUD benchmark (mudbots.h): one thread,
 * one epoll set, one array of bots.
 *
 * Each bot is a small state machine, driven by the prompts it receives:
 *
 *   UNSTARTED   not connected yet
 *   CONNECTING  non-blocking connect() in progress: watched for writing
 *   LOGIN       stage 0..3: waits for the name prompt, the two password
 *               prompts, then the first game prompt, answering each
 *   WALK        stage = exits taken so far on the way home
 *   READY       at home (or next door), nothing asked: reads and discards
 *   WAITING     an active bot's command is out; its prompt ends it
 *   DEAD        failed, or the server ended it; closed
 *
 * What the server sends goes through a four-line telnet scanner: IAC GA
 * (or IAC EOR) is a prompt's end, IAC IAC a data byte 255, IAC WILL/WONT/
 * DO/DONT x a negotiation to skip (the bots never answer one, so the
 * server marks prompts with GA). The data bytes since the last line end
 * are kept, up to TEXT_MAX: at a prompt they are its text, checked during
 * setup; a line "*** Output queue full..." marks a bot the server drops.
 *
 * Pacing: the k-th command of the run is due at start + k / active
 * seconds, from active bot k % active: one counter, no timer per bot.
 */
#define _GNU_SOURCE
#include "mudbots.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "mudmap.h"
#include "mudstat.h"
#include "world.h"

#define TEXT_MAX 48
#define NAMES (26 * 26 * 26)
#define IAC 255
#define GA 249
#define EOR 239

enum state { UNSTARTED, CONNECTING, LOGIN, WALK, READY, WAITING, DEAD };
enum telnet { TN_DATA, TN_IAC, TN_OPT };

static const char *const login_prompts[] = {
    "What is your name? ", "Choose a password: ", "Type it again: ", "> "};

/* The round of commands of an active bot; NULL: a move (away or back). */
static const char *const round_of[] = {"look", "say hello", NULL,
                                       "inventory", "who", NULL};
#define ROUND (sizeof round_of / sizeof round_of[0])

struct bot {
    int fd;
    enum state state;
    int stage;
    bool away;            /* next door, not at home */
    bool queue_full;      /* the server said it drops us */
    bool counted;         /* WAITING: sent in the window */
    enum telnet tn;
    unsigned char len;
    char text[TEXT_MAX];  /* data since the last line end */
    int64_t sent_at;      /* WAITING: when the command went */
};

struct mudbots {
    struct mudbots_config cfg;
    struct mudbots_result *res;
    int epfd;
    struct bot *bots;
    int *active;          /* indexes of the active bots */
    int *homes;           /* each bot's home, a room index */
    struct mudmap_route *routes;
    int pending;          /* bots being set up now */
    bool counting;        /* inside the window */
    long outstanding;     /* counted commands not answered yet */
    struct mudstat_samples samples; /* of the counted commands, ms */
    unsigned char buf[65536];
};

/* ---- a bot's life ---- */

static void name_of(const struct mudbots *b, int i, char out[8])
{
    snprintf(out, 8, "%c%c%c%c", b->cfg.letter, 'a' + i / 676 % 26,
             'a' + i / 26 % 26, 'a' + i % 26);
}

/* Ends a bot: a failure while it is being set up, a loss after. */
static void end_bot(struct mudbots *b, struct bot *t, const char *fmt, ...)
{
    struct mudbots_result *r = b->res;
    if (t->state == DEAD)
        return;
    if (t->state == CONNECTING || t->state == LOGIN || t->state == WALK) {
        b->pending--;
        if (r->failed++ == 0) {
            char name[8];
            name_of(b, (int)(t - b->bots), name);
            int k = snprintf(r->first_failure, sizeof r->first_failure,
                             "%s: ", name);
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(r->first_failure + k, sizeof r->first_failure - k,
                      fmt, ap);
            va_end(ap);
        }
    } else {
        r->lost++;
        r->dropped += t->queue_full;
        if (t->state == WAITING && t->counted)
            b->outstanding--;
    }
    if (t->fd >= 0) {
        struct linger rst = {.l_onoff = 1, .l_linger = 0};
        setsockopt(t->fd, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
        close(t->fd); /* also takes it out of the epoll set */
    }
    t->fd = -1;
    t->state = DEAD;
}

static bool send_line(struct mudbots *b, struct bot *t, const char *line)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%s\r\n", line);
    ssize_t sent = send(t->fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent == n)
        return true;
    end_bot(b, t, "send: %s", sent < 0 ? strerror(errno) : "short");
    return false;
}

static void start_bot(struct mudbots *b, int i)
{
    struct bot *t = &b->bots[i];
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)b->cfg.port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;
    t->state = CONNECTING;
    b->pending++;
    t->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t->fd < 0) {
        end_bot(b, t, "socket: %s", strerror(errno));
        return;
    }
    setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = i};
    if ((connect(t->fd, (struct sockaddr *)&addr, sizeof addr) < 0 &&
         errno != EINPROGRESS) ||
        epoll_ctl(b->epfd, EPOLL_CTL_ADD, t->fd, &ev) < 0)
        end_bot(b, t, "connect: %s", strerror(errno));
}

static void connected(struct mudbots *b, struct bot *t)
{
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    struct epoll_event ev = {.events = EPOLLIN,
                             .data.u32 = (uint32_t)(t - b->bots)};
    if (err == 0 && epoll_ctl(b->epfd, EPOLL_CTL_MOD, t->fd, &ev) < 0)
        err = errno;
    if (err) {
        end_bot(b, t, "connect: %s", strerror(err));
        return;
    }
    t->state = LOGIN;
    t->stage = 0;
}

/* Takes the next step on the way home, or arrives. */
static void walk_on(struct mudbots *b, struct bot *t)
{
    const struct mudmap_route *rt = &b->routes[b->homes[t - b->bots]];
    if (t->stage < rt->dist) {
        send_line(b, t, rt->steps[t->stage++]);
        return;
    }
    t->state = READY;
    b->pending--;
    b->res->ready++;
}

/* A prompt ended: what the bot was waiting for. */
static void prompt(struct mudbots *b, struct bot *t)
{
    t->text[t->len] = '\0';
    t->len = 0;
    if (t->state == LOGIN || t->state == WALK) {
        const char *want = login_prompts[t->state == LOGIN ? t->stage : 3];
        if (strcmp(t->text, want) != 0) {
            end_bot(b, t, "%s: expected the prompt \"%s\", got \"%s\"",
                    t->state == LOGIN ? "logging in" : "walking home", want,
                    t->text);
            return;
        }
    }
    char name[8];
    switch (t->state) {
    case LOGIN:
        name_of(b, (int)(t - b->bots), name);
        if (t->stage < 3) {
            send_line(b, t, t->stage == 0 ? name : MUDBOTS_PASSWORD);
            t->stage++;
        } else {
            t->state = WALK;
            t->stage = 0;
            walk_on(b, t);
        }
        break;
    case WALK:
        walk_on(b, t);
        break;
    case WAITING:
        if (t->counted) {
            mudstat_add(&b->samples,
                        (double)(bench_now() - t->sent_at) / 1e6);
            b->outstanding--;
        }
        t->state = READY;
        break;
    default: /* READY: a prompt nobody asked for; nothing to do */
        break;
    }
}

/* The telnet scanner (see the top of the file). */
static void scan(struct mudbots *b, struct bot *t, const unsigned char *p,
                 size_t n)
{
    for (size_t i = 0; i < n && t->state != DEAD; i++) {
        unsigned char c = p[i];
        if (t->tn == TN_OPT) {
            t->tn = TN_DATA;
        } else if (t->tn == TN_IAC) {
            t->tn = c >= 251 && c <= 254 ? TN_OPT : TN_DATA;
            if (c == GA || c == EOR)
                prompt(b, t);
            else if (c == IAC && t->len < TEXT_MAX - 1)
                t->text[t->len++] = (char)c;
        } else if (c == IAC) {
            t->tn = TN_IAC;
        } else if (c == '\n') {
            t->queue_full |= t->len >= 21 &&
                             memcmp(t->text, "*** Output queue full", 21) == 0;
            t->len = 0;
        } else if (c != '\r' && t->len < TEXT_MAX - 1) {
            t->text[t->len++] = (char)c;
        }
    }
}

static void readable(struct mudbots *b, struct bot *t)
{
    ssize_t n = recv(t->fd, b->buf, sizeof b->buf, MSG_DONTWAIT);
    t->text[t->len] = '\0';
    if (n > 0)
        scan(b, t, b->buf, (size_t)n);
    else if (n == 0)
        end_bot(b, t, "the server closed the connection after \"%s\"",
                t->text);
    else if (errno != EAGAIN && errno != EINTR)
        end_bot(b, t, "recv: %s", strerror(errno));
}

/* Waits up to timeout_ms for events, and handles them. */
static void poll_once(struct mudbots *b, int timeout_ms)
{
    struct epoll_event ev[256];
    int n = epoll_wait(b->epfd, ev, 256, timeout_ms);
    for (int i = 0; i < n; i++) {
        struct bot *t = &b->bots[ev[i].data.u32];
        if (t->state == CONNECTING)
            connected(b, t);
        if (t->state != DEAD && t->state != CONNECTING &&
            (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
            readable(b, t);
    }
}

/* ---- the runs ---- */

struct mudbots *mudbots_open(const struct mudbots_config *c,
                             struct mudbots_result *r)
{
    memset(r, 0, sizeof *r);
    if (c->bots < 1 || c->bots > NAMES || c->active < 1 ||
        c->active > c->bots || c->batch < 1 || c->world == NULL) {
        errno = EINVAL;
        return NULL;
    }
    struct mudbots *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    b->cfg = *c;
    b->res = r;
    b->bots = calloc((size_t)c->bots, sizeof *b->bots);
    b->active = calloc((size_t)c->active, sizeof *b->active);
    b->homes = calloc((size_t)c->bots, sizeof *b->homes);
    b->routes = calloc(c->world->nrooms, sizeof *b->routes);
    b->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (b->bots == NULL || b->active == NULL || b->homes == NULL ||
        b->routes == NULL || b->epfd < 0 ||
        mudmap_routes(c->world, b->routes) < 0) {
        int err = b->epfd < 0 ? errno : ENOMEM;
        mudbots_close(b);
        errno = err;
        return NULL;
    }
    for (int i = 0; i < c->bots; i++)
        b->bots[i].fd = -1;
    for (int i = 0; i < c->active; i++)
        b->active[i] = (int)((long)i * c->bots / c->active);
    mudmap_homes(c->world, b->routes, c->bots, b->homes);

    int64_t t0 = bench_now();
    int64_t deadline = t0 + (int64_t)(c->setup_s * 1e9);
    int next = 0;
    while (next < c->bots || b->pending > 0) {
        while (b->pending < c->batch && next < c->bots)
            start_bot(b, next++);
        if (bench_now() >= deadline)
            break;
        poll_once(b, 50);
    }
    for (int i = 0; i < c->bots; i++) {
        struct bot *t = &b->bots[i];
        if (t->state == CONNECTING || t->state == LOGIN || t->state == WALK)
            end_bot(b, t, "not in the game after %.0f s", c->setup_s);
    }
    if (next < c->bots) { /* the time ran out before they could start */
        if (r->failed == 0)
            snprintf(r->first_failure, sizeof r->first_failure,
                     "not in the game after %.0f s", c->setup_s);
        r->failed += c->bots - next;
    }
    r->setup_s = (double)(bench_now() - t0) / 1e9;
    for (int i = 0; i < c->active; i++)
        r->active_ready += b->bots[b->active[i]].state == READY;
    return b;
}

/* The k-th command of the run falls due: active bot k % active sends
 * the next of its round, if it is not still waiting. */
static void fire(struct mudbots *b, long k)
{
    int i = (int)(k % b->cfg.active);
    struct bot *t = &b->bots[b->active[i]];
    if (t->state == WAITING)
        b->res->late += b->counting;
    if (t->state != READY)
        return;
    const char *cmd = round_of[(k / b->cfg.active + i) % ROUND];
    if (cmd == NULL) {
        const struct mudmap_route *rt = &b->routes[b->homes[b->active[i]]];
        cmd = rt->away == NULL ? "look" : t->away ? rt->back : rt->away;
        t->away = rt->away != NULL && !t->away;
    }
    t->sent_at = bench_now();
    t->counted = b->counting;
    if (send_line(b, t, cmd)) {
        t->state = WAITING;
        b->outstanding += t->counted;
    }
}

static double cpu_of(pid_t pid)
{
    return pid > 0 ? mudstat_proc_cpu_s(pid) : -1;
}

void mudbots_measure(struct mudbots *b, double warmup_s, double seconds_s,
                     struct mudbots_result *r)
{
    b->res = r;
    int64_t start = bench_now();
    int64_t from = start + (int64_t)(warmup_s * 1e9);
    int64_t until = from + (int64_t)(seconds_s * 1e9);
    double spacing = 1e9 / b->cfg.active;
    double cpu[4] = {0};
    long k = 0;
    for (int64_t now = start; now < until; now = bench_now()) {
        if (!b->counting && now >= from) {
            b->counting = true;
            cpu[0] = mudstat_own_cpu_s();
            cpu[1] = cpu_of(b->cfg.server);
            cpu[2] = cpu_of(b->cfg.hostile);
            cpu[3] = mudstat_machine_cpu_s();
        }
        while (start + (int64_t)((double)k * spacing) <= now)
            fire(b, k++);
        int64_t due = start + (int64_t)((double)k * spacing);
        int64_t wait = (due < until ? due : until) - now;
        poll_once(b, (int)((wait + 999999) / 1000000));
    }
    b->counting = false;
    r->seconds = (double)(bench_now() - from) / 1e9;
    r->cpu_s = mudstat_own_cpu_s() - cpu[0];
    r->server_cpu_s = cpu[1] < 0 ? -1 : cpu_of(b->cfg.server) - cpu[1];
    r->hostile_cpu_s = cpu[2] < 0 ? -1 : cpu_of(b->cfg.hostile) - cpu[2];
    r->others_cpu_s = -1;
    if (cpu[3] >= 0 && r->server_cpu_s >= 0) {
        double ours = r->cpu_s + r->server_cpu_s +
                      (r->hostile_cpu_s > 0 ? r->hostile_cpu_s : 0);
        double machine = mudstat_machine_cpu_s() - cpu[3];
        /* Not below 0: the two clocks disagree a little (mudbots.h). */
        r->others_cpu_s = machine > ours ? machine - ours : 0;
    }

    int64_t grace = bench_now() + (int64_t)(MUDBOTS_GRACE_S * 1e9);
    while (b->outstanding > 0 && bench_now() < grace)
        poll_once(b, 10);
    for (int i = 0; i < b->cfg.bots; i++) {
        struct bot *t = &b->bots[i];
        if (t->state == WAITING && t->counted) {
            mudstat_add(&b->samples,
                        (double)(bench_now() - t->sent_at) / 1e6);
            r->unanswered++;
            t->counted = false;
        }
    }
    mudstat_sort(&b->samples);
    r->commands = (long)b->samples.n;
    r->p50_ms = mudstat_percentile(&b->samples, 0.50);
    r->p99_ms = mudstat_percentile(&b->samples, 0.99);
    r->max_ms = mudstat_percentile(&b->samples, 1.0);
}

void mudbots_close(struct mudbots *b)
{
    if (b == NULL)
        return;
    for (int i = 0; b->bots && i < b->cfg.bots; i++) {
        struct bot *t = &b->bots[i];
        if (t->fd >= 0) {
            struct linger rst = {.l_onoff = 1, .l_linger = 0};
            setsockopt(t->fd, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
            close(t->fd);
        }
    }
    if (b->epfd >= 0)
        close(b->epfd);
    free(b->bots);
    free(b->active);
    free(b->homes);
    free(b->routes);
    mudstat_free(&b->samples);
    free(b);
}
