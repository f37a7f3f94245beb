/*
 * mudserver.c - the benchmark's MUD server in a child process, and the
 * helpers for child processes (mudserver.h).
 */
#define _GNU_SOURCE
#include "mudserver.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "conn.h"
#include "living.h"
#include "mud.h"
#include "tasklet.h"

/* ---- the server's process ---- */

static void entered(struct player *p, void *ctx)
{
    (void)p;
    ((volatile struct mudserver_counts *)ctx)->entered++;
}

static void leaving(struct player *p, void *ctx)
{
    volatile struct mudserver_counts *c = ctx;
    c->left++;
    c->dropped += conn_dropped(p->conn);
}

struct serving {
    struct mud *mud;     /* step 09's server, or */
    living *living;      /* step 10's */
    int fd;
};

static void serve(void *arg)
{
    struct serving *s = arg;
    int rc = s->living ? living_serve(s->living, s->fd)
                       : mud_serve(s->mud, s->fd);
    if (rc < 0)
        fprintf(stderr, "mudserver: accept failed: %s\n", strerror(errno));
}

/* The child: serves until it is killed. */
static _Noreturn void run(int listen_fd, struct world *w,
                          const char *players_dir,
                          volatile struct mudserver_counts *counts)
{
    struct mud_config cfg = {
        .world = w, .idle_ns = -1, .crypt_prefix = "$y$", .crypt_cost = 1,
        .conn = {.sndbuf = MUDSERVER_SNDBUF},
        .hooks = {.entered = entered, .leaving = leaving,
                  .ctx = (void *)counts}};
    struct serving s = {.fd = listen_fd};
    if (players_dir) {
        struct living_config lc = {.players_dir = players_dir};
        s.living = living_create(&cfg, &lc);
    } else {
        s.mud = mud_create(&cfg);
    }
    if ((s.mud == NULL && s.living == NULL) ||
        tasklet_spawn(serve, &s) == NULL || tasklet_run() < 0)
        fprintf(stderr, "mudserver: the server failed: %s\n",
                strerror(errno));
    _exit(1);
}

int mudserver_start(struct mudserver *s, struct world *w,
                    const char *players_dir)
{
    *s = (struct mudserver){.pid = -1};
    s->counts = mudserver_shared(sizeof *s->counts);
    if (s->counts == NULL)
        return -1;
    int fd = child_listener(&s->port, SOCK_CLOEXEC);
    if (fd < 0) {
        perror("mudserver: a listening socket on 127.0.0.1");
        mudserver_stop(s);
        return -1;
    }
    s->pid = mudserver_fork();
    if (s->pid == 0)
        run(fd, w, players_dir, s->counts);
    int err = errno;
    close(fd); /* the server's alone: if it dies, connecting fails */
    if (s->pid < 0) {
        errno = err;
        perror("mudserver: fork");
        mudserver_stop(s);
        return -1;
    }
    return 0;
}

void mudserver_stop(struct mudserver *s)
{
    if (s->pid > 0)
        mudserver_reap(s->pid, "server");
    if (s->counts)
        munmap((void *)s->counts, sizeof *s->counts);
    *s = (struct mudserver){.pid = -1};
}

/* ---- child processes ---- */

pid_t mudserver_fork(void)
{
    pid_t pid = child_fork();
    if (pid == 0)
        mudserver_allow_files();
    return pid;
}

void mudserver_reap(pid_t pid, const char *what)
{
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
        fprintf(stderr, "bench_mud: the %s process had ended during the "
                        "run (status 0x%x)\n", what, status);
        return;
    }
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

void *mudserver_shared(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED)
        return p;
    perror("mudserver: mmap");
    return NULL;
}

long mudserver_allow_files(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_max == RLIM_INFINITY ? 1L << 30 : (long)rl.rlim_max;
}
