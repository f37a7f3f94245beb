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
 *
 * Your task (chapters/10-living.md): every function marked TODO. The
 * generator (next_random, below, pause_ns) and capital are written for
 * you.
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

/* One of its lines, to everyone in its room, as the world file has it. */
static void speak(struct life *f)
{
    /* TODO(step 10, "NPCs are tasklets"): one of n->says, picked with
     * below(), to everyone in its room (mud_to_room), as it is, with a
     * line end. */
    (void)f;
}

/* Through an exit picked at random; the room has at least one. */
static void walk(struct life *f)
{
    /* TODO(step 10, "NPCs are tasklets"): an exit of its room picked
     * with below(). "A grey cat leaves north." to the room it leaves (its
     * name through capital()), world_body_move it through the exit, and
     * "A grey cat arrives." to the room it enters. */
    (void)f, (void)capital;
}

static void act(struct life *f)
{
    /* TODO(step 10, "NPCs are tasklets"): it can speak if it has lines,
     * and walk if it wanders and its room has an exit. Able to do both,
     * it picks one with below(f->l, 2): 0 walks. Able to do one, it does
     * that one; able to do neither, nothing. */
    (void)f, (void)speak, (void)walk;
}

/* ---- a life ---- */

static void life(void *arg)
{
    /* TODO(step 10, "NPCs are tasklets"): the NPC's whole life. Its
     * first act is due pause_ns() from now. Loop: unless f->heard is
     * set, sleep until the act is due (timer_sleep_until); a sleep that
     * fails with anything but EINTR (npc_stop's ECANCELED) ends the
     * loop. If f->heard is set ("NPCs that hear"), clear it, speak, and
     * go back to sleep until the same deadline. Else act, and the next
     * act is due pause_ns() from now. After the loop: f->t = NULL, one
     * fewer alive, and if npc_stop waits on l->ended (chan_balance < 0),
     * send it a NULL. */
    (void)arg, (void)act, (void)pause_ns;
}

void npc_heard(npc_life *l, const struct room *r)
{
    /* TODO(step 10, "NPCs that hear"): for every life of l (l may be
     * NULL) whose tasklet is alive, whose NPC stands in r and has lines,
     * and that is not marked already: mark it (heard), and if its
     * tasklet is parked (asleep, life's only wait), interrupt it with
     * EINTR. Never block. */
    (void)l, (void)r;
}

/* ---- starting and stopping ---- */

npc_life *npc_start(struct mud *m, const struct npc_config *cfg)
{
    /* TODO(step 10, "NPCs are tasklets"): min_ns and max_ns from cfg (0:
     * NPC_MIN, NPC_MAX; cfg NULL: all defaults); EINVAL if min < 0 or
     * min > max. calloc an npc_life, its lives (one per NPC of the world,
     * at least one), and the channel `ended` with preference 1 (an
     * ending NPC then runs on past the send, and is done with l before
     * npc_stop frees it). The generator's state is the seed. Spawn a
     * tasklet running life() for each NPC with lines or wander, name it
     * "npc ID", and count it alive. On failure, npc_stop what was
     * started and return NULL, errno kept. */
    (void)m, (void)cfg, (void)life;
    errno = ENOSYS;
    return NULL;
}

void npc_stop(npc_life *l)
{
    /* TODO(step 10, "NPCs are tasklets"): cancel every tasklet still
     * alive, then chan_receive on l->ended until none is alive; then
     * free everything. l may be NULL. */
    (void)l;
}

size_t npc_count(const npc_life *l)
{
    return l ? l->alive : 0;
}
