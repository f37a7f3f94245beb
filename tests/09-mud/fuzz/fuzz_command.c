/*
 * fuzz_command.c - libFuzzer target: the command parser on any line, with
 * a table like the MUD's and a few exits. It must never crash or read out
 * of bounds, and every answer must be one of the kinds, pointing into the
 * table or the exits, with the argument inside the line.
 *
 * Built by `make fuzz-mud` (tests/mk/servers.mk).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"

static enum command_result run(struct player *p, const char *arg,
                               const struct command *self)
{
    (void)p, (void)arg, (void)self;
    return COMMAND_OK;
}

#define CMD(name, aliases, rank, full) \
    {name, aliases, rank, full, name, name, name "\n", run}

static const struct command cmds[] = {
    CMD("north", "n", 10, false), CMD("south", "s", 11, false),
    CMD("look", "l", 20, false),  CMD("say", "'", 30, false),
    CMD("tell", NULL, 31, false), CMD("emote", ":", 32, false),
    CMD("get", NULL, 40, false),  CMD("inventory", "i", 42, false),
    CMD("save", NULL, 70, false), CMD("quit", NULL, 80, true),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static command_table *t;
    if (t == NULL) {
        t = command_table_create();
        for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
            if (t == NULL || command_add(t, &cmds[i]) < 0)
                abort();
    }
    static const char *const exits[] = {"north", "gate", "in", "tunnel"};
    char *line = malloc(size + 1); /* exactly the bytes, for ASan */
    if (line == NULL)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    struct command_match m;
    command_parse(t, line, exits, 4, &m);
    switch (m.kind) {
    case COMMAND_FOUND:
    case COMMAND_FULL:
        if (m.command == NULL)
            abort();
        /* fall through */
    case COMMAND_EMPTY:
    case COMMAND_UNKNOWN:
        break;
    case COMMAND_EXIT:
        if (m.exit >= 4)
            abort();
        break;
    default:
        abort();
    }
    if (m.kind != COMMAND_EXIT &&
        (m.arg < line || m.arg > line + strlen(line)))
        abort();
    if (strlen(m.word) >= sizeof m.word)
        abort();
    command_find(t, m.word);
    free(line);
    return 0;
}
