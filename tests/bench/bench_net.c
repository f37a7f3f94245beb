/*
 * bench_net.c - echo servers under load: how many round trips per second
 * each one serves, and how long a round trip takes, with 100 and with
 * 10,000 connections open at once.
 *
 * The servers (one process each, started and killed here):
 *
 *   tasklets               a tasklet per connection on step 06's layer
 *                          (sock_accept, sock_recv, sock_send): the
 *                          workbook's blocking style, the one the targets
 *                          are about
 *   install                the same with plain accept/recv/send/close,
 *                          routed to step 06 by step 07's install()
 *   reactor                step 05's callback reactor
 *   pthreads               an OS thread per connection, plain blocking
 *                          sockets (the same per-connection function as
 *                          `install`), 64 KiB thread stacks
 *   go_gomaxprocs1         tests/bench/echo.go, a goroutine per
 *   go_gomaxprocs_default  connection, with GOMAXPROCS=1 (one thread runs
 *                          Go code, as one runs tasklets) and with Go's
 *                          default (the number of CPUs)
 *   gevent                 tests/bench/echo_gevent.py, a greenlet per
 *                          connection
 *
 * (echo_servers.h has the C ones.) The Go and gevent servers are whatever
 * command the environment variables BENCH_NET_GO and BENCH_NET_GEVENT
 * hold; tests/bench/run.sh sets them when Go and gevent are installed.
 * Without them those rows are missing, with a note.
 *
 * How one run goes: this process makes a listening socket on 127.0.0.1
 * with a port the kernel picks, and forks; the child gets the socket as
 * descriptor 3 and becomes the server (a C function above, or exec of the
 * command). The child dies with this process whatever happens
 * (PR_SET_PDEATHSIG), and is killed with SIGKILL after the run. Then the
 * load generator (loadgen.h: one thread, epoll) opens the connections,
 * checks that each one echoes, loops for a warmup of 0.5 s, and counts
 * for 3 s: a closed loop of 64-byte messages, one in flight per
 * connection.
 *
 * The machine may be shared: the load generator also measures the CPU
 * time that everything else used during the run. A run during which
 * others used over 20% of one CPU is repeated with a fresh server, up to
 * 3 runs, and the fastest is kept (as bench.h keeps the best of 5).
 *
 * Rows, for each server S and each N of 100 and 10000:
 *
 *   net_S_N_msgs_per_s      round trips per second, all connections
 *   net_S_N_p50_us          round-trip latency, median and 99th
 *   net_S_N_p99_us          percentile, in microseconds
 *   net_S_N_echoing         connections that made at least one round trip
 *                           in the window: N means the server held them
 *                           all, connected and echoing
 *   net_S_N_server_cpu_pct  CPU time used in the window by the server,
 *   net_S_N_loadgen_cpu_pct by the load generator, and by everything else
 *   net_S_N_others_cpu_pct  (other processes, and the hypervisor's steal),
 *                           in % of one CPU. A one-thread side near 100%
 *                           is the one that set the pace; others well
 *                           above 0 mean the machine was shared, and the
 *                           run measured less than it can do
 *
 * 10,000 connections need more than 10,000 open files in this process
 * and in each server: this program raises its soft RLIMIT_NOFILE to the
 * hard limit (and the hard one too when it may: as root); run.sh raises
 * the hard limit as root. If the limit stays too low, those rows are
 * skipped with a note. A server that cannot hold them all (no more
 * threads, say) gets a note, and its rows count what it did hold.
 *
 * Usage (make bench runs it with no arguments):
 *
 *   bench_net [-d SECONDS] [-s BYTES] [-c N[,N...]] [SERVER...]
 *   bench_net -p PORT [-d SECONDS] [-s BYTES] [-c N[,N...]]
 *
 * The second form loads a server you started yourself on 127.0.0.1:PORT
 * (rows net_external_N_...).
 *
 * Output: `name,value,unit` lines on stdout; notes on stderr. Nothing
 * here judges a number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "child.h"
#include "echo_servers.h"
#include "loadgen.h"

#define SETUP_S 30.0        /* at most this long to open the connections */
#define WARMUP_S 0.5
#define LISTEN_FD 3         /* where a server finds its listening socket */
#define TRIES 3             /* runs at most, when others disturb them */
#define DISTURBED 0.2       /* of one CPU used by others: disturbed */

