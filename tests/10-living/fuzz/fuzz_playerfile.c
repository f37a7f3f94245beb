/*
 * fuzz_playerfile.c - libFuzzer target: the player file reader on any bytes.
 * It must never crash, leak or read out of bounds. A file it refuses
 * must come with a line and a message; a file it accepts must be one
 * playerfile_format writes, byte for byte (the reader takes exactly the
 * writer's language), and hold a record within the limits of player.h.
 *
 * Built by `make fuzz-mud` with playerfile.c and player.c (for player_name;
 * link -lcrypt).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "playerfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct player_record r;
    struct playerfile_error err;
    if (playerfile_parse((const char *)data, size, &r, &err) < 0) {
        if (err.message[0] == '\0' || err.line < 0)
            abort(); /* refused without saying where or why */
        if (memchr(err.message, '\0', sizeof err.message) == NULL)
            abort(); /* the message is not a string */
        return 0;
    }
    if (r.nitems > PLAYER_ITEMS_MAX || strlen(r.name) > PLAYER_NAME_MAX ||
        strlen(r.hash) > PLAYER_HASH_MAX || strlen(r.room) > WORLD_ID_MAX)
        abort();
    static char again[PLAYERFILE_MAX];
    size_t n = playerfile_format(&r, again, sizeof again);
    if (n != size || memcmp(again, data, size) != 0)
        abort(); /* accepted something playerfile_format would not write */
    return 0;
}
