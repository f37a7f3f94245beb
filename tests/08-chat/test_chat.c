/*
 * test_chat.c - step 08: the chat protocol end to end, against both
 * servers.
 *
 * Every scenario is two tests: one against the blocking server
 * (chat_tasklets_serve), one against the callback server
 * (chat_reactor_start). The server runs in a child process of its own,
 * forked for the test with a listening socket the test made, so that a
 * server that crashes, hangs or leaks is reported as such (the child must
 * exit with status 0, under AddressSanitizer and valgrind too) and cannot
 * take the test's own checks with it. The test stops the server by closing
 * a pipe: the blocking server's tasklet is cancelled, the callback server
 * is stopped with chat_reactor_stop from a handler on the same reactor.
 *
 * The clients are tasklets of the test process, on step 06's sockets: a
 * script tasklet drives them line by line, and for the many-clients
 * scenario fifty tasklets chat at once. A client that fails records why and
 * cancels the others; the checks run on the main tasklet afterwards.
 *
 * Loopback only, ports picked by the kernel, bounded counts, no sleeps and
 * no timing assertions. A read that waits longer than half the harness's
 * timeout (HARNESS_TIMEOUT) gives up, so that a server that never answers
 * is reported with what the client was waiting for.
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "chat.h"
#include "reactor.h"
#include "sock.h"
#include "tasklet.h"
#include "timer.h"

#define S_PROTOCOL "The protocol"
#define S_BLOCKING "The blocking server read top to bottom"
#define S_CALLBACK "The callback server and its explicit state"
#define S_SLOW "The slow-reader problem and the bounded queue policy"
#define S_BROADCAST "Why broadcast must never block"

#define WELCOME "* welcome; choose a nick (1-16 letters, digits, _ or -)"
#define BAD_NICK "error: bad nick (1-16 letters, digits, _ or -)"
#define TAKEN "error: nick taken"
#define TOO_LONG "error: line too long (max 512 bytes)"
#define FAREWELL "error: output queue full, disconnecting"

enum kind { TASKLETS, REACTOR };

static const char *kind_name(enum kind k)
{
    return k == TASKLETS ? "the blocking server (chat_tasklets.c)"
                         : "the callback server (chat_reactor.c)";
}

static const char *server_section(enum kind k)
{
    return k == TASKLETS ? S_BLOCKING : S_CALLBACK;
}

static const char *err_name(int e)
{
    static char bufs[4][64];
    static int next;
    switch (e) {
    case 0: return "0";
    case ENOSYS: return "ENOSYS (still the starter's TODO?)";
    case EINVAL: return "EINVAL";
    case ECANCELED: return "ECANCELED";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case EPIPE: return "EPIPE";
    case ENOMEM: return "ENOMEM";
    }
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "%d (%s)", e, strerror(e));
    return b;
}

/* ---- the server, in a child process ---- */

struct host {
    enum kind kind;
    pid_t pid;
    int stop_fd;   /* closing it stops the server */
    int report_fd; /* what the child says when it fails */
    struct sockaddr_in addr;
};

static struct host host;

/* In the child: says why it fails, and exits with status. */
static _Noreturn void child_fail(int report_fd, int status, const char *fmt,
                                 ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n > 0) {
        ssize_t w = write(report_fd, msg, strlen(msg));
        (void)w;
    }
    exit(status);
}

struct serving {
    int listen_fd, stop_fd, report_fd;
    struct chat_config cfg;
    tasklet *server;
    bool done;
};

static void serve_tasklet(void *arg)
{
    struct serving *s = arg;
    int rc = chat_tasklets_serve(s->listen_fd, &s->cfg);
    int err = errno;
    s->done = true;
    if (rc != 0)
        child_fail(s->report_fd, 3,
                   "chat_tasklets_serve returned %d with errno %s", rc,
                   err_name(err));
}

static void stop_watch(void *arg)
{
    struct serving *s = arg;
    char c;
    while (sock_read(s->stop_fd, &c, 1) > 0)
        ;
    if (!s->done)
        tasklet_cancel(s->server); /* chat_tasklets_serve returns */
    sock_close(s->stop_fd);
}

static void run_tasklets_server(struct serving *s)
{
    s->server = tasklet_spawn(serve_tasklet, s);
    tasklet *w = tasklet_spawn(stop_watch, s);
    if (s->server == NULL || w == NULL)
        child_fail(s->report_fd, 5, "tasklet_spawn failed");
    int rc = tasklet_run();
    if (rc != 0)
        child_fail(s->report_fd, 4,
                   "tasklet_run returned %d with errno %s after the server "
                   "was stopped: some tasklet of the server never ended",
                   rc, err_name(errno));
    sock_close(s->listen_fd);
}

static chat_reactor *stopping;

static void on_stop(struct dispatcher *d)
{
    chat_reactor_stop(stopping);
    stopping = NULL; /* so that a leak checker sees what stop leaves */
    dispatcher_close(d);
}

static void on_stop_error(struct dispatcher *d, int err)
{
    (void)err;
    on_stop(d);
}

static const struct dispatcher_ops stop_ops = {
    .handle_read = on_stop,
    .handle_close = on_stop,
    .handle_error = on_stop_error,
};

static void run_reactor_server(struct serving *s)
{
    reactor *r = reactor_create(NULL);
    if (r == NULL)
        child_fail(s->report_fd, 5, "reactor_create: errno %s",
                   err_name(errno));
    errno = 0;
    stopping = chat_reactor_start(r, s->listen_fd, &s->cfg);
    if (stopping == NULL)
        child_fail(s->report_fd, 3,
                   "chat_reactor_start returned NULL with errno %s",
                   err_name(errno));
    struct dispatcher stopper = {.fd = s->stop_fd, .ops = &stop_ops,
                                 .connected = true};
    if (reactor_add(r, &stopper) < 0)
        child_fail(s->report_fd, 5, "reactor_add: errno %s", err_name(errno));
    int rc = reactor_loop(r, -1, 0);
    if (rc < 0)
        child_fail(s->report_fd, 4, "reactor_loop returned %d with errno %s",
                   rc, err_name(errno));
    if (reactor_count(r) != 0)
        child_fail(s->report_fd, 4,
                   "%zu dispatchers were left in the reactor after "
                   "chat_reactor_stop",
                   reactor_count(r));
    reactor_destroy(r);
    close(s->listen_fd);
}

