/*
 * fuzz_worldfile.c - libFuzzer target: the world file loader on any
 * bytes. It must never crash, leak or read out of bounds; a world it
 * refuses must come with a message, and a world it accepts must hold
 * together (every exit leads to a room of the world, there is a start).
 *
 * Built by `make fuzz-mud` (tests/mk/servers.mk); seeded with the
 * sample world.
 */
#include <stdint.h>
#include <stdlib.h>

#include "world.h"
#include "worldfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct worldfile_error err;
    struct world *w = worldfile_parse((const char *)data, size, "fuzz", &err);
    if (w == NULL) {
        if (err.text[0] == '\0')
            abort(); /* refused without saying why */
        return 0;
    }
    if (w->nrooms == 0 || w->start < w->rooms ||
        w->start >= w->rooms + w->nrooms)
        abort();
    for (size_t i = 0; i < w->nrooms; i++)
        for (size_t j = 0; j < w->rooms[i].nexits; j++) {
            struct room *to = w->rooms[i].exits[j].to;
            if (to < w->rooms || to >= w->rooms + w->nrooms)
                abort();
        }
    world_free(w);
    return 0;
}
