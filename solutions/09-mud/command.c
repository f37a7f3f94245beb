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
    if (c == NULL || c->name == NULL || *c->name == '\0' || c->run == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (clashes(t, c)) {
        errno = EEXIST;
        return -1;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 32;
        const struct command **grown = realloc(t->cmds, cap * sizeof *grown);
        if (grown == NULL) {
            errno = ENOMEM;
            return -1;
        }
        t->cmds = grown;
        t->cap = cap;
    }
    size_t at = t->n; /* after every command of the same rank or lower */
    while (at > 0 && t->cmds[at - 1]->rank > c->rank)
        at--;
    memmove(t->cmds + at + 1, t->cmds + at, (t->n - at) * sizeof *t->cmds);
    t->cmds[at] = c;
    t->n++;
    return 0;
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
    for (size_t i = 0; i < t->n; i++)
        if (!t->cmds[i]->full_only && prefix_of(word, t->cmds[i]->name))
            return t->cmds[i];
    return NULL;
}

const struct command *command_find(const command_table *t, const char *word)
{
    if (*word == '\0')
        return NULL;
    const struct command *c = exact(t, word);
    return c ? c : abbreviated(t, word);
}
/* book: end */

/* book: parse */
void command_parse(const command_table *t, char *line,
                   const char *const *exits, size_t nexits,
                   struct command_match *m)
{
    *m = (struct command_match){.kind = COMMAND_UNKNOWN};
    size_t n = strlen(line);
    while (n > 0 && isspace((unsigned char)line[n - 1]))
        line[--n] = '\0';
    char *p = line;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0') {
        m->kind = COMMAND_EMPTY;
        m->arg = p;
        return;
    }
    /* The word: one punctuation mark, or up to the first blank. */
    size_t k = ispunct((unsigned char)*p) ? 1 : strcspn(p, " \t");
    size_t keep = k < sizeof m->word ? k : sizeof m->word - 1;
    for (size_t i = 0; i < keep; i++)
        m->word[i] = (char)tolower((unsigned char)p[i]);
    m->word[keep] = '\0';
    p += k;
    while (isspace((unsigned char)*p))
        p++;
    m->arg = p;

    const char *w = m->word;
    if ((m->command = exact(t, w))) {                     /* rule 1 */
        m->kind = COMMAND_FOUND;
        return;
    }
    for (size_t i = 0; i < nexits; i++)                   /* rule 2 */
        if (strcasecmp(exits[i], w) == 0) {
            m->kind = COMMAND_EXIT;
            m->exit = i;
            return;
        }
    if ((m->command = abbreviated(t, w))) {               /* rule 3 */
        m->kind = COMMAND_FOUND;
        return;
    }
    for (size_t i = 0; i < nexits; i++)                   /* rule 4 */
        if (prefix_of(w, exits[i])) {
            m->kind = COMMAND_EXIT;
            m->exit = i;
            return;
        }
    for (size_t i = 0; i < t->n; i++)        /* a full_only command, cut */
        if (t->cmds[i]->full_only && prefix_of(w, t->cmds[i]->name)) {
            m->kind = COMMAND_FULL;
            m->command = t->cmds[i];
            return;
        }
}
/* book: end */