/* Makes the listening socket (bound to 127.0.0.1, port 0) and forks the
 * server. sndbuf > 0 sets SO_SNDBUF on the listening socket, which the
 * connections accepted from it inherit. */
static void host_start(enum kind kind, size_t queue_max, int sndbuf)
{
    if (getenv("HARNESS_NO_FORK"))
        harness_skip("the server runs in a forked child, and fork hangs "
                     "under qemu-user here");
    host = (struct host){.kind = kind, .pid = -1};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    check(fd >= 0, S_PROTOCOL, "socket: errno %s", err_name(errno));
    if (sndbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    host.addr = (struct sockaddr_in){.sin_family = AF_INET,
                                     .sin_addr.s_addr =
                                         htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof host.addr;
    int stop[2], report[2];
    check(bind(fd, (struct sockaddr *)&host.addr, len) == 0 &&
              listen(fd, SOMAXCONN) == 0 &&
              getsockname(fd, (struct sockaddr *)&host.addr, &len) == 0 &&
              pipe(stop) == 0 && pipe(report) == 0,
          S_PROTOCOL, "setting up the listening socket: errno %s",
          err_name(errno));
    fflush(NULL);
    pid_t pid = fork();
    check(pid >= 0, S_PROTOCOL, "fork: errno %s", err_name(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        /* The server must survive clients that vanish by itself
         * (MSG_NOSIGNAL): SIGPIPE keeps its default action here. */
        int crashes[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGPIPE};
        for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++)
            signal(crashes[i], SIG_DFL);
        close(stop[1]);
        close(report[0]);
        struct serving s = {.listen_fd = fd, .stop_fd = stop[0],
                            .report_fd = report[1],
                            .cfg = {.queue_max = queue_max}};
        if (kind == TASKLETS)
            run_tasklets_server(&s);
        else
            run_reactor_server(&s);
        exit(0);
    }
    close(fd);
    close(stop[0]);
    close(report[1]);
    host.pid = pid;
    host.stop_fd = stop[1];
    host.report_fd = report[0];
}

/* Stops the server and waits for it. Returns 0 if it exited with status
 * 0; otherwise says why in why. */
static int host_stop(char *why, size_t size)
{
    close(host.stop_fd);
    int status = 0;
    pid_t got;
    do
        got = waitpid(host.pid, &status, 0);
    while (got < 0 && errno == EINTR);
    char report[600] = "";
    ssize_t n = read(host.report_fd, report, sizeof report - 1);
    report[n > 0 ? n : 0] = '\0';
    close(host.report_fd);
    if (got == host.pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (got != host.pid)
        snprintf(why, size, "waitpid failed: errno %s", err_name(errno));
    else if (WIFSIGNALED(status))
        snprintf(why, size, "the server process was killed by signal %d (%s)",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(why, size,
                 "the server process exited with status %d%s%s%s",
                 WEXITSTATUS(status), report[0] ? ": " : "", report,
                 report[0] ? ""
                           : " (a sanitizer or valgrind report? see its "
                             "messages above)");
    return -1;
}

/* ---- failing from a client tasklet ---- */

enum { MAX_LIVE = 128 };

static struct {
    bool failed;
    const char *section;
    char msg[3000];
} F;
static tasklet *live[MAX_LIVE];

/* Records the first failure and cancels every other client tasklet, so
 * that they end at once instead of waiting for lines that will not come. */
static void flunk(const char *sect, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void flunk(const char *sect, const char *fmt, ...)
{
    if (F.failed)
        return;
    F.failed = true;
    F.section = sect;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(F.msg, sizeof F.msg, fmt, ap);
    va_end(ap);
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i] != NULL && live[i] != tasklet_current())
            tasklet_cancel(live[i]);
}

struct spawned {
    void (*fn)(void *);
    void *arg;
    int slot;
};
static struct spawned spawns[MAX_LIVE];

static void trampoline(void *arg)
{
    struct spawned *s = arg;
    s->fn(s->arg);
    live[s->slot] = NULL;
}

/* Spawns a client tasklet that flunk() can cancel. */
static void go(void (*fn)(void *), void *arg)
{
    for (int i = 0; i < MAX_LIVE; i++) {
        if (live[i] == NULL && spawns[i].fn == NULL) {
            spawns[i] = (struct spawned){fn, arg, i};
            live[i] = tasklet_spawn(trampoline, &spawns[i]);
            if (live[i] == NULL) {
                spawns[i].fn = NULL;
                flunk(S_PROTOCOL, "tasklet_spawn failed in the test");
            }
            return;
        }
    }
    flunk(S_PROTOCOL, "the test spawns too many tasklets");
}

/* The section a failure of the current scenario points to. */
static const char *section;

/* ---- clients ---- */

struct client {
    char name[32]; /* for messages: its nick, or a label */
    int fd;
    char buf[8192]; /* received, not yet taken as lines */
    size_t len;
    bool eof;
    bool drained;   /* its drain tasklet has ended */
};

static int64_t read_limit(void)
{
    const char *s = getenv("HARNESS_TIMEOUT");
    int t = s ? atoi(s) : 0;
    if (t <= 0)
        t = 10;
    return (int64_t)t * 1000 * 1000 * 1000 / 2;
}

static void client_init(struct client *c, const char *name)
{
    *c = (struct client){.fd = -1};
    snprintf(c->name, sizeof c->name, "%s", name);
}

/* Connects, without reading the welcome. */
static bool cl_connect(struct client *c, int rcvbuf)
{
    c->fd = sock_socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) {
        flunk(section, "client %s: sock_socket: errno %s", c->name,
             err_name(errno));
        return false;
    }
    if (rcvbuf > 0)
        sock_setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
                        sizeof rcvbuf);
    if (sock_connect(c->fd, (struct sockaddr *)&host.addr,
                     sizeof host.addr) < 0) {
        flunk(section, "client %s: connecting to the server: errno %s",
             c->name, err_name(errno));
        return false;
    }
    return true;
}

static void cl_close(struct client *c)
{
    if (c->fd >= 0)
        sock_close(c->fd);
    c->fd = -1;
}

static bool cl_send_raw(struct client *c, const void *data, size_t n)
{
    if (F.failed)
        return false;
    ssize_t sent = sock_send(c->fd, data, n, MSG_NOSIGNAL);
    if (sent != (ssize_t)n) {
        flunk(section, "client %s: sending %zu bytes: sent %zd, errno %s",
             c->name, n, sent, err_name(errno));
        return false;
    }
    return true;
}

static bool cl_send(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool cl_send(struct client *c, const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return cl_send_raw(c, text, (size_t)n);
}

/* Shows a received line in a message: bytes outside ASCII's printable
 * range as \xNN, and long lines cut. */
static const char *shown(const char *line, size_t len)
{
    static char bufs[2][300];
    static int next;
    char *b = bufs[next++ % 2];
    size_t k = 0;
    for (size_t i = 0; i < len && k < sizeof bufs[0] - 8; i++) {
        unsigned char ch = (unsigned char)line[i];
        if (ch >= 32 && ch < 127)
            b[k++] = (char)ch;
        else
            k += (size_t)snprintf(b + k, 8, "\\x%02x", ch);
    }
    if (k >= sizeof bufs[0] - 8)
        k += (size_t)snprintf(b + k, 8, "...");
    b[k] = '\0';
    return b;
}

/* The next line the server sent c: 1 with the line (NUL-terminated, LF
 * removed) and its length; 0 at the end of the stream (then *len holds
 * the bytes of a last line without LF, if any); -1 after a failure or an
 * error (errno; ECONNRESET is left to the caller, other errors fail). */
static int cl_next(struct client *c, char *line, size_t size, size_t *len,
                   const char *waiting_for)
{
    for (;;) {
        char *lf = memchr(c->buf, '\n', c->len);
        if (lf != NULL) {
            size_t n = (size_t)(lf - c->buf);
            if (n >= size) {
                flunk(section, "client %s: a line of %zu bytes, longer than "
                              "any the protocol sends: %s",
                     c->name, n, shown(c->buf, n));
                return -1;
            }
            memcpy(line, c->buf, n);
            line[n] = '\0';
            *len = n;
            memmove(c->buf, lf + 1, c->len - n - 1);
            c->len -= n + 1;
            return 1;
        }
        if (c->len == sizeof c->buf) {
            flunk(section, "client %s: a line longer than %zu bytes: %s",
                 c->name, sizeof c->buf, shown(c->buf, c->len));
            return -1;
        }
        if (c->eof) {
            size_t n = c->len < size - 1 ? c->len : size - 1;
            memcpy(line, c->buf, n);
            line[n] = '\0';
            *len = n;
            c->len = 0;
            return 0;
        }
        if (F.failed)
            return -1;
        struct timer_deadline d;
        timer_deadline_begin(&d, timer_now() + read_limit());
        ssize_t got = sock_recv(c->fd, c->buf + c->len,
                                sizeof c->buf - c->len, 0);
        int err = errno;
        bool expired = timer_deadline_end(&d);
        if (got > 0) {
            c->len += (size_t)got;
            continue;
        }
        if (got == 0) {
            c->eof = true;
            continue;
        }
        if (err == ECANCELED || F.failed)
            return -1; /* another client failed */
        if (err == ETIMEDOUT && expired) {
            flunk(section,
                 "client %s waited %lld s for %s, and nothing came (the "
                 "server is stuck, or did not answer)",
                 c->name, (long long)(read_limit() / 1000000000),
                 waiting_for);
            return -1;
        }
        errno = err;
        if (err != ECONNRESET)
            flunk(section, "client %s: waiting for %s: recv failed with "
                          "errno %s",
                 c->name, waiting_for, err_name(err));
        return -1;
    }
}

/* The next line must be want. */
static bool cl_expect(struct client *c, const char *want)
{
    char line[4096];
    size_t len;
    char what[600];
    snprintf(what, sizeof what, "\"%s\"", want);
    int r = cl_next(c, line, sizeof line, &len, what);
    if (r < 0) {
        if (errno == ECONNRESET)
            flunk(section, "client %s: waiting for \"%s\", the connection "
                          "was reset (ECONNRESET)",
                 c->name, want);
        return false;
    }
    if (r == 0) {
        flunk(section, "client %s: expected \"%s\", but the server closed "
                      "the connection%s%s",
             c->name, want, len ? " after a partial line: " : "",
             len ? shown(line, len) : "");
        return false;
    }
    if (strlen(want) != len || memcmp(line, want, len) != 0) {
        flunk(section, "client %s: expected the line \"%s\", got \"%s\"",
             c->name, want, shown(line, len));
        return false;
    }
    return true;
}

/* The server must close: no more lines, then the end of the stream. */
static bool cl_expect_end(struct client *c)
{
    char line[4096];
    size_t len;
    int r = cl_next(c, line, sizeof line, &len, "the end of the connection");
    if (r < 0 && errno == ECONNRESET)
        return true;
    if (r < 0)
        return false;
    if (r == 1 || len > 0) {
        flunk(section, "client %s: expected the server to close the "
                      "connection, got %s\"%s\"",
             c->name, r == 1 ? "the line " : "the partial line ",
             shown(line, len));
        return false;
    }
    return true;
}

/* Connects and expects the welcome. */
static bool cl_open(struct client *c, const char *name)
{
    client_init(c, name);
    return cl_connect(c, 0) && cl_expect(c, WELCOME);
}

/* Connects and joins as c->name. */
static bool cl_join(struct client *c, const char *name)
{
    char want[64];
    snprintf(want, sizeof want, "* you are %s", name);
    return cl_open(c, name) && cl_send(c, "%s\n", name) &&
           cl_expect(c, want);
}

/* Joins n clients in turn; everyone already in sees each join. */
static bool join_all(struct client *cs, const char *const *names, int n)
{
    char want[64];
    for (int i = 0; i < n; i++) {
        if (!cl_join(&cs[i], names[i]))
            return false;
        snprintf(want, sizeof want, "* %s joined", names[i]);
        for (int j = 0; j < i; j++)
            if (!cl_expect(&cs[j], want))
                return false;
    }
    return true;
}

static bool cl_quit(struct client *c)
{
    return cl_send(c, "/quit\n") && cl_expect(c, "* bye") &&
           cl_expect_end(c);
}

/* ---- running a scenario ---- */

/* Runs script against a server of kind k, stops the server, then runs
 * after (if any) to look at what the clients see once it has gone. */
static void scenario_then(enum kind k, const char *sect,
                          void (*script)(void *), void (*after)(void *),
                          size_t queue_max, int sndbuf)
{
    section = sect;
    signal(SIGPIPE, SIG_IGN);
    host_start(k, queue_max, sndbuf);
    go(script, NULL);
    errno = 0;
    int rc = tasklet_run();
    int err = errno;
    char why[1024] = "";
    int bad = host_stop(why, sizeof why);
    if (after != NULL && !F.failed && rc == 0) {
        go(after, NULL);
        rc = tasklet_run();
        err = errno;
    }
    /* A server that died says why first: the clients only saw the end. */
    check(!F.failed || !bad, server_section(k), "with %s: %s\n  (so: %s)",
          kind_name(k), why, F.msg);
    check(!F.failed, F.section, "with %s: %s", kind_name(k), F.msg);
    check(rc == 0, sect,
          "with %s: the test's clients deadlocked (tasklet_run returned %d, "
          "errno %s)",
          kind_name(k), rc, err_name(err));
    check(!bad, sect, "with %s: after the clients were done, %s",
          kind_name(k), why);
}

static void scenario(enum kind k, const char *sect, void (*script)(void *),
                     size_t queue_max, int sndbuf)
{
    scenario_then(k, sect, script, NULL, queue_max, sndbuf);
}

/* ---- many clients ---- */

enum { MANY = 50, MESSAGES = 10 };

static struct {
    struct client c[MANY];
    int joined;
    chan *all_in;
} many;

static void many_client(void *arg)
{
    int me = (int)(intptr_t)arg;
    struct client *c = &many.c[me];
    char name[16];
    snprintf(name, sizeof name, "c%02d", me);
    if (!cl_join(c, name))
        return;
    /* Everyone joins before anyone speaks, so everyone hears everything. */
    if (++many.joined < MANY) {
        if (chan_receive(many.all_in, NULL) < 0)
            return;
    } else {
        while (chan_balance(many.all_in) < 0)
            chan_send(many.all_in, NULL);
    }
    for (int k = 0; k < MESSAGES; k++)
        if (!cl_send(c, "message %d from %s\n", k, name))
            return;

    int next[MANY] = {0}, got = 0;
    char line[4096];
    size_t len;
    while (got < (MANY - 1) * MESSAGES) {
        int r = cl_next(c, line, sizeof line, &len, "the others' messages");
        if (r <= 0) {
            if (r == 0 || errno == ECONNRESET)
                flunk(section, "client %s: the server closed the connection "
                              "after %d of the %d messages from the others",
                     name, got, (MANY - 1) * MESSAGES);
            return;
        }
        int from, k, from2;
        char tail;
        if (sscanf(line, "<c%d> message %d from c%d%c", &from, &k, &from2,
                   &tail) == 3 &&
            from == from2 && from >= 0 && from < MANY && from != me) {
            if (k != next[from]) {
                flunk(S_BROADCAST, "client %s: from c%02d, expected message "
                                  "%d next (each sender's messages arrive "
                                  "in the order sent), got \"%s\"",
                     name, from, next[from], line);
                return;
            }
            next[from]++;
            got++;
            continue;
        }
        if (sscanf(line, "* c%d joined%c", &from, &tail) == 1 ||
            sscanf(line, "* c%d left%c", &from, &tail) == 1)
            continue; /* someone joined after us, or is done already */
        flunk(section, "client %s: an unexpected line, \"%s\"", name,
             shown(line, len));
        return;
    }
    if (!cl_send(c, "/quit\n"))
        return;
    for (;;) { /* only the others leaving, then our bye */
        int r = cl_next(c, line, sizeof line, &len, "\"* bye\"");
        if (r < 0)
            return;
        if (r == 0) {
            flunk(section, "client %s: after /quit, the connection ended "
                          "without \"* bye\"",
                 name);
            return;
        }
        int from;
        char tail;
        if (sscanf(line, "* c%d left%c", &from, &tail) == 1)
            continue;
        if (strcmp(line, "* bye") != 0) {
            flunk(section, "client %s: after /quit, expected \"* bye\", got "
                          "\"%s\"",
                 name, shown(line, len));
            return;
        }
        break;
    }
    cl_expect_end(c);
    cl_close(c);
}

static void many_script(void *arg)
{
    (void)arg;
    many.all_in = chan_create();
    chan_set_preference(many.all_in, 1);
    for (int i = 0; i < MANY; i++) {
        client_init(&many.c[i], "");
        go(many_client, (void *)(intptr_t)i);
    }
}

static void many_clients(enum kind k)
{
    scenario(k, server_section(k), many_script, 0, 0);
    chan_destroy(many.all_in);
}

static void test_tasklets_many_clients(void **state)
{
    (void)state;
    many_clients(TASKLETS);
}

static void test_reactor_many_clients(void **state)
{
    (void)state;
    many_clients(REACTOR);
}

/* ---- /who ---- */

static void who_script(void *arg)
{
    (void)arg;
    static const char *const names[] = {"ann", "bob", "cy", "dee", "eve"};
    struct client cs[5], fay;
    if (!join_all(cs, names, 5))
        goto out;
    if (!cl_send(&cs[1], "/who\n") ||
        !cl_expect(&cs[1], "* online (5): ann bob cy dee eve"))
        goto out;
    if (!cl_quit(&cs[4]))
        goto out;
    for (int i = 0; i < 4; i++)
        if (!cl_expect(&cs[i], "* eve left"))
            goto out;
    if (!cl_send(&cs[0], "/who extra words\n") ||
        !cl_expect(&cs[0], "* online (4): ann bob cy dee"))
        goto out;
    if (!cl_open(&fay, "fay") || !cl_send(&fay, "/who\n") ||
        !cl_expect(&fay, "error: choose a nick first") ||
        !cl_send(&fay, "/nick fay\n") || !cl_expect(&fay, "* you are fay"))
        goto out;
    for (int i = 0; i < 4; i++)
        if (!cl_expect(&cs[i], "* fay joined"))
            goto out;
    if (!cl_send(&fay, "/who\n") ||
        !cl_expect(&fay, "* online (5): ann bob cy dee fay"))
        goto out;
    cl_quit(&fay);
out:
    for (int i = 0; i < 5; i++)
        cl_close(&cs[i]);
    cl_close(&fay);
}

static void test_tasklets_who(void **state)
{
    (void)state;
    scenario(TASKLETS, S_PROTOCOL, who_script, 0, 0);
}

static void test_reactor_who(void **state)
{
    (void)state;
    scenario(REACTOR, S_PROTOCOL, who_script, 0, 0);
}

/* ---- nicks ---- */

static void nick_script(void *arg)
{
    (void)arg;
    static const char *const names[] = {"alice", "bob"};
    struct client cs[2], nu;
    struct client *alice = &cs[0], *bob = &cs[1];
    client_init(&nu, "newcomer");
    if (!join_all(cs, names, 2))
        goto out;
    static const struct {
        const char *line, *answer;
    } refused[] = {
        {"/nick alice\n", TAKEN},
        {"/nick ALICE\n", TAKEN}, /* nicks ignore case */
        {"/nick bad nick\n", BAD_NICK},
        {"/nick\n", BAD_NICK},
        {"/nick 12345678901234567\n", BAD_NICK}, /* 17 bytes */
        {"/nick caf\xc3\xa9\n", BAD_NICK},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (!cl_send(bob, "%s", refused[i].line) ||
            !cl_expect(bob, refused[i].answer))
            goto out;
    /* Alice heard none of it: her next line is the rename. */
    if (!cl_send(bob, "/nick Bob\n") || !cl_expect(bob, "* you are Bob") ||
        !cl_expect(alice, "* bob is now Bob") ||
        !cl_send(bob, "/nick  carol  \n") ||
        !cl_expect(bob, "* you are carol") ||
        !cl_expect(alice, "* Bob is now carol"))
        goto out;
    snprintf(bob->name, sizeof bob->name, "carol");
    if (!cl_send(bob, "hi\n") || !cl_expect(alice, "<carol> hi"))
        goto out;
    /* A newcomer: alice is taken, bob is free again. */
    if (!cl_connect(&nu, 0) || !cl_expect(&nu, WELCOME) ||
        !cl_send(&nu, "Alice\n") || !cl_expect(&nu, TAKEN) ||
        !cl_send(&nu, "\n") || !cl_expect(&nu, BAD_NICK) ||
        !cl_send(&nu, "b o b\n") || !cl_expect(&nu, BAD_NICK) ||
        !cl_send(&nu, "bob\n") || !cl_expect(&nu, "* you are bob") ||
        !cl_expect(alice, "* bob joined") || !cl_expect(bob, "* bob joined"))
        goto out;
    if (!cl_send(alice, "/nick carol\n") || !cl_expect(alice, TAKEN) ||
        !cl_send(alice, "/who\n") ||
        !cl_expect(alice, "* online (3): alice carol bob"))
        goto out;
    if (cl_quit(&nu) && cl_expect(alice, "* bob left") &&
        cl_expect(bob, "* bob left") && cl_quit(bob) &&
        cl_expect(alice, "* carol left"))
        cl_quit(alice);
out:
    cl_close(alice);
    cl_close(bob);
    cl_close(&nu);
}

static void test_tasklets_nick_change_and_collision(void **state)
{
    (void)state;
    scenario(TASKLETS, S_PROTOCOL, nick_script, 0, 0);
}

static void test_reactor_nick_change_and_collision(void **state)
{
    (void)state;
    scenario(REACTOR, S_PROTOCOL, nick_script, 0, 0);
}

/* ---- the slow reader ---- */

enum {
    SLOW_QUEUE = CHAT_QUEUE_MIN, /* the server's queue bound, bytes */
    SLOW_BUF = 4096,             /* SO_SNDBUF and SO_RCVBUF asked for */
    SLOW_LIMIT = 2000,           /* messages before the test gives up */
    SLOW_AFTER = 20,             /* messages after the drop */
    PAD = 100,
};

static void slow_script(void *arg)
{
    (void)arg;
    struct client fast[2], sender, slow;
    const char *fast_names[] = {"fast1", "fast2"};
    char pad[PAD + 1];
    memset(pad, '.', PAD);
    pad[PAD] = '\0';
    client_init(&slow, "slow");
    if (!join_all(fast, fast_names, 2) || !cl_join(&sender, "sender") ||
        !cl_expect(&fast[0], "* sender joined") ||
        !cl_expect(&fast[1], "* sender joined"))
        goto out;
    /* The slow client reads the welcome and its join, then never again. */
    if (!cl_connect(&slow, SLOW_BUF) || !cl_expect(&slow, WELCOME) ||
        !cl_send(&slow, "slow\n") || !cl_expect(&slow, "* you are slow"))
        goto out;
    for (int i = 0; i < 2; i++)
        if (!cl_expect(&fast[i], "* slow joined"))
            goto out;
    if (!cl_expect(&sender, "* slow joined"))
        goto out;

    /* Lockstep: each message must reach both fast clients before the next
     * is sent. A server that waited for the slow client would stall here,
     * and the read would give up with the message it waited for. */
    int dropped_at = -1, k;
    char want[256], line[4096];
    size_t len;
    for (k = 0; dropped_at < 0 || k < dropped_at + SLOW_AFTER; k++) {
        if (k == SLOW_LIMIT) {
            flunk(S_SLOW,
                 "%d messages of about %d bytes went to a client that reads "
                 "nothing (with a queue bound of %d bytes), and it was "
                 "never dropped: is the queue bounded, and does a push "
                 "that does not fit drop the client?",
                 SLOW_LIMIT, (int)strlen(pad) + 20, SLOW_QUEUE);
            goto out;
        }
        if (!cl_send(&sender, "m %d %s\n", k, pad))
            goto out;
        snprintf(want, sizeof want, "<sender> m %d %s", k, pad);
        char what[300];
        snprintf(what, sizeof what, "\"<sender> m %d ...\" (each message "
                 "must reach the fast clients before the next is sent)", k);
        for (int i = 0; i < 2; i++) {
            int r = cl_next(&fast[i], line, sizeof line, &len, what);
            if (r <= 0) {
                if (r == 0 || errno == ECONNRESET)
                    flunk(S_SLOW, "client %s: the server closed the "
                                 "connection while the slow client was "
                                 "being dropped",
                         fast[i].name);
                goto out;
            }
            if (strcmp(line, "* slow dropped (output queue full)") == 0) {
                if (i == 0 && dropped_at < 0)
                    dropped_at = k;
                else if (dropped_at < 0 || dropped_at != k) {
                    flunk(S_SLOW, "client %s saw the drop at message %d, "
                                 "%s at message %d",
                         fast[i].name, k, fast[0].name, dropped_at);
                    goto out;
                }
                if (!cl_expect(&fast[i], want))
                    goto out;
            } else if (strcmp(line, want) != 0) {
                flunk(S_SLOW, "client %s: expected \"%s\" (message %d), got "
                             "\"%s\"",
                     fast[i].name, want, k, shown(line, len));
                goto out;
            }
        }
    }
    if (!cl_expect(&sender, "* slow dropped (output queue full)"))
        goto out;
    /* The slow client's queue had to fill before it overflowed: the fast
     * clients got every message meanwhile. */
    int queued_before = SLOW_QUEUE / (PAD + 20);
    if (dropped_at < queued_before) {
        flunk(S_SLOW, "the slow client was dropped at message %d; with a "
                     "queue of %d bytes, messages of about %d bytes and the "
                     "socket's own buffers, it should have taken at least "
                     "%d (is a client dropped before its queue is full?)",
             dropped_at, SLOW_QUEUE, PAD + 20, queued_before);
        goto out;
    }

    /* Now the slow client reads: the first messages in order, perhaps a
     * cut one and the farewell, then the end. Never all of them. */
    int got = 0;
    for (;;) {
        int r = cl_next(&slow, line, sizeof line, &len,
                        "what was sent before the drop");
        if (r < 0) {
            if (errno == ECONNRESET)
                break; /* the rest was thrown away: allowed */
            goto out;
        }
        snprintf(want, sizeof want, "<sender> m %d %s", got, pad);
        if (r == 0) { /* the end; a last line cut short may precede it */
            if (len > 0 && (len >= strlen(want) ||
                            memcmp(line, want, len) != 0)) {
                flunk(S_SLOW, "client slow: the last bytes before the end "
                             "are \"%s\", which is not the start of \"%s\"",
                     shown(line, len), want);
                goto out;
            }
            break;
        }
        if (strcmp(line, want) == 0) {
            got++;
            continue;
        }
        if (strcmp(line, FAREWELL) == 0 ||
            (len < strlen(want) && memcmp(line, want, len) == 0)) {
            /* A message cut short, then the farewell on its own line. */
            if (strcmp(line, FAREWELL) != 0 && !cl_expect(&slow, FAREWELL))
                goto out;
            if (!cl_expect_end(&slow))
                goto out;
            break;
        }
        flunk(S_SLOW, "client slow: expected \"%s\" (what the server queued "
                     "before dropping it comes in order), got \"%s\"",
             want, shown(line, len));
        goto out;
    }
    if (got >= k) {
        flunk(S_SLOW, "client slow received all %d messages, though it was "
                     "dropped at message %d",
             got, dropped_at);
        goto out;
    }
    if (!cl_quit(&fast[0]) || !cl_expect(&fast[1], "* fast1 left") ||
        !cl_expect(&sender, "* fast1 left") || !cl_quit(&fast[1]) ||
        !cl_expect(&sender, "* fast2 left"))
        goto out;
    cl_quit(&sender);
out:
    cl_close(&fast[0]);
    cl_close(&fast[1]);
    cl_close(&sender);
    cl_close(&slow);
}

static void test_tasklets_slow_reader_is_dropped(void **state)
{
    (void)state;
    scenario(TASKLETS, S_SLOW, slow_script, SLOW_QUEUE, SLOW_BUF);
}

static void test_reactor_slow_reader_is_dropped(void **state)
{
    (void)state;
    scenario(REACTOR, S_SLOW, slow_script, SLOW_QUEUE, SLOW_BUF);
}

/* ---- disconnecting in the middle of a line ---- */

static void midline_script(void *arg)
{
    (void)arg;
    static const char *const names[] = {"alice", "bob", "dave"};
    struct client cs[3], eve, carol;
    struct client *alice = &cs[0], *bob = &cs[1], *dave = &cs[2];
    client_init(&eve, "eve");
    client_init(&carol, "carol");
    if (!join_all(cs, names, 3))
        goto out;
    /* bob closes in the middle of a line: the part is never said. */
    if (!cl_send(bob, "half a li"))
        goto out;
    cl_close(bob);
    if (!cl_expect(alice, "* bob left") || !cl_expect(dave, "* bob left"))
        goto out;
    /* dave resets the connection in the middle of a line. */
    if (!cl_send(dave, "also half"))
        goto out;
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    sock_setsockopt(dave->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    cl_close(dave);
    if (!cl_expect(alice, "* dave left"))
        goto out;
    /* eve goes before her nick is complete: she never joined. */
    if (!cl_connect(&eve, 0) || !cl_expect(&eve, WELCOME) ||
        !cl_send(&eve, "ev"))
        goto out;
    cl_close(&eve);
    if (!cl_join(&carol, "eve") || !cl_expect(alice, "* eve joined") ||
        !cl_send(&carol, "hello\n") || !cl_expect(alice, "<eve> hello") ||
        !cl_send(alice, "/who\n") ||
        !cl_expect(alice, "* online (2): alice eve"))
        goto out;
    if (cl_quit(&carol) && cl_expect(alice, "* eve left"))
        cl_quit(alice);
out:
    for (int i = 0; i < 3; i++)
        cl_close(&cs[i]);
    cl_close(&eve);
    cl_close(&carol);
}

static void test_tasklets_disconnect_mid_line(void **state)
{
    (void)state;
    scenario(TASKLETS, S_BLOCKING, midline_script, 0, 0);
}

static void test_reactor_disconnect_mid_line(void **state)
{
    (void)state;
    scenario(REACTOR, S_CALLBACK, midline_script, 0, 0);
}

/* ---- lines too long ---- */

static void overlong_script(void *arg)
{
    (void)arg;
    static const char *const names[] = {"alice", "bob"};
    struct client cs[2], nu;
    struct client *alice = &cs[0], *bob = &cs[1];
    static char big[100 * 1000];
    char want[700];
    client_init(&nu, "newcomer");
    if (!join_all(cs, names, 2))
        goto out;
    memset(big, 'x', 600);
    big[600] = '\n';
    if (!cl_send_raw(alice, big, 601) || !cl_expect(alice, TOO_LONG) ||
        !cl_send(alice, "ok\n") || !cl_expect(bob, "<alice> ok"))
        goto out;
    /* Exactly the limit is fine, with LF or CR LF. */
    memset(big, 'y', 512);
    big[512] = '\n';
    snprintf(want, sizeof want, "<alice> %.*s", 512, big);
    if (!cl_send_raw(alice, big, 513) || !cl_expect(bob, want))
        goto out;
    memcpy(big + 512, "\r\n", 2);
    if (!cl_send_raw(alice, big, 514) || !cl_expect(bob, want))
        goto out;
    memset(big, 'w', 513);
    memcpy(big + 513, "\r\n", 2);
    if (!cl_send_raw(alice, big, 515) || !cl_expect(alice, TOO_LONG))
        goto out;
    /* The error comes as soon as the limit is passed, before the LF. */
    if (!cl_send_raw(alice, big, 513) || !cl_expect(alice, TOO_LONG) ||
        !cl_send_raw(alice, big, 400) || !cl_send(alice, "\n/who\n") ||
        !cl_expect(alice, "* online (2): alice bob"))
        goto out;
    /* 100,000 bytes in pieces: one error, and the line is gone. */
    memset(big, 'v', sizeof big);
    for (size_t off = 0; off < sizeof big; off += 7000) {
        size_t n = sizeof big - off < 7000 ? sizeof big - off : 7000;
        if (!cl_send_raw(alice, big + off, n))
            goto out;
    }
    if (!cl_send(alice, "\nafter\n") || !cl_expect(alice, TOO_LONG) ||
        !cl_expect(bob, "<alice> after") || !cl_send(alice, "/who\n") ||
        !cl_expect(alice, "* online (2): alice bob"))
        goto out;
    /* Before choosing a nick, too. */
    memset(big, 'n', 1000);
    big[1000] = '\n';
    if (!cl_open(&nu, "carol") || !cl_send_raw(&nu, big, 1001) ||
        !cl_expect(&nu, TOO_LONG) || !cl_send(&nu, "carol\n") ||
        !cl_expect(&nu, "* you are carol") ||
        !cl_expect(alice, "* carol joined") ||
        !cl_expect(bob, "* carol joined"))
        goto out;
    if (cl_quit(&nu) && cl_expect(alice, "* carol left") &&
        cl_expect(bob, "* carol left") && cl_quit(bob) &&
        cl_expect(alice, "* bob left"))
        cl_quit(alice);
out:
    cl_close(alice);
    cl_close(bob);
    cl_close(&nu);
}

static void test_tasklets_overlong_lines(void **state)
{
    (void)state;
    scenario(TASKLETS, S_PROTOCOL, overlong_script, 0, 0);
}

static void test_reactor_overlong_lines(void **state)
{
    (void)state;
    scenario(REACTOR, S_PROTOCOL, overlong_script, 0, 0);
}

/* ---- /quit ---- */

static void quit_script(void *arg)
{
    (void)arg;
    static const char *const names[] = {"alice", "bob", "carol"};
    struct client cs[3], dan;
    struct client *alice = &cs[0], *bob = &cs[1], *carol = &cs[2];
    client_init(&dan, "dan");
    if (!join_all(cs, names, 3))
        goto out;
    if (!cl_quit(bob) || !cl_expect(alice, "* bob left") ||
        !cl_expect(carol, "* bob left"))
        goto out;
    /* Lines after /quit, in the same packet, are never acted on. */
    if (!cl_send(carol, "/quit\nnever said\n/nick zed\n") ||
        !cl_expect(carol, "* bye") || !cl_expect_end(carol) ||
        !cl_expect(alice, "* carol left"))
        goto out;
    /* /quit before a nick: nobody is told. */
    if (!cl_open(&dan, "dan") || !cl_quit(&dan))
        goto out;
    if (!cl_send(alice, "/who\n") || !cl_expect(alice, "* online (1): alice"))
        goto out;
    /* Unknown commands, and a message that starts with a slash. */
    if (!cl_send(alice, "/shout hey\n") ||
        !cl_expect(alice, "error: unknown command /shout") ||
        !cl_send(alice, "/quitting\n") ||
        !cl_expect(alice, "error: unknown command /quitting"))
        goto out;
    cl_quit(alice);
out:
    for (int i = 0; i < 3; i++)
        cl_close(&cs[i]);
    cl_close(&dan);
}

static void test_tasklets_quit(void **state)
{
    (void)state;
    scenario(TASKLETS, S_PROTOCOL, quit_script, 0, 0);
}

static void test_reactor_quit(void **state)
{
    (void)state;
    scenario(REACTOR, S_PROTOCOL, quit_script, 0, 0);
}

/* ---- random bytes ---- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Reads and throws away everything, so that a client that sends garbage
 * never becomes a slow reader too. Ends at the end of the stream. */
static chan *drained;

static void drain(void *arg)
{
    struct client *c = arg;
    char sink[4096];
    while (!F.failed && sock_recv(c->fd, sink, sizeof sink, 0) > 0)
        ;
    c->drained = true;
    if (chan_balance(drained) < 0)
        chan_send(drained, NULL);
}

/* Waits until c's drain has ended: the server closed c. */
static void wait_drained(struct client *c)
{
    while (!c->drained)
        if (chan_receive(drained, NULL) < 0)
            return;
}

/* Sends n random bytes (no '/', so no command) in random pieces. */
static bool send_garbage(struct client *c, size_t n)
{
    char piece[512];
    while (n > 0) {
        size_t k = 1 + next_random() % sizeof piece;
        if (k > n)
            k = n;
        for (size_t i = 0; i < k; i++) {
            piece[i] = (char)(next_random() >> 24);
            if (piece[i] == '/')
                piece[i] = '\n';
        }
        if (!cl_send_raw(c, piece, k))
            return false;
        n -= k;
        tasklet_yield(); /* let the readers of the test run */
    }
    return true;
}

/* g's garbage, sent while the script reads w. */
static void garbage_from_g(void *arg)
{
    struct client *c = arg;
    if (send_garbage(c, 30000))
        cl_send(c, "\nEND\n");
}

static bool clean_line(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)line[i];
        if ((ch < 32 && ch != '\t') || ch == 127)
            return false;
    }
    return true;
}

static struct client junk, g, w, z;

static void garbage_script(void *arg)
{
    (void)arg;
    char line[4096];
    size_t len;
    client_init(&junk, "junk");
    client_init(&g, "g");
    client_init(&w, "w");
    client_init(&z, "z");
    drained = chan_create();
    chan_set_preference(drained, 1);
    /* Garbage before a nick, alone in the server; then it quits. */
    if (!cl_open(&junk, "junk"))
        goto out;
    go(drain, &junk);
    if (!send_garbage(&junk, 20000) || !cl_send(&junk, "\n/quit\n"))
        goto out;
    wait_drained(&junk); /* at the end of its stream */
    /* Garbage as messages: w must receive only clean lines. */
    if (!cl_join(&w, "w") || !cl_join(&g, "g") || !cl_expect(&w, "* g joined"))
        goto out;
    static const char nul[] = "a\0b\x1b[31mc\x7f\r\x01z\n";
    if (!cl_send_raw(&g, nul, sizeof nul - 1) ||
        !cl_expect(&w, "<g> a?b?[31mc???z"))
        goto out;
    go(drain, &g);
    go(garbage_from_g, &g);
    for (;;) {
        int r = cl_next(&w, line, sizeof line, &len, "\"<g> END\"");
        if (r <= 0) {
            if (r == 0 || errno == ECONNRESET)
                flunk(section, "client w: the server closed the connection "
                              "while g sent garbage");
            goto out;
        }
        if (strcmp(line, FAREWELL) == 0) {
            flunk(S_BROADCAST,
                  "client w, which reads all the time, was dropped while g "
                  "sent its garbage: its queue filled up, so its writer did "
                  "not get to run (a recv that finds data does not park: "
                  "does g's reader let the others run after each one?)");
            goto out;
        }
        if (!clean_line(line, len) || len > 4 + CHAT_LINE_MAX ||
            strncmp(line, "<g> ", 4) != 0) {
            flunk(section, "client w: from g's garbage, expected only lines "
                          "\"<g> text\" with no control bytes and at most "
                          "%d bytes of text, got \"%s\" (%zu bytes)",
                 CHAT_LINE_MAX, shown(line, len), len);
            goto out;
        }
        if (strcmp(line, "<g> END") == 0)
            break;
    }
    /* Still serving. */
    if (!cl_join(&z, "z") || !cl_expect(&w, "* z joined") ||
        !cl_send(&z, "still here\n") || !cl_expect(&w, "<z> still here") ||
        !cl_send(&w, "/who\n") || !cl_expect(&w, "* online (3): w g z"))
        goto out;
    if (!cl_send(&g, "/quit\n") || !cl_expect(&w, "* g left") ||
        !cl_expect(&z, "* g left") || !cl_quit(&z) ||
        !cl_expect(&w, "* z left"))
        goto out;
    cl_quit(&w);
out:
    cl_close(&junk);
    cl_close(&w);
    cl_close(&z);
    /* g's drain ends when the server closes g (or on a failure). */
    if (g.fd >= 0)
        wait_drained(&g);
    cl_close(&g);
    chan_destroy(drained);
}

static void test_tasklets_random_bytes(void **state)
{
    (void)state;
    scenario(TASKLETS, S_PROTOCOL, garbage_script, 0, 0);
}

static void test_reactor_random_bytes(void **state)
{
    (void)state;
    scenario(REACTOR, S_PROTOCOL, garbage_script, 0, 0);
}

/* ---- stopping with everyone still there ---- */

static struct client stop_cs[4];

static void stop_script(void *arg)
{
    (void)arg;
    static const char *const names[] = {"a", "b", "stuck"};
    struct client *cs = stop_cs, *unnamed = &stop_cs[3];
    char pad[401];
    memset(pad, '-', 400);
    pad[400] = '\0';
    if (!join_all(cs, names, 3) || !cl_open(unnamed, "unnamed"))
        goto out;
    /* stuck never reads: its writer ends up parked in a send, with more
     * queued behind (the queue is large here, so it is not dropped). */
    for (int k = 0; k < 400; k++)
        if (!cl_send(&cs[0], "%d %s\n", k, pad))
            goto out;
    char want[500];
    for (int k = 0; k < 400; k++) {
        snprintf(want, sizeof want, "<a> %d %s", k, pad);
        if (!cl_expect(&cs[1], want))
            goto out;
    }
    /* Everyone stays connected while the server stops. */
    return;
out:
    for (int i = 0; i < 4; i++)
        cl_close(&stop_cs[i]);
}

/* Once the server has stopped, every client reads to the end: lines, then
 * perhaps a part of one, then the end of the stream (or a reset). */
static void after_stop(void *arg)
{
    (void)arg;
    char line[4096];
    size_t len;
    for (int i = 0; i < 4; i++) {
        struct client *c = &stop_cs[i];
        int r;
        while ((r = cl_next(c, line, sizeof line, &len,
                            "the end of the connection (the server has "
                            "stopped)")) > 0)
            ;
        if (r < 0 && errno != ECONNRESET)
            break;
        cl_close(c);
    }
}

static void stop_with_clients(enum kind k)
{
    scenario_then(k, server_section(k), stop_script, after_stop,
                  1024 * 1024, 4096);
}

static void test_tasklets_stop_with_clients_connected(void **state)
{
    (void)state;
    stop_with_clients(TASKLETS);
}

static void test_reactor_stop_with_clients_connected(void **state)
{
    (void)state;
    stop_with_clients(REACTOR);
}

HARNESS_TESTS("chapters/08-chat.md",
              cmocka_unit_test(test_tasklets_many_clients),
              cmocka_unit_test(test_reactor_many_clients),
              cmocka_unit_test(test_tasklets_who),
              cmocka_unit_test(test_reactor_who),
              cmocka_unit_test(test_tasklets_nick_change_and_collision),
              cmocka_unit_test(test_reactor_nick_change_and_collision),
              cmocka_unit_test(test_tasklets_slow_reader_is_dropped),
              cmocka_unit_test(test_reactor_slow_reader_is_dropped),
              cmocka_unit_test(test_tasklets_disconnect_mid_line),
              cmocka_unit_test(test_reactor_disconnect_mid_line),
              cmocka_unit_test(test_tasklets_overlong_lines),
              cmocka_unit_test(test_reactor_overlong_lines),
              cmocka_unit_test(test_tasklets_quit),
              cmocka_unit_test(test_reactor_quit),
              cmocka_unit_test(test_tasklets_random_bytes),
              cmocka_unit_test(test_reactor_random_bytes),
              cmocka_unit_test(test_tasklets_stop_with_clients_connected),
              cmocka_unit_test(test_reactor_stop_with_clients_connected))
