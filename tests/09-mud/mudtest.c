/*
 * mudtest.c - the MUD tests' server, clients, clock and watchdog
 * (mudtest.h).
 */
#define _GNU_SOURCE
#include "mudtest.h"

#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "reactor.h"
#include "sock.h"
#include "tasklet.h"
#include "timer.h"
#include "worldfile.h"

/* ---- the clock ---- */

static int64_t fake_time;

static int64_t fake_now(void)
{
    return fake_time;
}

static void fake_wait(int64_t until)
{
    (void)until; /* never waits: only mt_advance moves time */
}

void mt_clock(void)
{
    fake_time = (int64_t)1000 * 1000 * 1000 * 1000; /* any fixed time */
    timer_set_clock(fake_now, fake_wait);
}

void mt_advance(int64_t ns)
{
    fake_time += ns;
    /* Let the timers now due fire, and the tasklets they wake run,
     * before the script goes on. */
    mt_settle();
}

/* ---- the watchdog ---- */

static const char *watch_section;
static char step_text[256] = "starting";
static bool script_done = true;

static void say(const char *s)
{
    ssize_t n = write(STDERR_FILENO, s, strlen(s));
    (void)n;
}

static int watch_seconds(void)
{
    const char *s = getenv("HARNESS_TIMEOUT");
    int t = s ? atoi(s) : 0;
    t = t > 0 ? t : 10;
    return t * 4 / 5 > 1 ? t * 4 / 5 : 1;
}

/* On SIGALRM: write(2) only, then _exit. */
static void watchdog(int sig)
{
    (void)sig;
    say("the test had not finished in time: ");
    say(script_done ? "its tasklets still ran after the script ended "
                      "(the server did not stop?)"
                    : "the script was still at: ");
    if (!script_done)
        say(step_text);
    say("\n  reread ");
    say(harness_chapter);
    say(", section \"");
    say(watch_section);
    say("\"\n");
    _exit(1);
}

void mt_watch(const char *section)
{
    watch_section = section;
    struct sigaction sa = {.sa_handler = watchdog};
    sigaction(SIGALRM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)watch_seconds());
}

void mt_step(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(step_text, sizeof step_text, fmt, ap);
    va_end(ap);
}

/* ---- the safety net of each wait ---- */

/* A client's read waits as long as it takes, but not forever: a timer on
 * the real clock (a timerfd, since the timers of timer.h run on the test
 * clock) ends a wait that has seen nothing for a few seconds, so that a
 * server that will never answer fails the test at once, with what did
 * come, instead of at the watchdog. It is a net, not a measurement: an
 * answer that comes at all comes in microseconds. */

static int net_fd = -1;
static tasklet *net_tasklet, *net_waiter;

static int net_seconds(void)
{
    int s = watch_seconds() / 4;
    return s > 1 ? s : 1;
}

static void net_main(void *arg)
{
    (void)arg;
    while (sock_wait(net_fd, REACTOR_READ, 0) == 0) {
        uint64_t fired;
        if (read(net_fd, &fired, sizeof fired) > 0 && net_waiter &&
            tasklet_is_parked(net_waiter))
            tasklet_interrupt(net_waiter, ETIMEDOUT);
    }
}

static void net_arm(bool on)
{
    struct itimerspec t = {.it_value = {.tv_sec = on ? net_seconds() : 0}};
    timerfd_settime(net_fd, 0, &t, NULL);
    net_waiter = on ? tasklet_current() : NULL;
}

/* ---- the script ---- */

struct script {
    void (*fn)(void *);
    void *arg;
};

static struct script the_script;
static bool spawn_failed;

static void script_main(void *arg)
{
    struct script *s = arg;
    s->fn(s->arg);
    script_done = true;
    if (net_tasklet)
        tasklet_cancel(net_tasklet);
}

void mt_go(void (*fn)(void *), void *arg)
{
    the_script = (struct script){fn, arg};
    script_done = false;
    tasklet *t = tasklet_spawn(script_main, &the_script);
    if (t == NULL)
        spawn_failed = true;
    else
        tasklet_set_name(t, "test script");
    net_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    net_tasklet = net_fd >= 0 ? tasklet_spawn(net_main, NULL) : NULL;
    if (net_tasklet)
        tasklet_set_name(net_tasklet, "test safety net");
}

void mt_run(void)
{
    errno = 0;
    int rc = tasklet_run();
    int e = errno;
    check(!spawn_failed, watch_section, "the script could not be spawned");
    check(rc == 0, watch_section,
          "tasklet_run: expected 0 (every tasklet finished), got %d with "
          "errno %d (%s)",
          rc, e, strerror(e));
    check(script_done, watch_section, "the script did not finish");
    if (net_fd >= 0)
        sock_close(net_fd);
    net_fd = -1;
    net_tasklet = NULL;
}

void mt_settle(void)
{
    /* The scheduler polls for I/O every TASKLET_POLL_INTERVAL switches;
     * each poll moves the loopback traffic one hop on. 64 polls is far
     * more hops than any exchange here takes. */
    for (int i = 0; i < 64 * TASKLET_POLL_INTERVAL; i++)
        tasklet_yield();
}

