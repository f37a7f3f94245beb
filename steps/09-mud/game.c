/*
 * game.c - the built-in commands, and running a line (game.h).
 *
 * Given code: the same in steps/ and in the solutions.
 *
 * Every command reads and changes the world and queues output; none of
 * them blocks, so each runs to its end before any other tasklet runs.
 * Messages follow one pattern: the actor reads "You ...", everyone else
 * in the room "Alice ...".
 *
 * The table below is also the documented precedence of abbreviations:
 * lower ranks come first (command.h, rule 3), and "help" lists the
 * commands in that order.
 */
#define _GNU_SOURCE
#include "game.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conn.h"
#include "world.h"

enum { MAX_EXITS = 64 };

/* "a grey cat" -> "A grey cat", into buf. */
static const char *capital(const char *s, char *buf, size_t size)
{
    snprintf(buf, size, "%s", s);
    buf[0] = (char)toupper((unsigned char)buf[0]);
    return buf;
}

/* ---- looking ---- */

/* book: look */
void game_look(struct player *p)
{
    struct room *r = p->body.room;
    char buf[256];
    mud_tell(p, "%s\n%s", r->title, r->desc);
    if (r->nexits == 0) {
        mud_tell(p, "There is no way out.\n");
    } else {
        char exits[1024] = "";
        size_t n = 0;
        for (size_t i = 0; i < r->nexits && n < sizeof exits; i++)
            n += (size_t)snprintf(exits + n, sizeof exits - n, "%s%s",
                                  i ? ", " : "", r->exits[i].name);
        mud_tell(p, "Exits: %s.\n", exits);
    }
    for (struct item *it = r->items.first; it; it = it->next)
        mud_tell(p, "%s lies here.\n",
                 capital(it->kind->name, buf, sizeof buf));
    for (struct body *b = r->first; b; b = b->next)
        if (b != &p->body)
            mud_tell(p, "%s is here.\n", capital(b->name, buf, sizeof buf));
}
/* book: end */

static enum command_result look(struct player *p, const char *arg,
                                const struct command *self)
{
    (void)self;
    if (*arg == '\0') {
        game_look(p);
        return COMMAND_OK;
    }
    struct item *it = world_item_find(&p->body.carried, arg);
    if (it == NULL)
        it = world_item_find(&p->body.room->items, arg);
    if (it) {
        mud_tell(p, "%s", it->kind->desc);
        return COMMAND_OK;
    }
    struct body *b = world_body_find(p->body.room, arg, NULL);
    if (b && b->kind == BODY_NPC) {
        mud_tell(p, "%s", ((struct npc *)b->owner)->desc);
    } else if (b == &p->body) {
        mud_tell(p, "You look yourself over. You look fine.\n");
    } else if (b) {
        struct player *o = b->owner;
        mud_tell(p, "%s, another adventurer, carries %zu thing%s.\n",
                 o->name, o->body.carried.count,
                 o->body.carried.count == 1 ? "" : "s");
    } else {
        mud_tell(p, "You see no '%s' here.\n", arg);
    }
    return COMMAND_OK;
}

/* ---- moving ---- */

static void go(struct player *p, struct exit *ex)
{
    struct room *from = p->body.room;
    mud_to_room(from, &p->body, NULL, "%s leaves %s.\n", p->name, ex->name);
    world_body_move(&p->body, ex->to);
    mud_to_room(ex->to, &p->body, NULL, "%s arrives.\n", p->name);
    game_look(p);
}

/* north, south, ...: the command's name is the exit's. */
static enum command_result move(struct player *p, const char *arg,
                                const struct command *self)
{
    (void)arg;
    struct exit *ex = world_exit(p->body.room, self->name);
    if (ex == NULL)
        mud_tell(p, "You cannot go %s from here.\n", self->name);
    else
        go(p, ex);
    return COMMAND_OK;
}

/* ---- talking ---- */

static enum command_result say(struct player *p, const char *arg,
                               const struct command *self)
{
    (void)self;
    if (*arg == '\0') {
        mud_tell(p, "Say what?\n");
        return COMMAND_OK;
    }
    mud_tell(p, "You say, '%s'\n", arg);
    mud_to_room(p->body.room, &p->body, NULL, "%s says, '%s'\n", p->name,
                arg);
    const struct mud_hooks *h = &mud_config(p->mud)->hooks;
    if (h->said)
        h->said(p, arg, h->ctx);
    return COMMAND_OK;
}

