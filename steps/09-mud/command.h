/*
 * command.h - a table of commands, and the parser that finds which one a
 * line of input means.
 *
 * A command is a struct command: a name, some aliases, a help page and a
 * function. The server fills a table with its own (game.h), and later
 * steps add theirs with command_add, without touching this step's code.
 * The table is only a registry: it never runs anything itself, and it
 * knows nothing of sockets or players beyond passing a pointer on.
 *
 * ---- What a line means ----
 *
 * The first word of the line is looked up; the rest, blanks stripped at
 * both ends, is the command's argument. A line that starts with a
 * punctuation mark (' or :) has that mark as its word: "'hello" is the
 * word "'" with the argument "hello". Case never matters. In order, the
 * first rule that matches wins:
 *
 *   1. the whole name or an alias of a command ("north", "n", "l", "'");
 *   2. the whole name of an exit of the room the player stands in
 *      ("gate");
 *   3. a prefix of a command's name: of the commands whose names start
 *      with the word, the one of the lowest rank ("sa" is say, not save;
 *      "sav" is save). Commands marked full_only (quit) never match a
 *      prefix;
 *   4. a prefix of an exit's name, the first exit in the room's order.
 *
 * Otherwise the word is unknown; if it is a prefix of a full_only
 * command, the answer says to type that command in full.
 *
 * Errors: command_add returns -1 with errno EEXIST (a name or alias is
 * taken), EINVAL (no name, or no function) or ENOMEM.
 */
#ifndef COMMAND_H
#define COMMAND_H

#include <stdbool.h>
#include <stddef.h>

struct player;
struct command;

enum command_result { COMMAND_OK, COMMAND_QUIT };

typedef enum command_result (*command_fn)(struct player *p, const char *arg,
                                          const struct command *self);

struct command {
    const char *name;    /* lowercase: "look" */
    const char *aliases; /* exact-only short forms, blank-separated: "l" */
    int rank;            /* lower ranks win a shared prefix */
    bool full_only;      /* only the whole name matches */
    const char *usage;   /* "look [thing]" */
    const char *summary; /* one line for the list of commands */
    const char *help;    /* the help page; ends in LF */
    command_fn run;
};

typedef struct command_table command_table;

/* An empty table; NULL with errno ENOMEM. */
command_table *command_table_create(void);
void command_table_free(command_table *t);

/* Adds c (the table keeps the pointer: c must outlive the table). */
int command_add(command_table *t, const struct command *c);

/* The commands, in rank order (ties: in the order added). */
size_t command_count(const command_table *t);
const struct command *command_at(const command_table *t, size_t i);

enum command_kind {
    COMMAND_EMPTY,    /* a blank line */
    COMMAND_FOUND,    /* `command` is it */
    COMMAND_EXIT,     /* `exit` is the exit's index in exits[] */
    COMMAND_FULL,     /* a prefix of `command`, which wants its full name */
    COMMAND_UNKNOWN,  /* nothing matches `word` */
};

struct command_match {
    enum command_kind kind;
    const struct command *command;
    size_t exit;
    char word[32];    /* the first word, lowercased, cut at 31 bytes */
    const char *arg;  /* the argument: points into the line */
};

/* Finds what line means in a room whose exits are called exits[0 ..
 * nexits). Trailing blanks are removed from line, in place. Never fails:
 * every line is one of the kinds above. */
void command_parse(const command_table *t, char *line,
                   const char *const *exits, size_t nexits,
                   struct command_match *m);

/* The command word names by rules 1 and 3 (for "help WORD"), or NULL. */
const struct command *command_find(const command_table *t, const char *word);

#endif