struct server {
    const char *name;              /* in the row names */
    const char *label;             /* in notes */
    void (*serve)(int);            /* a C server, run in the child; or */
    const char *command_env;       /* the variable holding its command */
    const char *gomaxprocs;        /* GOMAXPROCS for it; NULL: unset */
};

static const struct server servers[] = {
    {"tasklets", "step 06, a tasklet per connection", echo_serve_tasklets,
     NULL, NULL},
    {"install", "step 07, plain POSIX under install()", echo_serve_install,
     NULL, NULL},
    {"reactor", "step 05, callback reactor", echo_serve_reactor, NULL, NULL},
    {"pthreads", "a pthread per connection", echo_serve_pthreads, NULL, NULL},
    {"go_gomaxprocs1", "Go, GOMAXPROCS=1", NULL, "BENCH_NET_GO", "1"},
    {"go_gomaxprocs_default", "Go, default GOMAXPROCS", NULL, "BENCH_NET_GO",
     NULL},
    {"gevent", "Python gevent", NULL, "BENCH_NET_GEVENT", NULL},
};
#define NSERVERS (sizeof servers / sizeof servers[0])

struct options {
    double seconds;
    size_t size;
    int conns[8];
    int nconns;
    int port;                  /* -p: an external server; 0: ours */
    bool run[NSERVERS];        /* which of ours to run */
};

/* ---- the server's process ---- */

/* Forks the server. In the child: the listening socket becomes fd 3,
 * stdout goes to stderr (stdout is for result lines), and the child is
 * killed if this process dies. Returns the child's pid, or -1. */
static pid_t start_server(const struct server *s, const char *command,
                          int listen_fd)
{
    pid_t pid = child_fork();
    if (pid != 0)
        return pid;
    if (listen_fd != LISTEN_FD) {
        dup2(listen_fd, LISTEN_FD);
        close(listen_fd);
    }
    if (s->serve) {
        s->serve(LISTEN_FD); /* never returns */
        _exit(1);
    }

    if (s->gomaxprocs)
        setenv("GOMAXPROCS", s->gomaxprocs, 1);
    else
        unsetenv("GOMAXPROCS");
    /* exec, so that the shell becomes the server: same pid, which is the
     * one this process kills and whose CPU time it reads. */
    char *line = NULL;
    if (asprintf(&line, "exec %s", command) < 0)
        _exit(127);
    execl("/bin/sh", "sh", "-c", line, (char *)NULL);
    perror("bench_net: exec /bin/sh");
    _exit(127);
}

/* Kills the server and waits for it. If it had already ended, says how:
 * its rows then measured a server that died under load. */
