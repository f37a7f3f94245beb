/*
 * mudmap.c - ways through the world for the benchmark's bots (mudmap.h):
 * a breadth-first search from the start room, which gives each room a
 * shortest way there.
 */
#include "mudmap.h"

#include <errno.h>
#include <stdlib.h>

#include "world.h"

static int index_of(const struct world *w, const struct room *r)
{
    return (int)(r - w->rooms);
}

/* For room r: its first exit to a room with an exit back to r. */
static void find_neighbour(const struct room *r, struct mudmap_route *rt)
{
    for (size_t e = 0; e < r->nexits; e++) {
        const struct room *next = r->exits[e].to;
        for (size_t x = 0; x < next->nexits; x++) {
            if (next->exits[x].to == r) {
                rt->away = r->exits[e].name;
                rt->back = next->exits[x].name;
                return;
            }
        }
    }
}

int mudmap_routes(const struct world *w, struct mudmap_route *routes)
{
    int n = (int)w->nrooms;
    int *queue = malloc((size_t)n * sizeof *queue);
    int *prev = malloc((size_t)n * sizeof *prev);
    const char **via = malloc((size_t)n * sizeof *via);
    if (queue == NULL || prev == NULL || via == NULL) {
        free(queue);
        free(prev);
        free(via);
        errno = ENOMEM;
        return -1;
    }
    for (int i = 0; i < n; i++)
        routes[i] = (struct mudmap_route){.dist = -1};
    int head = 0, tail = 0, start = index_of(w, w->start);
    routes[start].dist = 0;
    queue[tail++] = start;
    while (head < tail) {
        int r = queue[head++];
        const struct room *room = &w->rooms[r];
        for (size_t e = 0; e < room->nexits; e++) {
            int to = index_of(w, room->exits[e].to);
            if (routes[to].dist >= 0 || routes[r].dist + 1 >= MUDMAP_STEPS)
                continue;
            routes[to].dist = routes[r].dist + 1;
            prev[to] = r;
            via[to] = room->exits[e].name;
            queue[tail++] = to;
        }
    }
    for (int r = 0; r < n; r++) {
        if (routes[r].dist < 0)
            continue;
        for (int at = r, k = routes[r].dist - 1; k >= 0; at = prev[at], k--)
            routes[r].steps[k] = via[at];
        find_neighbour(&w->rooms[r], &routes[r]);
    }
    free(queue);
    free(prev);
    free(via);
    return 0;
}

void mudmap_homes(const struct world *w, const struct mudmap_route *routes,
                  int n, int *home)
{
    int nrooms = (int)w->nrooms, k = 0;
    int order[nrooms]; /* the rooms with a way, farthest first */
    for (int d = MUDMAP_STEPS - 1; d >= 0; d--)
        for (int r = 0; r < nrooms; r++)
            if (routes[r].dist == d)
                order[k++] = r;
    for (int i = 0; i < n; i++)
        home[i] = order[(long)i * k / n];
}
