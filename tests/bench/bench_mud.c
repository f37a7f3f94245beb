/*
 * bench_mud.c - the MUD servers of steps 09 and 10 under load, and step
 * 09's under attack: how long a player waits for the answer to a command.
 *
 * The server is step 09's reference solution with the sample world
 * (steps/09-mud/world.txt), in a child process (mudserver.h says how it
 * is set up: default limits, the cheapest password hashes, 64 KiB socket
 * send buffers), on 127.0.0.1. It is stopped after each run; its hooks
 * count the players it dropped because their output queue overflowed.
 *
 * Three runs, each against a fresh server (about 70 s in all):
 *
 *   load   5,000 bots log in as new characters and spread over the
 *          world; 1,000 of them then send one command a second each
 *          (mudbots.h: look, say, moves, inventory, who), the others
 *          only listen. 3 s of warmup, then 15 s counted.
 *   living the same against step 10's server (living.h): every new
 *          character saved to a file as it is made, NPCs that act and
 *          answer, and the world tick autosaving about 17 of the 5,000
 *          each second (each save an fsync, which stops every tasklet).
 *          Its players' files go to a fresh folder in build/bench/ (on
 *          the workbook's disk: /tmp may be a tmpfs, where fsync costs
 *          nothing), removed afterwards. Rows mud_living_*, as load's.
 *   abuse  100 players, each sending one command a second, while 1,000
 *          hostile clients (mudabuse.h, in a third process: 250 each of
 *          slow drip, never reading, random bytes, connect-disconnect
 *          churn) misbehave from before the players log in to the end.
 *          3 s of warmup, then 15 s counted.
 *
 * Rows (latencies: a command's send to its prompt's IAC GA, in ms; the
 * percentiles are of the commands sent in the counted window):
 *
 *   mud_load_bots, _active      bots in the game and at home; of which
 *                               active ones
 *   mud_load_failed             bots that could not log in (see notes)
 *   mud_load_setup_s            how long logging them all in took
 *   mud_load_window_s           the counted window, as measured
 *   mud_load_commands           commands sent in the window
 *   mud_load_p50, _p99, _max    their latency
 *   mud_load_late               commands due while the bot still waited
 *                               for its previous answer (not sent)
 *   mud_load_unanswered         no answer within 2 s of the window's end
 *   mud_load_lost               bot connections that ended during the run
 *   mud_load_server_drops       players the server dropped (output queue)
 *   mud_load_server_cpu_pct     CPU used in the window, % of one CPU: by
 *   mud_load_bots_cpu_pct       the server, the bots, and everything else
 *   mud_load_others_cpu_pct     (other processes, the hypervisor's steal;
 *                               over 20% gets a note: a shared machine)
 *   mud_abuse_players, _failed, _setup_s, _window_s, _commands, _p50,
 *     _p99, _max, _late, _unanswered, _lost, _server_drops,
 *     _server_cpu_pct, _players_cpu_pct, _hostile_cpu_pct,
 *     _others_cpu_pct           the same, for the abuse run
 *   mud_abuse_hostile_clients   hostile clients at once
 *   mud_abuse_hostile_s         how long they ran (setup, warmup, window)
 *   mud_abuse_KIND_conns        connections each kind made in that time
 *   mud_abuse_KIND_ended        of those, how many the server ended
 *
 * 5,000 connections need over 5,000 open files here and in the server:
 * both raise their soft RLIMIT_NOFILE to the hard limit (run.sh raises
 * the hard one as root). If it stays too low, the load run has as many
 * bots as fit, with a note; mud_load_bots says how many.
 *
 * There is no peer: no other MUD is in the workbook to measure beside it.
 *
 * Usage (make bench runs it with no arguments):
 *   bench_mud [-d SECONDS] [-b BOTS] [-a ACTIVE] [-n PLAYERS]
 *             [-x HOSTILE_PER_KIND] [-k KIND,...] [load] [living] [abuse]
 *
 * -k runs only the hostile kinds named (drip, silent, noise, churn): to
 * see which one costs the players what.
 *
 * Output: `name,value,unit` lines on stdout; notes on stderr. Nothing
 * here judges a number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "mudabuse.h"
#include "mudbots.h"
#include "mudserver.h"
#include "world.h"
#include "worldfile.h"

#define WORLD_FILE "steps/09-mud/world.txt"
#define WARMUP_S 3.0
#define SETUP_S 40.0        /* at most this long to log the bots in */
#define BATCH 64            /* bots logging in at once */
#define SPARE_FILES 200     /* beyond the connections, per process */
#define DISTURBED 0.2       /* of one CPU used by others: a shared machine */

