/*
 * main.c - step 09's MUD as a program people play. `make play`
 * (tests/mk/servers.mk) runs the last step's program: step 10's, built
 * on this one, when the tree has it.
 *
 *   mud [--port N] [--world FILE] [--idle SECONDS]
 *
 * It listens on 127.0.0.1 only: a workbook server is not meant to face
 * the internet. Stop it with Ctrl-C (step 10 adds a clean shutdown that
 * saves everyone). Given code; it is not linked into any test.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mud.h"
#include "sock.h"
#include "tasklet.h"
#include "worldfile.h"

struct server {
    struct mud *mud;
    int fd;
};

static void serve(void *arg)
{
    struct server *s = arg;
    if (mud_serve(s->mud, s->fd) < 0)
        fprintf(stderr, "mud: accept failed: %s\n", strerror(errno));
}

static void usage(void)
{
    fprintf(stderr, "usage: mud [--port N] [--world FILE] [--idle SECONDS]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int port = 4000;
    const char *path = "steps/09-mud/world.txt";
    long idle = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[++i]);
        else if (strcmp(argv[i], "--world") == 0)
            path = argv[++i];
        else if (strcmp(argv[i], "--idle") == 0)
            idle = atol(argv[++i]);
        else
            usage();
    }
    if (port <= 0 || port > 65535)
        usage();
    signal(SIGPIPE, SIG_IGN);

    struct worldfile_error err;
    struct world *w = worldfile_load(path, &err);
    if (w == NULL) {
        char msg[512];
        fprintf(stderr, "mud: %s\n", worldfile_message(&err, msg, sizeof msg));
        return 1;
    }
    struct mud_config cfg = {.world = w};
    /* The kernel would grow a stuck client's send buffer to megabytes
     * before the output queue fills (chapters/09-mud.md, "Limits: the
     * output queue"): hold it to about the queue's size. */
    cfg.conn.sndbuf = 64 * 1024;
    if (idle > 0)
        cfg.idle_ns = idle * TIMER_MS(1000);
    struct server s = {.mud = mud_create(&cfg)};
    if (s.mud == NULL) {
        fprintf(stderr, "mud: %s\n", strerror(errno));
        return 1;
    }

    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;
    s.fd = sock_socket(AF_INET, SOCK_STREAM, 0);
    if (s.fd < 0 ||
        setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        sock_bind(s.fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        sock_listen(s.fd, 128) < 0) {
        fprintf(stderr, "mud: cannot listen on 127.0.0.1:%d: %s\n", port,
                strerror(errno));
        return 1;
    }
    printf("%s: %zu rooms, listening on 127.0.0.1:%d. Connect with:\n"
           "    telnet localhost %d\n"
           "    tt++   (then: #session mud localhost %d)\n"
           "Ctrl-C stops the server.\n",
           w->name, w->nrooms, port, port, port);
    fflush(stdout);

    tasklet *t = tasklet_spawn(serve, &s);
    if (t == NULL || tasklet_run() < 0) {
        fprintf(stderr, "mud: %s\n", strerror(errno));
        return 1;
    }
    sock_close(s.fd);
    mud_free(s.mud);
    world_free(w);
    return 0;
}
