/*
 * command.c - the table of commands and the parser (command.h).
 *
 * The table is an array of pointers kept sorted by rank (ties in the
 * order added), so that the first command in it whose name starts with
 * a word is the one the precedence rules choose.
 *
 * Invariants:
 *   - No two commands share a name or an alias, or a name with another's
 *     alias: rule 1 of the precedence never has two answers.
 *   - The table only points to commands; it owns the array, not them.
 *
 * Your task (chapters/09-mud.md, "Commands and prefix precedence"): the
 * functions marked TODO. The table's array, and the helpers that match a
 * whole name or alias, are written for you.
 */
#include "command.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct command_table {
    const struct command **cmds;
    size_t n, cap;
};

command_table *command_table_create(void)
{
    command_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        errno = ENOMEM;
    return t;
}

void command_table_free(command_table *t)
{
    if (t == NULL)
        return;
    free(t->cmds);
    free(t);
}

size_t command_count(const command_table *t)
{
    return t->n;
}

const struct command *command_at(const command_table *t, size_t i)
{
    return i < t->n ? t->cmds[i] : NULL;
}

/* Whether the blank-separated list has word in it, ignoring case. */
static bool in_list(const char *list, const char *word)
{
    size_t n = strlen(word);
    const char *p = list ? list : "";
    while (*p) {
        while (*p == ' ')
            p++;
        size_t k = strcspn(p, " ");
        if (k == n && k > 0 && strncasecmp(p, word, n) == 0)
            return true;
        p += k;
    }
    return false;
}

/* Rule 1: the command whose name or alias is word. */
static const struct command *exact(const command_table *t, const char *word)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcasecmp(t->cmds[i]->name, word) == 0 ||
            in_list(t->cmds[i]->aliases, word))
            return t->cmds[i];
    return NULL;
}

/* Whether c's name or any of its aliases is also a name or alias in t. */
static bool clashes(const command_table *t, const struct command *c)
{
    if (exact(t, c->name))
        return true;
    const char *p = c->aliases ? c->aliases : "";
    while (*p) {
        char word[32];
        while (*p == ' ')
            p++;
        size_t k = strcspn(p, " ");
        if (k > 0 && k < sizeof word) {
            memcpy(word, p, k);
            word[k] = '\0';
            if (exact(t, word))
                return true;
        }
        p += k;
    }
    return false;
}

int command_add(command_table *t, const struct command *c)
{
    /* TODO(step 09, "Commands and prefix precedence"): EINVAL without a
     * command, a name or a function; EEXIST if clashes(t, c). Grow the
     * array (double it, 32 at first; ENOMEM). Insert c after every
     * command of the same rank or lower, so the array stays sorted by
     * rank, ties in the order added. Return 0. */
    (void)t, (void)c, (void)clashes;
    errno = ENOSYS;
    return -1;
}

static bool prefix_of(const char *word, const char *name)
{
    return strncasecmp(name, word, strlen(word)) == 0;
}

/* book: find */
/* Rule 3: of the commands whose name starts with word, the first (the
 * lowest rank). full_only commands are skipped. */
static const struct command *abbreviated(const command_table *t,
                                         const char *word)
{
    /* TODO(step 09, "Commands and prefix precedence"): the first command
     * in the table (the lowest rank) that is not full_only and whose name
     * starts with word (prefix_of), or NULL. */
    (void)t, (void)word, (void)prefix_of;
    return NULL;
}

const struct command *command_find(const command_table *t, const char *word)
{
    /* TODO(step 09, "Commands and prefix precedence"): NULL for an empty
     * word; else exact(t, word), or failing that abbreviated(t, word). */
    (void)t, (void)word;
    return NULL;
}
/* book: end */

/* book: parse */
void command_parse(const command_table *t, char *line,
                   const char *const *exits, size_t nexits,
                   struct command_match *m)
{
    /* TODO(step 09, "Commands and prefix precedence"): start from
     * COMMAND_UNKNOWN. Strip trailing blanks from line in place and skip
     * leading ones; a blank line is COMMAND_EMPTY (arg: the empty rest).
     * The word is one punctuation mark (ispunct), or everything up to the
     * first blank; copy it, lowercased and cut to fit, into m->word. arg
     * is what follows, leading blanks skipped. Then the rules, in order:
     *   1. exact(t, word)                      -> COMMAND_FOUND
     *   2. an exit whose name is word          -> COMMAND_EXIT, its index
     *   3. abbreviated(t, word)                -> COMMAND_FOUND
     *   4. the first exit that word begins     -> COMMAND_EXIT
     * and last, a full_only command that word begins -> COMMAND_FULL. */
    (void)t, (void)line, (void)exits, (void)nexits, (void)abbreviated;
    *m = (struct command_match){.kind = COMMAND_UNKNOWN, .arg = ""};
}
/* book: end */
