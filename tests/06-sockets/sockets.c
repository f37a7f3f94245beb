/*
 * sockets.c - the helpers every test file of step 06 shares (sockets.h):
 * errno values by name, calls recorded by the tasklet that made them, the
 * watchdog and the tasklets it knows of, and loopback sockets.
 */
#define _GNU_SOURCE
#include "sockets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "sock.h"
#include "tasklet.h"

/* ---- errno values and calls, in words ---- */

const char *net_err_name(int e)
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

struct net_call net_record(long ret)
{
    return (struct net_call){.done = true, .ret = ret,
                             .err = ret < 0 ? errno : 0};
}

const char *net_describe(struct net_call c)
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
                 net_err_name(c.err));
    return b;
}

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
void net_watch(const char *section)
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
tasklet *go(void (*fn)(void *), void *arg, const char *name)
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
void net_run_all(void)
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
          rc, net_err_name(e));
}

/* ---- sockets on the loopback interface ---- */

/* A listening socket on 127.0.0.1, on a port the kernel picks; addr gets
 * the address to connect to. */
int net_listen(struct sockaddr_in *addr, int backlog)
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
          fd, net_err_name(e));
    errno = 0;
    check(sock_bind(fd, (struct sockaddr *)addr, len) == 0 &&
              sock_listen(fd, backlog) == 0 &&
              getsockname(fd, (struct sockaddr *)addr, &len) == 0,
          S_SOCK, "binding and listening on 127.0.0.1, port 0, failed: %s",
          net_err_name(errno));
    return fd;
}

/* A connected pair, made by the main tasklet itself: *client connected
 * with sock_connect, *server from sock_accept. */
void net_pair(int *client, int *server)
{
    struct sockaddr_in addr;
    int l = net_listen(&addr, 4);
    errno = 0;
    int c = sock_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int e = errno;
    check(c >= 0, S_SOCK,
          "sock_socket(AF_INET, SOCK_STREAM, 0): expected a descriptor, got "
          "%d with errno %s",
          c, net_err_name(e));
    errno = 0;
    int rc = sock_connect(c, (struct sockaddr *)&addr, sizeof addr);
    e = errno;
    check(rc == 0, S_CONNECT,
          "from the main tasklet, sock_connect to a socket listening on "
          "127.0.0.1: expected 0, got %d with errno %s%s",
          rc, net_err_name(e),
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
          s, net_err_name(e));
    sock_close(l);
    *client = c;
    *server = s;
}