/* ---- the server ---- */

const char *mt_sample_path(void)
{
    static char path[PATH_MAX + 64];
    const char *rel = "steps/09-mud/world.txt";
    /* The grader runs tests from a scratch folder, and says where the
     * workbook is. */
    const char *root = getenv("GREEN_WORKBOOK");
    if (root) {
        snprintf(path, sizeof path, "%.*s/%s", PATH_MAX - 32, root, rel);
        return path;
    }
    if (access(rel, R_OK) == 0)
        return rel;
    /* Run from elsewhere: the program is build/V/bin/MIX/STEP/test_x. */
    char exe[PATH_MAX - 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *b = strstr(exe, "/build/");
        if (b) {
            *b = '\0';
            snprintf(path, sizeof path, "%s/%s", exe, rel);
            return path;
        }
    }
    return rel;
}

struct world *mt_sample_world(void)
{
    struct worldfile_error err;
    struct world *w = worldfile_load(mt_sample_path(), &err);
    char msg[512];
    check(w != NULL, S_WORLD, "the sample world %s does not load: %s",
          mt_sample_path(), worldfile_message(&err, msg, sizeof msg));
    return w;
}

struct mud_config mt_config(void)
{
    return (struct mud_config){
        .crypt_prefix = "$y$",
        .crypt_cost = 1,
        .conn = {.burst = 1000},
    };
}

static void serve(void *arg)
{
    struct mt_server *s = arg;
    s->rc = mud_serve(s->mud, s->fd);
}

void mt_listen(struct mt_server *s)
{
    s->addr = (struct sockaddr_in){.sin_family = AF_INET,
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof s->addr;
    s->fd = sock_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(s->fd >= 0 &&
              sock_bind(s->fd, (struct sockaddr *)&s->addr, len) == 0 &&
              sock_listen(s->fd, 64) == 0 &&
              getsockname(s->fd, (struct sockaddr *)&s->addr, &len) == 0,
          S_SERVER, "listening on 127.0.0.1 failed: %s", strerror(errno));
}

void mt_start(struct mt_server *s, struct mud_config *cfg)
{
    memset(s, 0, sizeof *s);
    if (cfg->world == NULL)
        cfg->world = mt_sample_world();
    s->world = cfg->world;
    errno = 0;
    s->mud = mud_create(cfg);
    check(s->mud != NULL, S_SERVER, "mud_create failed: %s",
          strerror(errno));
    mt_listen(s);
    tasklet *t = tasklet_spawn(serve, s);
    check(t != NULL, S_SERVER, "the server's tasklet could not be spawned");
    tasklet_set_name(t, "mud_serve");
}

void mt_stop(struct mt_server *s)
{
    mt_step("stopping the server");
    mud_shutdown(s->mud, "The test is over.");
}

void mt_finish(struct mt_server *s)
{
    check(s->rc == 0, S_SERVER, "mud_serve returned %d", s->rc);
    check(mud_player_count(s->mud) == 0, S_SERVER,
          "after mud_serve returned, %zu players are still in the game",
          mud_player_count(s->mud));
    sock_close(s->fd);
    mud_free(s->mud);
    world_free(s->world);
    timer_set_clock(NULL, NULL);
}

/* ---- clients ---- */

const char *mt_show(const void *bytes, size_t n)
{
    static char out[4][4096];
    static int next;
    char *o = out[next++ % 4];
    const unsigned char *p = bytes;
    size_t k = 0;
    size_t from = n > 600 ? n - 600 : 0; /* the end tells the most */
    if (from)
        k += (size_t)snprintf(o, 8, "...");
    for (size_t i = from; i < n && k < sizeof out[0] - 8; i++) {
        unsigned char c = p[i];
        if (c == '\\' || c == '"')
            k += (size_t)sprintf(o + k, "\\%c", c);
        else if (c == '\r')
            k += (size_t)sprintf(o + k, "\\r");
        else if (c == '\n')
            k += (size_t)sprintf(o + k, "\\n");
        else if (c < 32 || c >= 127)
            k += (size_t)sprintf(o + k, "\\x%02x", c);
        else
            o[k++] = (char)c;
    }
    o[k] = '\0';
    return o;
}

struct mt_client *mt_connect(struct mt_server *s, const char *name,
                             int rcvbuf)
{
    struct mt_client *c = calloc(1, sizeof *c);
    check(c != NULL, S_SERVER, "out of memory");
    snprintf(c->name, sizeof c->name, "%s", name);
    mt_step("%s connects", name);
    c->fd = sock_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(c->fd >= 0, S_SERVER, "socket: %s", strerror(errno));
    if (rcvbuf > 0)
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    int one = 1; /* each line goes at once, as a person types them */
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    check(sock_connect(c->fd, (struct sockaddr *)&s->addr, sizeof s->addr) ==
              0,
          S_SERVER, "connecting to the server: %s", strerror(errno));
    mt_expect(c, "\xff\xfb\x19", S_CONN); /* IAC WILL EOR: conn_open ran */
    return c;
}

void mt_sendn(struct mt_client *c, const void *bytes, size_t n)
{
    mt_step("%s sends \"%s\"", c->name, mt_show(bytes, n));
    ssize_t sent = sock_send(c->fd, bytes, n, MSG_NOSIGNAL);
    check(sent == (ssize_t)n, S_SERVER, "%s: sending \"%s\" failed: %s",
          c->name, mt_show(bytes, n), strerror(errno));
}

void mt_send(struct mt_client *c, const char *text)
{
    mt_sendn(c, text, strlen(text));
}

void mt_line(struct mt_client *c, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 2, fmt, ap);
    va_end(ap);
    memcpy(buf + n, "\r\n", 2);
    mt_sendn(c, buf, (size_t)n + 2);
}

