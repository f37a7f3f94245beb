/*
 * test_command.c - step 09: the command table and the parser, with the
 * MUD's own commands (game.h) and exits given by hand: which command a
 * line means, by the documented precedence.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "game.h"
#include "mudtest.h"

static command_table *table(void)
{
    command_table *t = command_table_create();
    check(t != NULL, S_COMMANDS, "command_table_create returned NULL");
    check(game_register(t) == 0, S_COMMANDS,
          "adding the built-in commands failed: errno %d (%s)", errno,
          errno == ENOSYS ? "still the starter's TODO?" : strerror(errno));
    return t;
}

static const char *const exits[] = {"north", "gate", "in", "tunnel"};

/* Parses line; returns a description: "cmd NAME ARG", "exit NAME",
 * "full NAME", "unknown WORD" or "empty". */
static const char *parse(command_table *t, const char *line)
{
    static char buf[256], out[512];
    snprintf(buf, sizeof buf, "%s", line);
    struct command_match m;
    memset(&m, 0x5a, sizeof m);
    command_parse(t, buf, exits, 4, &m);
    switch (m.kind) {
    case COMMAND_EMPTY:
        return "empty";
    case COMMAND_FOUND:
        snprintf(out, sizeof out, "cmd %s [%s]", m.command->name, m.arg);
        return out;
    case COMMAND_EXIT:
        snprintf(out, sizeof out, "exit %s",
                 m.exit < 4 ? exits[m.exit] : "(bad index)");
        return out;
    case COMMAND_FULL:
        snprintf(out, sizeof out, "full %s", m.command->name);
        return out;
    case COMMAND_UNKNOWN:
        snprintf(out, sizeof out, "unknown %s", m.word);
        return out;
    }
    return "(not a kind)";
}

#define check_parse(t, line, want)                                        \
    do {                                                                  \
        const char *got_ = parse(t, line);                                \
        check(strcmp(got_, want) == 0, S_COMMANDS,                        \
              "the line \"%s\": expected %s, got %s", line, want, got_);  \
    } while (0)

static void test_whole_names_and_aliases(void **state)
{
    (void)state;
    command_table *t = table();
    check_parse(t, "look", "cmd look []");
    check_parse(t, "  LOOK   lamp  ", "cmd look [lamp]");
    check_parse(t, "l", "cmd look []");
    check_parse(t, "n", "cmd north []");
    check_parse(t, "s", "cmd south []");
    check_parse(t, "d", "cmd down []");
    check_parse(t, "i", "cmd inventory []");
    check_parse(t, "say hello there", "cmd say [hello there]");
    check_parse(t, "'hello", "cmd say [hello]");
    check_parse(t, "' hello", "cmd say [hello]");
    check_parse(t, ":waves.", "cmd emote [waves.]");
    check_parse(t, "?", "cmd help []");
    check_parse(t, "", "empty");
    check_parse(t, "   ", "empty");
    command_table_free(t);
}

static void test_prefix_precedence(void **state)
{
    (void)state;
    command_table *t = table();
    check_parse(t, "sa hi", "cmd say [hi]");    /* say ranks before save */
    check_parse(t, "sav", "cmd save []");
    check_parse(t, "so", "cmd south []");
    check_parse(t, "lo", "cmd look []");
    check_parse(t, "inv", "cmd inventory []");
    check_parse(t, "g lamp", "cmd get [lamp]");
    check_parse(t, "dr lamp", "cmd drop [lamp]");
    check_parse(t, "do", "cmd down []");
    check_parse(t, "we", "cmd west []");
    check_parse(t, "wh", "cmd who []");
    check_parse(t, "t bob hi", "cmd tell [bob hi]");
    check_parse(t, "em grins", "cmd emote [grins]");
    check_parse(t, "xyzzy", "unknown xyzzy");
    command_table_free(t);
}

static void test_exits_by_name(void **state)
{
    (void)state;
    command_table *t = table();
    check_parse(t, "gate", "exit gate");
    check_parse(t, "GATE", "exit gate");
    /* "in" is an exit here: its whole name beats the prefix of
     * "inventory"; "inv" is still the command. */
    check_parse(t, "in", "exit in");
    check_parse(t, "ga", "exit gate");  /* no command starts with "ga" */
    check_parse(t, "tun", "exit tunnel");
    check_parse(t, "north", "cmd north []"); /* commands come first */
    command_table_free(t);
}

static void test_quit_needs_its_full_name(void **state)
{
    (void)state;
    command_table *t = table();
    check_parse(t, "quit", "cmd quit []");
    check_parse(t, "QUIT", "cmd quit []");
    check_parse(t, "q", "full quit");
    check_parse(t, "qui", "full quit");
    command_table_free(t);
}

static enum command_result nothing(struct player *p, const char *arg,
                                   const struct command *self)
{
    (void)p, (void)arg, (void)self;
    return COMMAND_OK;
}

static void test_adding_commands(void **state)
{
    (void)state;
    command_table *t = table();
    size_t before = command_count(t);
    static const struct command sail = {"sail", NULL, 29, false, "sail",
                                        "go sailing", "Sails.\n", nothing};
    static const struct command dupe = {"look", NULL, 5, false, "look",
                                        "again", "Again.\n", nothing};
    static const struct command alias = {"glance", "l", 5, false, "glance",
                                         "a look", "Glance.\n", nothing};
    check(command_add(t, &sail) == 0, S_COMMANDS,
          "adding a new command 'sail' failed");
    check_eq(command_count(t), before + 1, S_COMMANDS,
             "command_count after adding one");
    errno = 0;
    check(command_add(t, &dupe) == -1 && errno == EEXIST, S_COMMANDS,
          "adding a second 'look' should fail with EEXIST");
    errno = 0;
    check(command_add(t, &alias) == -1 && errno == EEXIST, S_COMMANDS,
          "adding a command with the alias 'l' (look's) should fail with "
          "EEXIST");
    /* rank 29 puts sail before say (30): "sa" now means sail. */
    check_parse(t, "sa", "cmd sail []");
    for (size_t i = 1; i < command_count(t); i++)
        check(command_at(t, i - 1)->rank <= command_at(t, i)->rank,
              S_COMMANDS, "command_at should list commands by rank");
    check(command_find(t, "he") && strcmp(command_find(t, "he")->name,
                                          "help") == 0,
          S_COMMANDS, "command_find(\"he\") should find help");
    check(command_find(t, "zz") == NULL, S_COMMANDS,
          "command_find(\"zz\") should find nothing");
    command_table_free(t);
}

HARNESS_TESTS("chapters/09-mud.md",
              cmocka_unit_test(test_whole_names_and_aliases),
              cmocka_unit_test(test_prefix_precedence),
              cmocka_unit_test(test_exits_by_name),
              cmocka_unit_test(test_quit_needs_its_full_name),
              cmocka_unit_test(test_adding_commands))