static void stop_server(pid_t pid, const char *label, int conns)
{
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
        if (WIFSIGNALED(status))
            fprintf(stderr, "bench_net: the %s server died of signal %d "
                            "during the %d-connection run\n",
                    label, WTERMSIG(status), conns);
        else
            fprintf(stderr, "bench_net: the %s server exited with status "
                            "%d during the %d-connection run\n",
                    label, WEXITSTATUS(status), conns);
        return;
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

/* ---- one run ---- */

static void report(const char *server, int conns, const char *what,
                   double value, const char *unit)
{
    char name[128];
    snprintf(name, sizeof name, "net_%s_%d_%s", server, conns, what);
    bench_report(name, value, unit);
}

/* Says what went wrong while the connections were being opened. */
static void say_setup(const char *label, int conns,
                      const struct loadgen_result *r)
{
    if (r->connected == conns && r->failed == 0)
        return;
    fprintf(stderr, "bench_net: %s, %d connections: %d made their first "
                    "round trip within %.0f s, %d failed (first failure: "
                    "%s)\n",
            label, conns, r->connected, SETUP_S, r->failed,
            r->failed == 0 ? "none"
            : r->first_error ? strerror(r->first_error)
                             : "the server closed it");
}

/* The rows of one run. */
static void report_run(const char *name, int conns,
                       const struct loadgen_result *r)
{
    report(name, conns, "echoing", r->echoing, "conns");
    if (r->messages == 0)
        return;
    report(name, conns, "msgs_per_s", r->msgs_per_s, "msgs/s");
    report(name, conns, "p50_us", r->p50_us, "us");
    report(name, conns, "p99_us", r->p99_us, "us");
    if (r->server_cpu_s >= 0)
        report(name, conns, "server_cpu_pct",
               100 * r->server_cpu_s / r->seconds, "%");
    report(name, conns, "loadgen_cpu_pct", 100 * r->cpu_s / r->seconds, "%");
    if (r->others_cpu_s >= 0)
        report(name, conns, "others_cpu_pct",
               100 * r->others_cpu_s / r->seconds, "%");
}

static struct loadgen_config config(int port, pid_t server, int conns,
                                    const struct options *o)
{
    return (struct loadgen_config){
        .port = port, .conns = conns, .size = o->size, .setup_s = SETUP_S,
        .warmup_s = WARMUP_S, .seconds_s = o->seconds, .server = server,
    };
}

/* One run against a fresh server process. Returns 0 with the result in
 * r, or -1 (said on stderr). */
static int run_once(const struct server *s, const char *command, int conns,
                    const struct options *o, struct loadgen_result *r)
{
    int port;
    int listen_fd = child_listener(&port, 0); /* kept across exec */
    if (listen_fd < 0) {
        fprintf(stderr, "bench_net: no listening socket for %s: %s\n",
                s->label, strerror(errno));
        return -1;
    }
    pid_t pid = start_server(s, command, listen_fd);
    /* Only the server keeps the listening socket: if it dies, connecting
     * fails at once instead of waiting in a backlog no one accepts. */
    close(listen_fd);
    if (pid < 0) {
        fprintf(stderr, "bench_net: fork for %s: %s\n", s->label,
                strerror(errno));
        return -1;
    }
    struct loadgen_config c = config(port, pid, conns, o);
    int ok = loadgen_run(&c, r);
    if (ok < 0)
        fprintf(stderr, "bench_net: the load generator could not run for "
                        "%s, %d connections: %s\n",
                s->label, conns, strerror(errno));
    stop_server(pid, s->label, conns);
    return ok;
}

/* Whether other processes took a good share of the CPUs during the run. */
static bool disturbed(const struct loadgen_result *r)
{
    return r->others_cpu_s > DISTURBED * r->seconds;
}

static int repeated; /* runs repeated because they were disturbed */

/* Runs server s with `conns` connections and reports its rows. A run that
 * others disturbed is repeated, up to TRIES runs, and the fastest kept:
 * the others were slowed by something else, never sped up (bench.h). */
static void run_server(const struct server *s, int conns,
                       const struct options *o)
{
    const char *command = NULL;
    if (s->serve == NULL) {
        command = getenv(s->command_env);
        if (command == NULL || *command == '\0')
            return; /* main said so */
    }
    struct loadgen_result best, r;
    int runs = 0;
    while (runs < TRIES && run_once(s, command, conns, o, &r) == 0) {
        if (runs++ == 0 || r.msgs_per_s > best.msgs_per_s)
            best = r;
        if (!disturbed(&r) || runs == TRIES)
            break;
        repeated++;
    }
    if (runs == 0)
        return;
    say_setup(s->label, conns, &best);
    report_run(s->name, conns, &best);
}

/* ---- limits and options ---- */

/* Makes room for `need` open files: the soft limit up to what is needed,
 * raising the hard limit too if need be (root may). Returns the soft
 * limit in the end. */
static long allow_files(long need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)need) {
        struct rlimit want = rl;
        want.rlim_cur = (rlim_t)need;
        if (want.rlim_max != RLIM_INFINITY && want.rlim_max < want.rlim_cur)
            want.rlim_max = want.rlim_cur;
        if (setrlimit(RLIMIT_NOFILE, &want) < 0) {
            rl.rlim_cur = rl.rlim_max; /* not root: as far as allowed */
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? need : (long)rl.rlim_cur;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_net [-d SECONDS] [-s BYTES] [-c N[,N...]] "
                    "[SERVER...]\n"
                    "       bench_net -p PORT [-d SECONDS] [-s BYTES] "
                    "[-c N[,N...]]\nservers:");
    for (size_t i = 0; i < NSERVERS; i++)
        fprintf(stderr, " %s", servers[i].name);
    fprintf(stderr, "\n");
    exit(2);
}

