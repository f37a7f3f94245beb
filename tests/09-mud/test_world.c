/*
 * test_world.c - step 09: the world file loader, on the sample world and
 * on a collection of broken files, each of which must be refused with
 * the right line number and never crash the loader.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mudtest.h"
#include "world.h"
#include "worldfile.h"

static void test_sample_world_loads(void **state)
{
    (void)state;
    struct world *w = mt_sample_world();
    check(w->nrooms >= 20, S_WORLD, "the sample world has %zu rooms; at "
          "least 20 were promised", w->nrooms);
    check(w->name && strcmp(w->name, "Larkhollow") == 0, S_WORLD,
          "the sample world's name: expected \"Larkhollow\", got \"%s\"",
          w->name ? w->name : "(null)");
    check(w->start && strcmp(w->start->id, "square") == 0, S_WORLD,
          "the start room should be 'square'");
    for (size_t i = 0; i < w->nrooms; i++) {
        struct room *r = &w->rooms[i];
        check(r->title && r->desc && r->desc[strlen(r->desc) - 1] == '\n',
              S_WORLD, "room '%s' lacks a title or a description ending "
              "in LF", r->id);
        for (size_t j = 0; j < r->nexits; j++)
            check(r->exits[j].to != NULL, S_WORLD,
                  "exit '%s' of room '%s' leads nowhere", r->exits[j].name,
                  r->id);
    }
    struct room *square = world_find_room(w, "square");
    struct exit *up = world_exit(square, "UP");
    check(up && strcmp(up->to->id, "belfry") == 0, S_WORLD,
          "world_exit(square, \"UP\") should find the exit to the belfry");
    struct item *lamp = world_item_find(&square->items, "bra");
    check(lamp && strcmp(lamp->kind->id, "lamp") == 0, S_WORLD,
          "the brass lamp should lie in the square, found by 'bra'");
    struct body *cat = world_body_find(square, "CAT", NULL);
    check(cat && cat->kind == BODY_NPC &&
              strcmp(((struct npc *)cat->owner)->id, "cat") == 0,
          S_WORLD, "the grey cat should stand in the square");
    struct npc *n = cat->owner;
    check(n->nsays == 2 && n->wander, S_WORLD,
          "the cat has two 'say' lines and wanders");
    struct room *market = world_find_room(w, "market");
    check(world_exit(market, "gate") &&
              strcmp(world_exit(market, "gate")->to->id, "orchard") == 0,
          S_WORLD, "the market's exit 'gate' should lead to the orchard");
    world_free(w);
}

static void test_exits_forward_and_defaults(void **state)
{
    (void)state;
    const char *text =
        "# a comment\n"
        "room a\r\n"
        "  title  First room  \n"
        "desc\n"
        "Line one.\n"
        "\n"
        "  Indented line.   \n"
        " . \n"
        "exit north b\n"
        "room b\n"
        "title Second\n"
        "desc\n"
        "B.\n"
        ".\n"
        "exit south a\n"
        "item stick\n"
        "name a stick\n"
        "desc\n"
        "A stick.\n"
        ".\n"
        "in b\n";
    struct worldfile_error err;
    struct world *w = worldfile_parse(text, strlen(text), "t.txt", &err);
    char msg[512];
    check(w != NULL, S_WORLD, "a good world was refused: %s",
          worldfile_message(&err, msg, sizeof msg));
    check(strcmp(w->name, "t.txt") == 0, S_WORLD,
          "a world without 'name' is named after its file, got \"%s\"",
          w->name);
    check(w->start == &w->rooms[0], S_WORLD,
          "without 'start', the first room is the start");
    check(strcmp(w->rooms[0].title, "First room") == 0, S_WORLD,
          "titles are trimmed: got \"%s\"", w->rooms[0].title);
    check(strcmp(w->rooms[0].desc, "Line one.\n\n  Indented line.\n") == 0,
          S_WORLD, "a description keeps its lines as written (trailing "
          "blanks removed, each ending in LF): got \"%s\"",
          mt_show(w->rooms[0].desc, strlen(w->rooms[0].desc)));
    check(w->rooms[0].exits[0].to == &w->rooms[1], S_WORLD,
          "an exit may lead to a room defined later");
    check(w->rooms[1].items.count == 1 &&
              strcmp(w->kinds[0].keywords, "stick") == 0,
          S_WORLD, "the stick lies in b, with its id as keyword");
    world_free(w);
}

/* ---- broken files ---- */

struct broken {
    const char *why;
    const char *text;
    int line;
    const char *says; /* a piece of the message */
};

#define ROOM_A "room a\ntitle A\ndesc\nA.\n.\n"

