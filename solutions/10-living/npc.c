/*
 * npc.c - NPCs brought to life, one tasklet each (npc.h).
 *
 * An NPC's whole behaviour is the loop in life(): sleep until the next
 * act is due, act, pick when the next one comes. Hearing a player is the
 * one way to cut a sleep short: npc_heard marks the NPC and interrupts
 * its sleep; the NPC answers with a line, then sleeps again until the
 * same deadline as before, so a talkative player does not push its
 * schedule back.
 *
 * Invariants:
 *   - A life's tasklet parks in one place only, the sleep in life(). So
 *     an interruption from npc_heard can only ever end that sleep.
 *   - f->t is NULL once the tasklet has ended; l->alive counts the lives
 *     whose tasklet has not. npc_stop frees l only once it is 0.
 *   - Acts never block: the world cannot change under an act, and the
 *     messages go into the players' queues (mud_to_room).
 *   - Every random choice comes from l's generator, in the order the
 *     tasklets run: the same seed and the same clock give the same story.
 */
#define _GNU_SOURCE
#include "npc.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "chan.h"
#include "tasklet.h"
#include "world.h"

/* One NPC's life: its tasklet, and what it must do next. */
struct life {
    struct npc *npc;
    npc_life *l;
    tasklet *t;        /* NULL once the tasklet has ended */
    bool heard;        /* a player spoke in its room: answer */
};

struct npc_life {
    int64_t min_ns, max_ns;
    uint64_t rng;      /* the generator's state */
    struct life *lives;
    size_t n;          /* lives in use */
    size_t alive;      /* of those, tasklets not yet ended */
    chan *ended;       /* npc_stop waits here */
};

/* ---- chance ---- */

/* splitmix64: small, fast, and good enough for a cat's moods. Any seed,
 * 0 included, gives a full sequence. */
static uint64_t next_random(npc_life *l)
{
    uint64_t z = (l->rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* A number in [0, n), n > 0. */
static uint64_t below(npc_life *l, uint64_t n)
{
    return next_random(l) % n;
}

/* How long to sleep before the next act: uniform in [min_ns, max_ns]. */
static int64_t pause_ns(npc_life *l)
{
    uint64_t span = (uint64_t)(l->max_ns - l->min_ns) + 1;
    return l->min_ns + (int64_t)below(l, span);
}

/* ---- acts ---- */

/* "a grey cat" -> "A grey cat", into buf. */
static const char *capital(const char *s, char *buf, size_t size)
{
    snprintf(buf, size, "%s", s);
    buf[0] = (char)toupper((unsigned char)buf[0]);
    return buf;
}

/* book: act */
/* One of its lines, to everyone in its room, as the world file has it. */
static void speak(struct life *f)
{
    struct npc *n = f->npc;
    const char *line = n->says[below(f->l, n->nsays)];
    mud_to_room(n->body.room, NULL, NULL, "%s\n", line);
}

/* Through an exit picked at random; the room has at least one. */
static void walk(struct life *f)
{
    struct npc *n = f->npc;
    struct room *from = n->body.room;
    struct exit *ex = &from->exits[below(f->l, from->nexits)];
    char name[256];
    capital(n->name, name, sizeof name);
    mud_to_room(from, NULL, NULL, "%s leaves %s.\n", name, ex->name);
    world_body_move(&n->body, ex->to);
    mud_to_room(ex->to, NULL, NULL, "%s arrives.\n", name);
}

static void act(struct life *f)
{
    struct npc *n = f->npc;
    bool can_say = n->nsays > 0;
    bool can_walk = n->wander && n->body.room->nexits > 0;
    if (can_walk && (!can_say || below(f->l, 2) == 0))
        walk(f);
    else if (can_say)
        speak(f);
}
/* book: end */

/* ---- a life ---- */

/* book: life */
static void life(void *arg)
{
    struct life *f = arg;
    npc_life *l = f->l;
    int64_t next = timer_now() + pause_ns(l);
    for (;;) {
        /* npc_heard interrupts the sleep with EINTR; any other error is
         * npc_stop's ECANCELED (or no room for a timer): the end. */
        if (!f->heard && timer_sleep_until(next) < 0 && errno != EINTR)
            break;
        if (f->heard) {
            f->heard = false;
            speak(f);
            continue; /* back to sleep, until the same deadline */
        }
        act(f);
        next = timer_now() + pause_ns(l);
    }
    f->t = NULL;
    l->alive--;
    if (chan_balance(l->ended) < 0) /* npc_stop waits for us */
        chan_send(l->ended, NULL);
}
/* book: end */

/* book: heard */
void npc_heard(npc_life *l, const struct room *r)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++) {
        struct life *f = &l->lives[i];
        if (f->t == NULL || f->npc->body.room != r || f->npc->nsays == 0 ||
            f->heard)
            continue;
        f->heard = true;
        /* Parked means asleep (life's only wait). Not parked, it is
         * about to run, and will see the mark before it sleeps. */
        if (tasklet_is_parked(f->t))
            tasklet_interrupt(f->t, EINTR);
    }
}
/* book: end */

/* ---- starting and stopping ---- */

npc_life *npc_start(struct mud *m, const struct npc_config *cfg)
{
    struct npc_config c = cfg ? *cfg : (struct npc_config){0};
    int64_t min = c.min_ns ? c.min_ns : NPC_MIN;
    int64_t max = c.max_ns ? c.max_ns : NPC_MAX;
    if (m == NULL || min < 0 || max < min) {
        errno = EINVAL;
        return NULL;
    }
    struct world *w = mud_world(m);
    npc_life *l = calloc(1, sizeof *l);
    if (l == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    *l = (npc_life){.min_ns = min, .max_ns = max, .rng = c.seed};
    l->lives = calloc(w->nnpcs ? w->nnpcs : 1, sizeof *l->lives);
    l->ended = chan_create();
    if (l->lives == NULL || l->ended == NULL) {
        errno = ENOMEM;
        goto fail;
    }
    /* The sender (an ending NPC) runs on past the rendezvous, so it is
     * done with l before npc_stop, queued, can free it. */
    chan_set_preference(l->ended, 1);
    for (size_t i = 0; i < w->nnpcs; i++) {
        struct npc *n = &w->npcs[i];
        if (n->nsays == 0 && !n->wander)
            continue; /* a statue: nothing to live for */
        struct life *f = &l->lives[l->n];
        *f = (struct life){.npc = n, .l = l};
        f->t = tasklet_spawn(life, f);
        if (f->t == NULL)
            goto fail;
        char name[WORLD_ID_MAX + 8]; /* the tasklet keeps what fits */
        snprintf(name, sizeof name, "npc %s", n->id);
        tasklet_set_name(f->t, name);
        l->n++;
        l->alive++;
    }
    return l;
fail:;
    int err = errno;
    npc_stop(l);
    errno = err;
    return NULL;
}

void npc_stop(npc_life *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (l->lives[i].t)
            tasklet_cancel(l->lives[i].t);
    while (l->alive > 0)
        chan_receive(l->ended, NULL);
    if (l->ended)
        chan_destroy(l->ended);
    free(l->lives);
    free(l);
}

size_t npc_count(const npc_life *l)
{
    return l ? l->alive : 0;
}