static void parse(int argc, char **argv, struct options *o)
{
    *o = (struct options){.seconds = 3, .size = 64, .conns = {100, 10000},
                          .nconns = 2};
    int opt;
    while ((opt = getopt(argc, argv, "d:s:c:p:")) != -1) {
        switch (opt) {
        case 'd':
            o->seconds = atof(optarg);
            break;
        case 's':
            o->size = (size_t)atol(optarg);
            break;
        case 'p':
            o->port = atoi(optarg);
            break;
        case 'c':
            o->nconns = 0;
            for (char *p = strtok(optarg, ","); p && o->nconns < 8;
                 p = strtok(NULL, ","))
                o->conns[o->nconns++] = atoi(p);
            break;
        default:
            usage();
        }
    }
    if (o->seconds <= 0 || o->size < 1 || o->nconns == 0)
        usage();
    for (int i = 0; i < o->nconns; i++)
        if (o->conns[i] < 1)
            usage();
    bool some = optind < argc;
    for (size_t i = 0; i < NSERVERS; i++)
        o->run[i] = !some;
    for (int a = optind; a < argc; a++) {
        size_t i = 0;
        while (i < NSERVERS && strcmp(argv[a], servers[i].name) != 0)
            i++;
        if (i == NSERVERS)
            usage();
        o->run[i] = true;
    }
}

int main(int argc, char **argv)
{
    struct options o;
    parse(argc, argv, &o);
    signal(SIGPIPE, SIG_IGN);

    /* The peers that come as commands: say which are missing. */
    for (size_t i = 0; i < NSERVERS && o.port == 0; i++) {
        const struct server *s = &servers[i];
        const char *command = s->command_env ? getenv(s->command_env) : NULL;
        if (o.run[i] && s->serve == NULL &&
            (command == NULL || *command == '\0'))
            fprintf(stderr, "bench_net: skipping %s: %s is not set "
                            "(tests/bench/run.sh sets it when the peer is "
                            "installed)\n",
                    s->label, s->command_env);
    }

    for (int k = 0; k < o.nconns; k++) {
        int conns = o.conns[k];
        long limit = allow_files(conns + 100L);
        if (limit < conns + 100L) {
            fprintf(stderr, "bench_net: skipping the %d-connection runs: "
                            "RLIMIT_NOFILE is %ld and could not be raised to "
                            "%ld (as root: ulimit -Hn %ld)\n",
                    conns, limit, conns + 100L, conns + 100L);
            continue;
        }
        if (o.port > 0) {
            struct loadgen_config c = config(o.port, 0, conns, &o);
            struct loadgen_result r;
            if (loadgen_run(&c, &r) < 0) {
                perror("bench_net: loadgen_run");
                return 1;
            }
            say_setup("the server on the port given", conns, &r);
            report_run("external", conns, &r);
            continue;
        }
        for (size_t i = 0; i < NSERVERS; i++)
            if (o.run[i])
                run_server(&servers[i], conns, &o);
    }
    if (repeated > 0)
        fprintf(stderr, "bench_net: %d runs were repeated (up to %d tries, "
                        "keeping the fastest) because other processes used "
                        "over %.0f%% of a CPU meanwhile; the 'others' column "
                        "shows what remained\n",
                repeated, TRIES, 100 * DISTURBED);
    return 0;
}