static enum command_result tell(struct player *p, const char *arg,
                                const struct command *self)
{
    (void)self;
    char name[PLAYER_NAME_MAX + 2];
    size_t n = strcspn(arg, " \t");
    const char *text = arg + n;
    while (*text == ' ' || *text == '\t')
        text++;
    if (n == 0 || *text == '\0') {
        mud_tell(p, "Tell whom what? (tell NAME TEXT)\n");
        return COMMAND_OK;
    }
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : 0), arg);
    struct player *to = mud_find_player(p->mud, name);
    if (to == NULL) {
        mud_tell(p, "Nobody called '%.*s' is in the game.\n", (int)n, arg);
    } else if (to == p) {
        mud_tell(p, "You mutter to yourself, '%s'\n", text);
    } else {
        mud_tell(p, "You tell %s, '%s'\n", to->name, text);
        mud_tell(to, "%s tells you, '%s'\n", p->name, text);
    }
    return COMMAND_OK;
}

static enum command_result emote(struct player *p, const char *arg,
                                 const struct command *self)
{
    (void)self;
    if (*arg == '\0')
        mud_tell(p, "Emote what? (emote waves, say)\n");
    else
        mud_to_room(p->body.room, NULL, NULL, "%s %s\n", p->name, arg);
    return COMMAND_OK;
}

static enum command_result who(struct player *p, const char *arg,
                               const struct command *self)
{
    (void)arg, (void)self;
    mud_tell(p, "Players in the game (%zu):\n", mud_player_count(p->mud));
    for (struct player *o = mud_players(p->mud); o; o = o->next)
        mud_tell(p, "  %s\n", o->name);
    return COMMAND_OK;
}

/* ---- things ---- */

static void get_one(struct player *p, struct item *it)
{
    world_item_move(it, &p->body.carried);
    mud_tell(p, "You get %s.\n", it->kind->name);
    mud_to_room(p->body.room, &p->body, NULL, "%s gets %s.\n", p->name,
                it->kind->name);
}

static enum command_result get(struct player *p, const char *arg,
                               const struct command *self)
{
    (void)self;
    struct room *r = p->body.room;
    bool all = strcasecmp(arg, "all") == 0;
    struct item *it = all ? r->items.first : world_item_find(&r->items, arg);
    if (*arg == '\0') {
        mud_tell(p, "Get what?\n");
    } else if (it == NULL && world_body_find(r, arg, NULL)) {
        mud_tell(p, "You cannot carry people about.\n");
    } else if (it == NULL) {
        mud_tell(p, all ? "There is nothing here to get.\n"
                        : "You see no '%s' here.\n", arg);
    }
    while (it) {
        struct item *next = all ? it->next : NULL;
        if (p->body.carried.count >= PLAYER_ITEMS_MAX) {
            mud_tell(p, "You cannot carry any more.\n");
            break;
        }
        get_one(p, it);
        it = next;
    }
    return COMMAND_OK;
}

static enum command_result drop(struct player *p, const char *arg,
                                const struct command *self)
{
    (void)self;
    struct item_list *mine = &p->body.carried;
    bool all = strcasecmp(arg, "all") == 0;
    struct item *it = all ? mine->first : world_item_find(mine, arg);
    if (*arg == '\0')
        mud_tell(p, "Drop what?\n");
    else if (it == NULL)
        mud_tell(p, all ? "You carry nothing.\n" : "You carry no '%s'.\n",
                 arg);
    while (it) {
        struct item *next = all ? it->next : NULL;
        world_item_move(it, &p->body.room->items);
        mud_tell(p, "You drop %s.\n", it->kind->name);
        mud_to_room(p->body.room, &p->body, NULL, "%s drops %s.\n", p->name,
                    it->kind->name);
        it = next;
    }
    return COMMAND_OK;
}

static enum command_result inventory(struct player *p, const char *arg,
                                     const struct command *self)
{
    (void)arg, (void)self;
    if (p->body.carried.count == 0) {
        mud_tell(p, "You carry nothing.\n");
        return COMMAND_OK;
    }
    mud_tell(p, "You carry:\n");
    for (struct item *it = p->body.carried.first; it; it = it->next)
        mud_tell(p, "  %s\n", it->kind->name);
    return COMMAND_OK;
}

/* ---- the rest ---- */

static enum command_result help(struct player *p, const char *arg,
                                const struct command *self)
{
    (void)self;
    const command_table *t = mud_commands(p->mud);
    if (*arg) {
        const struct command *c = command_find(t, arg);
        if (c == NULL)
            mud_tell(p, "There is no command '%s'. Type 'help' for the "
                     "list.\n", arg);
        else if (strcmp(c->name, "save") == 0) /* says where, too */
            mud_tell(p, "Usage: %s\n%sCharacters are kept %s.\n", c->usage,
                     c->help, mud_config(p->mud)->store->where);
        else
            mud_tell(p, "Usage: %s\n%s", c->usage, c->help);
        return COMMAND_OK;
    }
    mud_tell(p, "Commands (type 'help COMMAND' for more on one):\n");
    for (size_t i = 0; i < command_count(t); i++) {
        const struct command *c = command_at(t, i);
        mud_tell(p, "  %-16s %s%s%s%s\n", c->usage, c->summary,
                 c->aliases ? " (or: " : "", c->aliases ? c->aliases : "",
                 c->aliases ? ")" : "");
    }
    mud_tell(p, "Any beginning of a command's name works; where several\n"
             "commands start alike, the first in this list wins ('sa' is\n"
             "say). Exits work by name too. 'quit' must be typed in full.\n");
    return COMMAND_OK;
}

