/*
 * chatd.c - runs one of the two chat servers by hand, to talk to it with
 * telnet or nc:
 *
 *     chatd [--reactor] [PORT]      (127.0.0.1, port 4321 by default)
 *     telnet localhost 4321         (in other terminals, several times)
 *
 * Without --reactor it runs the blocking server (chat_tasklets.c), with it
 * the callback server (chat_reactor.c). Ctrl-C stops it cleanly: the
 * signal handler only writes a byte into a pipe, and the server stops
 * when that pipe becomes readable, as the tests stop it.
 *
 * `make chat` builds it against the reference solutions and runs it
 * (`make chat PLAY_SRC=steps` runs your own code; CHAT_FLAGS=--reactor
 * the callback server; CHAT_PORT=N another port). It is in a folder of
 * its own so that no test links it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chat.h"
#include "reactor.h"
#include "sock.h"
#include "tasklet.h"

static int stop_pipe[2];

static void on_signal(int sig)
{
    (void)sig;
    ssize_t n = write(stop_pipe[1], "x", 1); /* async-signal-safe */
    (void)n;
}

/* ---- the blocking server: a tasklet serves, another waits to stop it */

static tasklet *server;
static bool served;

static void serve(void *arg)
{
    int fd = *(int *)arg;
    if (chat_tasklets_serve(fd, NULL) < 0)
        perror("chat_tasklets_serve");
    served = true;
}

static void watch(void *arg)
{
    (void)arg;
    char c;
    if (sock_read(stop_pipe[0], &c, 1) >= 0 && !served)
        tasklet_cancel(server);
}

static int run_tasklets(int fd)
{
    server = tasklet_spawn(serve, &fd);
    if (server == NULL || tasklet_spawn(watch, NULL) == NULL)
        return -1;
    return tasklet_run();
}

/* ---- the callback server: the pipe is one more dispatcher ---- */

static chat_reactor *chat;

static void stop(struct dispatcher *d)
{
    chat_reactor_stop(chat);
    dispatcher_close(d);
}

static const struct dispatcher_ops stop_ops = {.handle_read = stop};

static int run_reactor(int fd)
{
    reactor *r = reactor_create(NULL);
    if (r == NULL)
        return -1;
    struct dispatcher stopper = {.fd = stop_pipe[0], .ops = &stop_ops,
                                 .connected = true};
    chat = chat_reactor_start(r, fd, NULL);
    if (chat == NULL || reactor_add(r, &stopper) < 0) {
        reactor_destroy(r);
        return -1;
    }
    int rc = reactor_loop(r, -1, 0);
    reactor_destroy(r);
    return rc < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    bool callbacks = argc > 1 && strcmp(argv[1], "--reactor") == 0;
    int port = argc > 1 + callbacks ? atoi(argv[1 + callbacks]) : 4321;
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || pipe(stop_pipe) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        listen(fd, SOMAXCONN) < 0) {
        perror("chatd: listening on 127.0.0.1");
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    printf("chatd: the %s server on 127.0.0.1:%d; connect with "
           "`telnet localhost %d`; Ctrl-C stops it\n",
           callbacks ? "callback" : "blocking", port, port);
    fflush(stdout);
    int rc = callbacks ? run_reactor(fd) : run_tasklets(fd);
    if (rc < 0)
        perror("chatd");
    close(fd);
    return rc < 0 ? 1 : 0;
}
