/*
 * main.c - the living MUD as a program people play: `make play` builds
 * and runs it (the last step's play/main.c).
 *
 *   mud [--port N] [--world FILE] [--idle SECONDS] [--players DIR]
 *       [--admin NAME]... [--seed N]
 *
 * Characters are kept in DIR, a file each, and come back after a
 * restart. An admin (--admin, any number of times) may type "shutdown".
 * Ctrl-C, SIGTERM or SIGHUP stop the server cleanly: everyone is told,
 * saved and disconnected. It listens on 127.0.0.1 only: a workbook
 * server is not meant to face the internet. Given code; it is not linked
 * into any test.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "living.h"
#include "sock.h"
#include "tasklet.h"
#include "worldfile.h"

#define ADMINS_MAX 16

struct server {
    living *l;
    int fd;
};

static void serve(void *arg)
{
    struct server *s = arg;
    if (living_serve(s->l, s->fd) < 0)
        fprintf(stderr, "mud: %s\n", strerror(errno));
}

static void usage(void)
{
    fprintf(stderr,
            "usage: mud [--port N] [--world FILE] [--idle SECONDS]\n"
            "           [--players DIR] [--admin NAME]... [--seed N]\n");
    exit(2);
}

/* Creates the folders above path's last part (the store creates that
 * one itself): "build/play/players" makes "build" and "build/play". */
static void make_parents(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(buf, 0755); /* EEXIST is fine; other errors show later */
        *p = '/';
    }
}

int main(int argc, char **argv)
{
    int port = 4000;
    const char *path = "steps/09-mud/world.txt";
    const char *players = "build/play/players";
    const char *admins[ADMINS_MAX + 1] = {NULL};
    size_t nadmins = 0;
    long idle = 0;
    uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[++i]);
        else if (strcmp(argv[i], "--world") == 0)
            path = argv[++i];
        else if (strcmp(argv[i], "--idle") == 0)
            idle = atol(argv[++i]);
        else if (strcmp(argv[i], "--players") == 0)
            players = argv[++i];
        else if (strcmp(argv[i], "--admin") == 0 && nadmins < ADMINS_MAX)
            admins[nadmins++] = argv[++i];
        else if (strcmp(argv[i], "--seed") == 0)
            seed = strtoull(argv[++i], NULL, 10);
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
    struct mud_config base = {.world = w};
    /* The kernel would grow a stuck client's send buffer to megabytes
     * before the output queue fills (chapters/09-mud.md, "Limits: the
     * output queue"): hold it to about the queue's size. */
    base.conn.sndbuf = 64 * 1024;
    if (idle > 0)
        base.idle_ns = idle * TIMER_MS(1000);
    struct living_config cfg = {
        .players_dir = players,
        .admins = admins,
        .watch_signals = true,
        .npc = {.seed = seed},
    };
    make_parents(players);
    struct server s = {.l = living_create(&base, &cfg)};
    if (s.l == NULL) {
        fprintf(stderr, "mud: cannot start with players in %s: %s\n",
                players, strerror(errno));
        world_free(w);
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
        living_destroy(s.l);
        world_free(w);
        return 1;
    }
    printf("%s: %zu rooms, listening on 127.0.0.1:%d. Connect with:\n"
           "    telnet localhost %d\n"
           "    tt++   (then: #session mud localhost %d)\n"
           "Characters are kept in %s/.\n",
           w->name, w->nrooms, port, port, port, players);
    if (nadmins > 0) {
        printf("Admins (they may type 'shutdown'):");
        for (size_t i = 0; i < nadmins; i++)
            printf(" %s", admins[i]);
        printf("\n");
    }
    printf("Ctrl-C or SIGTERM stops the server cleanly, saving everyone.\n");
    fflush(stdout);

    tasklet *t = tasklet_spawn(serve, &s);
    if (t == NULL || tasklet_run() < 0) {
        fprintf(stderr, "mud: %s\n", strerror(errno));
        return 1;
    }
    sock_close(s.fd);
    living_destroy(s.l);
    world_free(w);
    printf("Stopped. Every character is saved in %s/.\n", players);
    return 0;
}