static enum command_result save(struct player *p, const char *arg,
                                const struct command *self)
{
    (void)arg, (void)self;
    if (mud_save(p) < 0)
        mud_tell(p, "Your character could not be saved.\n");
    else
        mud_tell(p, "Saved: %s is kept %s.\n", p->name,
                 mud_config(p->mud)->store->where);
    return COMMAND_OK;
}

static enum command_result quit(struct player *p, const char *arg,
                                const struct command *self)
{
    (void)arg, (void)self;
    mud_tell(p, "Goodbye, %s.\n", p->name);
    return COMMAND_QUIT;
}

/* book: table */
#define MOVE(dir, letter, r)                                              \
    {dir, letter, r, false, dir, "go " dir,                             \
     "Walks " dir ", if an exit leads " dir ". Exits with other names "  \
     "(a gate, a door) are taken by typing their name.\n", move}

static const struct command builtins[] = {
    MOVE("north", "n", 10), MOVE("south", "s", 11), MOVE("east", "e", 12),
    MOVE("west", "w", 13), MOVE("up", "u", 14), MOVE("down", "d", 15),
    {"look", "l", 20, false, "look [THING]", "the room, or a thing in it",
     "Without a word, shows the room you are in: its description, its "
     "exits, what lies there and who is there. With one (look lamp), "
     "describes a thing you carry or see, or someone here.\n", look},
    {"say", "'", 30, false, "say TEXT", "speak to everyone in the room",
     "Everyone in the room hears what you say. 'TEXT works too.\n", say},
    {"tell", NULL, 31, false, "tell NAME TEXT", "speak to one player",
     "Speaks to one player, wherever in the game they are.\n", tell},
    {"emote", ":", 32, false, "emote TEXT", "act: 'emote waves'",
     "Shows everyone in the room your name followed by TEXT: 'emote "
     "waves.' shows 'Alice waves.' :TEXT works too.\n", emote},
    {"get", NULL, 40, false, "get THING|all", "pick up a thing",
     "Picks up a thing lying in the room, or everything with 'get "
     "all'.\n", get},
    {"drop", NULL, 41, false, "drop THING|all", "put a thing down",
     "Puts down a thing you carry, or everything with 'drop all'.\n",
     drop},
    {"inventory", "i", 42, false, "inventory", "what you carry",
     "Lists what you carry.\n", inventory},
    {"who", NULL, 50, false, "who", "the players in the game",
     "Lists the players in the game, in the order they came in.\n", who},
    {"help", "?", 60, false, "help [COMMAND]", "this list, or one page",
     "Lists the commands, or explains one: help look.\n", help},
    {"save", NULL, 70, false, "save", "save your character",
     "Saves your character: where you are and what you carry. Leaving "
     "the game saves it too.\n", save},
    {"quit", NULL, 80, true, "quit", "leave the game (type it in full)",
     "Saves your character and leaves the game. It must be typed in "
     "full, so that no abbreviation ends a game by accident.\n", quit},
};
/* book: end */

int game_register(command_table *t)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (command_add(t, &builtins[i]) < 0)
            return -1;
    return 0;
}

/* book: execute */
enum command_result game_execute(struct player *p, char *line)
{
    struct room *r = p->body.room;
    const char *exits[MAX_EXITS];
    size_t n = r->nexits < MAX_EXITS ? r->nexits : MAX_EXITS;
    for (size_t i = 0; i < n; i++)
        exits[i] = r->exits[i].name;
    struct command_match m;
    command_parse(mud_commands(p->mud), line, exits, n, &m);
    switch (m.kind) {
    case COMMAND_EMPTY:
        break;
    case COMMAND_FOUND:
        return m.command->run(p, m.arg, m.command);
    case COMMAND_EXIT:
        go(p, &r->exits[m.exit]);
        break;
    case COMMAND_FULL:
        mud_tell(p, "Type '%s' in full to %s.\n", m.command->name,
                 m.command->name);
        break;
    case COMMAND_UNKNOWN:
        mud_tell(p, "Huh? '%s' is not a command. Type 'help' for the "
                 "list.\n", m.word);
        break;
    }
    return COMMAND_OK;
}
/* book: end */
