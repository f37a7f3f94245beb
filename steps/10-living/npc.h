/*
 * npc.h - non-player characters brought to life: one tasklet for each NPC
 * that speaks or wanders, acting on its own schedule.
 *
 * Step 09 placed NPCs in the world and let players look at them. Here
 * each NPC with lines to say, or leave to wander, gets a tasklet whose
 * whole life is a loop of plain code: sleep a while (timer_sleep, step
 * 04), then act. No callbacks, no timer wheel in the game code: the
 * tasklet *is* the NPC's schedule.
 *
 * An act is one of:
 *   - say: a line of its `says`, picked at random, sent as the world
 *     file writes it ("The grey cat yawns.") to everyone in its room;
 *   - wander (for an NPC with `wander`): through an exit of its room
 *     picked at random: "A grey cat leaves north." to the room it leaves,
 *     "A grey cat arrives." to the one it enters. A room without exits
 *     keeps it, and it says something instead if it can.
 * An NPC that can do both picks one of the two at random each time.
 * Between two acts it sleeps a time picked uniformly in [min_ns, max_ns].
 *
 * NPCs also hear. When a player speaks in a room (the "said" hook of
 * mud.h calls npc_heard), every NPC there that has lines to say answers
 * with one, as soon as the player's command has ended: its tasklet is
 * woken early from its sleep, says a line, and goes back to its schedule.
 *
 * Acts run without blocking, like players' commands: the world never
 * changes under an act. Chance comes from one seeded generator per
 * npc_life, so a run with the same seed and the same clock repeats
 * itself exactly; the tests count on it, `make play` seeds from the time.
 *
 * Errors: npc_start returns NULL with errno (ENOMEM, or EINVAL for a
 * config with min_ns > max_ns).
 */
#ifndef NPC_H
#define NPC_H

#include <stddef.h>
#include <stdint.h>

#include "mud.h"
#include "timer.h"

#define NPC_MIN (20 * TIMER_MS(1000))   /* between two acts, at least */
#define NPC_MAX (60 * TIMER_MS(1000))   /* ... and at most */

struct npc_config {
    int64_t min_ns;     /* 0: NPC_MIN */
    int64_t max_ns;     /* 0: NPC_MAX */
    uint64_t seed;      /* the generator's seed (0 is a valid seed) */
};

typedef struct npc_life npc_life;

/* Spawns a tasklet for each NPC of m's world that has lines to say or
 * may wander. The first act of each comes after its first sleep. */
npc_life *npc_start(struct mud *m, const struct npc_config *cfg);

/* Cancels every NPC tasklet, waits until each has ended, and frees l.
 * Called from a tasklet. NULL is allowed. */
void npc_stop(npc_life *l);

/* Wakes the NPCs of l standing in r that have lines to say, so that each
 * says one. Never blocks (it is called from inside a command). l NULL
 * does nothing. */
void npc_heard(npc_life *l, const struct room *r);

/* How many NPCs are alive (have a tasklet) in l. */
size_t npc_count(const npc_life *l);

#endif