struct options {
    double seconds;
    int bots, active, players, hostile;
    unsigned kinds; /* hostile kinds: mudabuse_config's */
    bool load, living, abuse;
};

/* ---- the rows ---- */

static void row(const char *run, const char *what, double v,
                const char *unit)
{
    char name[96];
    snprintf(name, sizeof name, "mud_%s_%s", run, what);
    bench_report(name, v, unit);
}

static void count(const char *run, const char *what, long v)
{
    printf("mud_%s_%s,%ld,count\n", run, what, v);
    fflush(stdout);
}

static void pct(const char *run, const char *what, double cpu_s,
                double seconds)
{
    if (cpu_s >= 0 && seconds > 0)
        row(run, what, 100 * cpu_s / seconds, "%");
}

/* What everyone else used, with a note when it was much: the latencies
 * of such a run are those of a shared machine. */
static void others(const char *run, const struct mudbots_result *r)
{
    pct(run, "others_cpu_pct", r->others_cpu_s, r->seconds);
    if (r->others_cpu_s > DISTURBED * r->seconds)
        fprintf(stderr, "bench_mud: %s run: other processes used %.0f%% of "
                        "a CPU during the window (this machine has %ld): "
                        "its latencies are those of a shared machine\n",
                run, 100 * r->others_cpu_s / r->seconds,
                sysconf(_SC_NPROCESSORS_ONLN));
}

/* The rows both runs have, and notes on what went wrong. */
static void report_players(const char *run, const char *who,
                           const struct mudbots_result *r,
                           const struct mudserver_counts *sc)
{
    count(run, who, r->ready);
    count(run, "failed", r->failed);
    if (r->failed > 0)
        fprintf(stderr, "bench_mud: %s run: %d of the bots could not log "
                        "in; the first: %s\n",
                run, r->failed, r->first_failure);
    row(run, "setup_s", r->setup_s, "s");
    row(run, "window_s", r->seconds, "s");
    count(run, "commands", r->commands);
    if (r->commands > 0) {
        row(run, "p50", r->p50_ms, "ms");
        row(run, "p99", r->p99_ms, "ms");
        row(run, "max", r->max_ms, "ms");
    }
    count(run, "late", r->late);
    count(run, "unanswered", r->unanswered);
    count(run, "lost", r->lost);
    if (r->lost > 0)
        fprintf(stderr, "bench_mud: %s run: %d bot connections ended during "
                        "the run, %d of them told 'Output queue full'\n",
                run, r->lost, r->dropped);
    count(run, "server_drops", sc->dropped);
}

/* ---- the runs ---- */

/* Removes what nftw visits (files first, then their folder). */
static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    remove(path);
    return 0;
}

/* A fresh folder for the living server's players, on the workbook's disk
 * when run from its top (as make bench does); NULL if none can be made. */
static char *players_folder(char *buf, size_t size)
{
    const char *where = access("build/bench", W_OK) == 0 ? "build/bench" : "/tmp";
    snprintf(buf, size, "%s/mudplayers-XXXXXX", where);
    if (mkdtemp(buf) == NULL) {
        fprintf(stderr, "bench_mud: cannot make %s: %s\n", buf, strerror(errno));
        return NULL;
    }
    if (strcmp(where, "/tmp") == 0)
        fprintf(stderr, "bench_mud: the living run keeps its players in %s, "
                        "which may be a tmpfs where fsync costs nothing\n", buf);
    return buf;
}

/* The load run, against step 09's server (run "load") or step 10's
 * ("living", whose players go to a folder made for the run). */