static const struct broken broken[] = {
    {"an unknown keyword", ROOM_A "exit north a\ntilte B\n", 7, "tilte"},
    {"a field before any record", "\n\ntitle Lost\n" ROOM_A, 3,
     "before any room"},
    {"a record without an id", ROOM_A "room\n", 6, "needs an id"},
    {"a bad id", "room Big Hall\n", 1, "not a valid id"},
    {"a room defined twice", ROOM_A "\nroom a\n", 7, "already defined at "
     "line 1"},
    {"a room without a title", "room a\ndesc\nA.\n.\nroom b\ntitle B\n", 1,
     "no title"},
    {"a room without a description", "room a\ntitle A\nroom b\n", 1,
     "no description"},
    {"a description that never ends", "room a\ntitle A\ndesc\nA.\nB.\n", 3,
     "never ends"},
    {"an empty description", "room a\ntitle A\ndesc\n.\n", 3, "empty"},
    {"an exit to nowhere", ROOM_A "exit north b\n", 6, "'b', which is not "
     "defined"},
    {"an exit without a target", ROOM_A "exit north\n", 6, "needs a name "
     "and a room"},
    {"two exits of one name", ROOM_A "exit up a\nexit down a\nexit up a\n",
     8, "second exit 'up'"},
    {"two titles", "room a\ntitle A\ndesc\nA.\n.\ntitle B\n", 6,
     "second 'title'"},
    {"an item in no known room", ROOM_A "item x\nname an x\ndesc\nX.\n.\n"
     "in b\n", 11, "'b', which is not defined"},
    {"an npc nowhere", ROOM_A "npc cat\nname a cat\ndesc\nC.\n.\n", 6,
     "has no room"},
    {"wander neither yes nor no", ROOM_A "npc cat\nname a cat\ndesc\nC.\n"
     ".\nin a\nwander often\n", 12, "yes or no"},
    {"an unknown start room", "start hall\n" ROOM_A, 1, "start room 'hall'"},
    {"no room at all", "# nothing\n\nname Void\n", 0, "no room"},
    {"a line too long", NULL, 2, "longer than"},
    {"a NUL byte", NULL, 3, "NUL"},
};

static void test_broken_files(void **state)
{
    (void)state;
    static char text[4096];
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        const struct broken *b = &broken[i];
        size_t n;
        if (b->text) {
            n = strlen(b->text);
            memcpy(text, b->text, n);
        } else if (strcmp(b->why, "a NUL byte") == 0) {
            static const char nul[] = "room a\ntitle A\nde\0sc\n";
            n = sizeof nul - 1;
            memcpy(text, nul, n);
        } else {
            n = (size_t)snprintf(text, sizeof text, "room a\ntitle ");
            memset(text + n, 'x', 1200);
            n += 1200;
            text[n++] = '\n';
        }
        struct worldfile_error err;
        errno = 0;
        struct world *w = worldfile_parse(text, n, "bad.txt", &err);
        char msg[512];
        worldfile_message(&err, msg, sizeof msg);
        check(w == NULL, S_WORLD, "%s: the file was accepted", b->why);
        check(errno == EINVAL, S_WORLD, "%s: errno should be EINVAL, got %d",
              b->why, errno);
        check(err.line == b->line, S_WORLD,
              "%s: expected the error at line %d, got line %d (\"%s\")",
              b->why, b->line, err.line, msg);
        check(strstr(err.text, b->says) != NULL, S_WORLD,
              "%s: expected a message saying \"%s\", got \"%s\"", b->why,
              b->says, msg);
        char want[64];
        snprintf(want, sizeof want, b->line ? "bad.txt:%d: " : "bad.txt: ",
                 b->line);
        check(strncmp(msg, want, strlen(want)) == 0, S_WORLD,
              "%s: worldfile_message should start \"%s\", got \"%s\"",
              b->why, want, msg);
    }
}

static void test_every_prefix_of_a_file(void **state)
{
    (void)state;
    /* Cut the sample world at many points: each prefix must load or be
     * refused with an error, and never crash or leak. */
    FILE *f = fopen(mt_sample_path(), "rb");
    check(f != NULL, S_WORLD, "cannot open %s", mt_sample_path());
    static char text[65536];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    for (size_t cut = 0; cut <= n; cut += 97) {
        struct worldfile_error err;
        struct world *w = worldfile_parse(text, cut, "cut.txt", &err);
        if (w == NULL)
            check(err.text[0] != '\0', S_WORLD,
                  "the first %zu bytes were refused without a message", cut);
        world_free(w);
    }
}

static void test_missing_file(void **state)
{
    (void)state;
    struct worldfile_error err;
    errno = 0;
    struct world *w = worldfile_load("no/such/world.txt", &err);
    check(w == NULL && errno == ENOENT, S_WORLD,
          "loading a missing file: expected NULL with errno ENOENT, got "
          "errno %d", errno);
    check(err.line == 0 && strstr(err.text, "No such file"), S_WORLD,
          "the message for a missing file should say so, got \"%s\"",
          err.text);
}

HARNESS_TESTS("chapters/09-mud.md",
              cmocka_unit_test(test_sample_world_loads),
              cmocka_unit_test(test_exits_forward_and_defaults),
              cmocka_unit_test(test_broken_files),
              cmocka_unit_test(test_every_prefix_of_a_file),
              cmocka_unit_test(test_missing_file))