/* Reads once more into c->buf, waiting as long as the safety net lets it:
 * the count, 0 at the end of the stream, -1 with errno (ETIMEDOUT: the
 * net ended the wait). */
static ssize_t fill(struct mt_client *c)
{
    if (c->len == sizeof c->buf) { /* keep the newer half */
        memmove(c->buf, c->buf + sizeof c->buf / 2, sizeof c->buf / 2);
        c->len = sizeof c->buf / 2;
    }
    net_arm(true);
    ssize_t n = sock_recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    int err = errno;
    net_arm(false);
    if (n > 0)
        c->len += (size_t)n;
    else if (n == 0 || err != ETIMEDOUT)
        c->eof = true;
    errno = err;
    return n;
}

void mt_expectn(struct mt_client *c, const void *want, size_t n,
                const char *section)
{
    mt_step("%s waits for \"%s\"", c->name, mt_show(want, n));
    for (;;) {
        unsigned char *at = memmem(c->buf, c->len, want, n);
        if (at) {
            size_t before = (size_t)(at - c->buf);
            c->skipped_len = before;
            memcpy(c->skipped, c->buf, before);
            memmove(c->buf, at + n, c->len - before - n);
            c->len -= before + n;
            return;
        }
        ssize_t got = c->eof ? 0 : fill(c);
        if (got <= 0)
            check(false, section,
                  "%s expected \"%s\", but %s after \"%s\"", c->name,
                  mt_show(want, n),
                  got == 0 ? "the connection ended"
                  : errno == ETIMEDOUT ? "nothing more came (the server "
                                         "waits for something)"
                                       : "the connection failed",
                  mt_show(c->buf, c->len));
    }
}

void mt_expect(struct mt_client *c, const char *want, const char *section)
{
    mt_expectn(c, want, strlen(want), section);
}

bool mt_skipped(const struct mt_client *c, const char *text)
{
    return memmem(c->skipped, c->skipped_len, text, strlen(text)) != NULL;
}

void mt_expect_eof(struct mt_client *c, const char *section)
{
    mt_step("%s waits for the end of the stream", c->name);
    while (!c->eof) {
        ssize_t n = fill(c);
        check(n >= 0 || errno != ETIMEDOUT, section,
              "%s expected the server to close the connection, but it "
              "stays open, after \"%s\"", c->name, mt_show(c->buf, c->len));
        if (c->len > sizeof c->buf / 2) { /* keep only the end */
            memmove(c->buf, c->buf + c->len - 1024, 1024);
            c->len = 1024;
        }
    }
}

void mt_expect_nothing(struct mt_client *c, const char *section)
{
    unsigned char b[4096];
    ssize_t n = sock_recv(c->fd, b, sizeof b, MSG_DONTWAIT);
    check(c->len == 0 && n < 0 && errno == EAGAIN, section,
          "%s expected nothing more for now, but got \"%s%s\"%s", c->name,
          mt_show(c->buf, c->len), n > 0 ? mt_show(b, (size_t)n) : "",
          n == 0 ? " and the end of the stream" : "");
}

void mt_close(struct mt_client *c)
{
    sock_close(c->fd);
    free(c);
}

struct mt_client *mt_new_player(struct mt_server *s, const char *name,
                                const char *password)
{
    struct mt_client *c = mt_connect(s, name, 0);
    mt_expect(c, "What is your name? " GA, S_LOGIN);
    mt_line(c, "%s", name);
    mt_expect(c, "Choose a password: " GA, S_LOGIN);
    mt_line(c, "%s", password);
    mt_expect(c, "Type it again: " GA, S_LOGIN);
    mt_line(c, "%s", password);
    mt_expect(c, PROMPT, S_LOGIN);
    return c;
}

struct mt_client *mt_login(struct mt_server *s, const char *name,
                           const char *password)
{
    struct mt_client *c = mt_connect(s, name, 0);
    mt_expect(c, "What is your name? " GA, S_LOGIN);
    mt_line(c, "%s", name);
    mt_expect(c, "Password: " GA, S_LOGIN);
    mt_line(c, "%s", password);
    mt_expect(c, PROMPT, S_LOGIN);
    return c;
}