static void run_load(struct world *w, const struct options *o,
                     const char *run)
{
    int bots = o->bots, active = o->active;
    long files = mudserver_allow_files();
    if (files < bots + SPARE_FILES) {
        int fit = (int)(files - SPARE_FILES) / 100 * 100;
        fprintf(stderr, "bench_mud: RLIMIT_NOFILE is %ld: the %s run has "
                        "%d bots instead of %d (as root: ulimit -Hn %d)\n",
                files, run, fit, bots, bots + SPARE_FILES);
        if (fit < 100)
            return;
        active = (int)((long)active * fit / bots);
        bots = fit;
    }
    char folder[4096];
    const char *players = NULL;
    if (strcmp(run, "living") == 0 &&
        (players = players_folder(folder, sizeof folder)) == NULL)
        return;
    struct mudserver server;
    if (mudserver_start(&server, w, players) < 0)
        goto done;
    struct mudbots_config c = {.port = server.port, .world = w,
                               .bots = bots, .active = active,
                               .batch = BATCH, .setup_s = SETUP_S,
                               .letter = 'b', .server = server.pid};
    struct mudbots_result r;
    struct mudbots *b = mudbots_open(&c, &r);
    if (b == NULL) {
        fprintf(stderr, "bench_mud: the %s run's bots: %s\n", run,
                strerror(errno));
        mudserver_stop(&server);
        goto done;
    }
    mudbots_measure(b, WARMUP_S, o->seconds, &r);
    struct mudserver_counts seen = *server.counts;
    mudserver_stop(&server);
    mudbots_close(b);
    report_players(run, "bots", &r, &seen);
    count(run, "active", r.active_ready);
    pct(run, "server_cpu_pct", r.server_cpu_s, r.seconds);
    pct(run, "bots_cpu_pct", r.cpu_s, r.seconds);
    others(run, &r);
done:
    if (players)
        nftw(players, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void report_hostile(const struct options *o,
                           const struct mudabuse_counts *h, double seconds)
{
    int kinds = o->kinds ? __builtin_popcount(o->kinds) : MUDABUSE_KINDS;
    count("abuse", "hostile_clients", (long)o->hostile * kinds);
    row("abuse", "hostile_s", seconds, "s");
    for (int k = 0; k < MUDABUSE_KINDS; k++) {
        char what[32];
        snprintf(what, sizeof what, "%s_conns", mudabuse_kind_name(k));
        count("abuse", what, h->connects[k]);
        snprintf(what, sizeof what, "%s_ended", mudabuse_kind_name(k));
        count("abuse", what, h->ended[k]);
    }
    if (h->failed > 0)
        fprintf(stderr, "bench_mud: abuse run: %ld hostile connects "
                        "failed\n", h->failed);
}

static void run_abuse(struct world *w, const struct options *o)
{
    struct mudserver server;
    struct mudabuse_counts *hc = mudserver_shared(sizeof *hc);
    if (hc == NULL)
        return;
    if (mudserver_start(&server, w, NULL) < 0) {
        munmap(hc, sizeof *hc);
        return;
    }
    struct mudabuse_config ac = {
        .port = server.port, .per_kind = o->hostile, .kinds = o->kinds,
        .max_s = SETUP_S + WARMUP_S + o->seconds + MUDBOTS_GRACE_S + 10};
    int64_t hostile_start = bench_now();
    pid_t hostile = mudserver_fork();
    if (hostile == 0)
        mudabuse_run(&ac, hc);
    struct mudbots_config c = {.port = server.port, .world = w,
                               .bots = o->players, .active = o->players,
                               .batch = BATCH, .setup_s = SETUP_S,
                               .letter = 'p', .server = server.pid,
                               .hostile = hostile};
    struct mudbots_result r;
    struct mudbots *b = mudbots_open(&c, &r);
    int err = errno;
    if (b != NULL)
        mudbots_measure(b, WARMUP_S, o->seconds, &r);
    struct mudabuse_counts hseen = *hc;
    struct mudserver_counts seen = *server.counts;
    double hostile_s = (double)(bench_now() - hostile_start) / 1e9;
    if (hostile > 0)
        mudserver_reap(hostile, "hostile clients'");
    mudserver_stop(&server);
    munmap(hc, sizeof *hc);
    if (b == NULL) {
        fprintf(stderr, "bench_mud: the abuse run's players: %s\n",
                strerror(err));
        return;
    }
    mudbots_close(b);
    report_players("abuse", "players", &r, &seen);
    report_hostile(o, &hseen, hostile_s);
    pct("abuse", "server_cpu_pct", r.server_cpu_s, r.seconds);
    pct("abuse", "players_cpu_pct", r.cpu_s, r.seconds);
    pct("abuse", "hostile_cpu_pct", r.hostile_cpu_s, r.seconds);
    others("abuse", &r);
}

/* ---- main ---- */

static void usage(void)
{
    fprintf(stderr, "usage: bench_mud [-d SECONDS] [-b BOTS] [-a ACTIVE] "
                    "[-n PLAYERS] [-x HOSTILE_PER_KIND]\n"
                    "                 [-k drip,silent,noise,churn] "
                    "[load] [living] [abuse]\n");
    exit(2);
}

/* "drip,churn" -> the bits of those kinds. */
static unsigned parse_kinds(char *list)
{
    unsigned kinds = 0;
    for (char *w = strtok(list, ","); w; w = strtok(NULL, ",")) {
        int k = 0;
        while (k < MUDABUSE_KINDS && strcmp(w, mudabuse_kind_name(k)) != 0)
            k++;
        if (k == MUDABUSE_KINDS)
            usage();
        kinds |= 1u << k;
    }
    return kinds;
}

static void parse(int argc, char **argv, struct options *o)
{
    *o = (struct options){.seconds = 15, .bots = 5000, .active = 1000,
                          .players = 100, .hostile = 250};
    int opt;
    while ((opt = getopt(argc, argv, "d:b:a:n:x:k:")) != -1) {
        switch (opt) {
        case 'd': o->seconds = atof(optarg); break;
        case 'b': o->bots = atoi(optarg); break;
        case 'a': o->active = atoi(optarg); break;
        case 'n': o->players = atoi(optarg); break;
        case 'x': o->hostile = atoi(optarg); break;
        case 'k': o->kinds = parse_kinds(optarg); break;
        default: usage();
        }
    }
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], "load") == 0)
            o->load = true;
        else if (strcmp(argv[i], "living") == 0)
            o->living = true;
        else if (strcmp(argv[i], "abuse") == 0)
            o->abuse = true;
        else
            usage();
    }
    if (optind == argc)
        o->load = o->living = o->abuse = true;
    if (o->seconds <= 0 || o->bots < 1 || o->bots > 17576 ||
        o->active < 1 || o->active > o->bots || o->players < 1 ||
        o->players > 17576 || o->hostile < 1)
        usage();
}

/* The world file, from the top of the workbook or from elsewhere (the
 * program is build/VARIANT/bench/bench_mud). */
static struct world *load_world(void)
{
    char path[4096] = WORLD_FILE;
    if (access(path, R_OK) != 0) {
        char exe[3000];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        char *at = n > 0 ? (exe[n] = '\0', strstr(exe, "/build/")) : NULL;
        if (at) {
            *at = '\0';
            snprintf(path, sizeof path, "%s/%s", exe, WORLD_FILE);
        }
    }
    struct worldfile_error err;
    struct world *w = worldfile_load(path, &err);
    if (w == NULL) {
        char msg[512];
        fprintf(stderr, "bench_mud: %s\n",
                worldfile_message(&err, msg, sizeof msg));
        exit(1);
    }
    return w;
}

int main(int argc, char **argv)
{
    struct options o;
    parse(argc, argv, &o);
    signal(SIGPIPE, SIG_IGN);
    struct world *w = load_world();
    if (o.load)
        run_load(w, &o, "load");
    if (o.living)
        run_load(w, &o, "living");
    if (o.abuse)
        run_abuse(w, &o);
    world_free(w);
    return 0;
}
