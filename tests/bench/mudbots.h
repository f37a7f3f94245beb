/*
 * mudbots.h - players for the MUD benchmark (bench_mud.c): bots that log
 * in to step 09's server over loopback, walk to a room of their own, and
 * then either play (one command a second) or only listen.
 *
 * Setup (mudbots_open). Bots connect in index order, at most `batch`
 * logging in at once (the server's listen backlog never overflows). Each
 * one creates a new character: name, "Choose a password:", "Type it
 * again:", and the first game prompt; then it walks from the start room
 * to its home room, one exit a prompt. Homes are spread evenly over the
 * rooms the start reaches, the farthest rooms filled first: a bot on its
 * way then only crosses rooms that nobody has settled in yet, so the
 * "leaves"/"arrives" messages of 5,000 walks do not each go to hundreds
 * of settled bots. Every prompt text is checked; a bot whose dialogue
 * goes otherwise fails, and the first failure is kept, word for word.
 *
 * Play (mudbots_measure). Every (bots / active)-th bot is active. The
 * active bots send one command a second each, spread evenly over the
 * second (bot i of the n active at i/n s past each second), so the
 * server sees n commands a second at a steady pace. Each active bot goes
 * round six commands, each bot starting at its own place in the round,
 * so that at any moment the mix is even:
 *
 *   look, say hello, (walk to the neighbouring room), inventory, who,
 *   (walk back home)
 *
 * A command's latency is from its send to the IAC GA ending the prompt
 * that follows its answer. Nothing else sends a prompt (what other
 * players do reaches a bot as plain lines), so that GA is always the
 * answer's end. A command that falls due while the bot still waits for
 * its previous answer is not sent; it counts as `late`. The inactive
 * bots read and discard what they are sent (others' speech and comings
 * and goings): a bot that did not read would fill its output queue on
 * the server and be dropped, which is the queue limit working, not a
 * latency.
 *
 * The run: warmup_s of play, not counted, then seconds_s of counting:
 * the latencies of the commands sent in that window. Commands still
 * unanswered MUDBOTS_GRACE_S after the window count as `unanswered`, with
 * the time they had waited as their latency (a lower bound).
 *
 * One thread, level-triggered epoll, plain non-blocking sockets; like
 * loadgen.h, it shares no code with the server under test.
 */
#ifndef MUDBOTS_H
#define MUDBOTS_H

#include <sys/types.h>

struct world;

#define MUDBOTS_GRACE_S 2.0
#define MUDBOTS_PASSWORD "benchpass"

struct mudbots_config {
    int port;                  /* the server, on 127.0.0.1 */
    const struct world *world; /* the server's world: for the walks */
    int bots;                  /* players to log in, 1 .. 26^3 */
    int active;                /* of which this many play, 1 .. bots */
    int batch;                 /* logging in at once */
    double setup_s;            /* at most this long to log them all in */
    char letter;               /* names are this letter and three more */
    pid_t server, hostile;     /* > 0: their CPU time is measured */
};

struct mudbots_result {
    /* mudbots_open */
    int ready;              /* in the game and at home */
    int active_ready;       /* of which active ones */
    int failed;             /* connection or dialogue failed */
    char first_failure[200];
    double setup_s;
    /* mudbots_measure */
    double seconds;         /* the counting window, as measured */
    long commands;          /* sent in the window; each has a latency */
    long unanswered;        /* of those, no answer by the end of grace */
    long late;              /* due in the window, not sent (see above) */
    double p50_ms, p99_ms, max_ms;
    int lost;               /* connections that ended during the run */
    int dropped;            /* of those, told "Output queue full" */
    double cpu_s;           /* CPU time in the window: this process, */
    double server_cpu_s;    /* the server and the hostile clients' */
    double hostile_cpu_s;   /* process; -1 where there was no pid */
    double others_cpu_s;    /* everyone else's: other processes, the
                               hypervisor's steal, interrupt work charged
                               to no process; -1 if unknown. Within a few
                               % of a CPU: processes' times come from the
                               scheduler, the machine's from clock ticks */
};

struct mudbots;

/* Connects the bots, logs them in and walks them home (setup above):
 * returns when all are ready or failed, or setup_s has passed. NULL with
 * errno if the run cannot take place (no memory, no epoll, EINVAL for a
 * bad config); bots that fail are counted in r, not errors. */
struct mudbots *mudbots_open(const struct mudbots_config *c,
                             struct mudbots_result *r);

/* Plays warmup_s, then counts for seconds_s (the run above). */
void mudbots_measure(struct mudbots *b, double warmup_s, double seconds_s,
                     struct mudbots_result *r);

/* Closes every connection with a reset (no TIME_WAIT), frees b. */
void mudbots_close(struct mudbots *b);

#endif
