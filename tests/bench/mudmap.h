/*
 * mudmap.h - the ways through a MUD world that the benchmark's bots walk
 * (mudbots.h): from the start room to each room, and back and forth
 * between a room and a neighbour.
 *
 * Bots are new characters, so they all appear in the world's start room
 * and walk from there to a home room of their own. Homes are handed out
 * farthest first (mudmap_homes): a bot on its way then only crosses
 * rooms nobody has settled in yet, so the "leaves" and "arrives" messages
 * of thousands of walks do not each reach hundreds of settled bots.
 *
 * Pure: it reads the world (world.h) and touches nothing else.
 */
#ifndef MUDMAP_H
#define MUDMAP_H

#include <stddef.h>

struct world;

#define MUDMAP_STEPS 32 /* the longest way kept; farther rooms: none */

struct mudmap_route {
    int dist;                          /* exits from the start; -1: no way */
    const char *steps[MUDMAP_STEPS];   /* the exits to type, in order */
    const char *away, *back;           /* an exit to a neighbour, and its
                                          exit back; NULL: none */
};

/* Fills routes[i] for each room i of w (w->nrooms of them). The exit
 * names point into w. 0, or -1 with errno ENOMEM. */
int mudmap_routes(const struct world *w, struct mudmap_route *routes);

/* Homes for n bots, in home[0 .. n): the rooms with a way from the start,
 * an even share each, bots of lower index in farther rooms. */
void mudmap_homes(const struct world *w, const struct mudmap_route *routes,
                  int n, int *home);

#endif
