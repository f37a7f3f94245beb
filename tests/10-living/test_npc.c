/*
 * test_npc.c - step 10: NPCs as tasklets, on the test clock: each sleeps
 * at least min_ns and at most max_ns between two acts, says its lines as
 * the world file writes them, wanders through real exits, answers a
 * player at once, repeats itself exactly with the same seed, and ends
 * when npc_stop says so.
 *
 * The server is step 09's (mudtest.h), with its "said" hook calling
 * npc_heard: these tests need nothing of step 10 but npc.c.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "livingtest.h"
#include "worldfile.h"

#define MIN_NS (10 * SECOND)
#define MAX_NS (20 * SECOND)

static struct mt_server srv;
static npc_life *life;

static struct npc_config config(uint64_t seed)
{
    return (struct npc_config){.min_ns = MIN_NS, .max_ns = MAX_NS,
                               .seed = seed};
}

static void said(struct player *p, const char *text, void *ctx)
{
    (void)text, (void)ctx;
    npc_heard(life, p->body.room);
}

static void with_server(const char *section, void (*script)(void *))
{
    mt_watch(section);
    mt_clock();
    struct mud_config cfg = mt_config();
    cfg.hooks.said = said;
    mt_start(&srv, &cfg);
    mt_go(script, &srv);
    mt_run();
    mt_finish(&srv);
}

static struct npc *find_npc(const char *id)
{
    for (size_t i = 0; i < srv.world->nnpcs; i++)
        if (strcmp(srv.world->npcs[i].id, id) == 0)
            return &srv.world->npcs[i];
    check(false, S_CHECK, "the sample world has no NPC '%s'", id);
    return NULL;
}

static struct npc_life *start(uint64_t seed)
{
    struct npc_config cfg = config(seed);
    errno = 0;
    life = npc_start(srv.mud, &cfg);
    check(life != NULL, S_NPC, "npc_start failed: %s", strerror(errno));
    mt_settle(); /* the NPCs' tasklets run, and go to sleep */
    return life;
}

/* Whether text holds something npc did in room r: one of its lines as
 * the world file writes it, or its leaving through an exit of r. */
static bool acted(const char *text, const struct npc *n, const struct room *r)
{
    char want[512];
    for (size_t i = 0; i < n->nsays; i++) {
        snprintf(want, sizeof want, "%s\r\n", n->says[i]);
        if (strstr(text, want))
            return true;
    }
    for (size_t i = 0; n->wander && i < r->nexits; i++) {
        snprintf(want, sizeof want, "%c%s leaves %s.\r\n",
                 toupper((unsigned char)n->name[0]), n->name + 1,
                 r->exits[i].name);
        if (strstr(text, want))
            return true;
    }
    return false;
}

/* The next line c gets, without its CR LF. */
static const char *next_line(struct mt_client *c, const char *section)
{
    static char line[1024];
    mt_expect(c, "\r\n", section);
    snprintf(line, sizeof line, "%.*s", (int)c->skipped_len,
             (const char *)c->skipped);
    return line;
}

static bool one_of_says(const char *line, const struct npc *n)
{
    for (size_t i = 0; i < n->nsays; i++)
        if (strcmp(line, n->says[i]) == 0)
            return true;
    return false;
}

/* A new player, taken to a room by the exits in path (blank-separated),
 * with everything that came before its last prompt read. */
static struct mt_client *player_in(struct mt_server *s, const char *name,
                                   const char *path)
{
    struct mt_client *c = mt_new_player(s, name, "password");
    char steps[64];
    snprintf(steps, sizeof steps, "%s", path);
    for (char *save, *dir = strtok_r(steps, " ", &save); dir;
         dir = strtok_r(NULL, " ", &save))
        lt_command(c, dir, S_CHECK);
    return c;
}

/* Reads whatever came before the prompt of a harmless command. */
static void drain(struct mt_client *c)
{
    lt_command(c, "inventory", S_CHECK);
}

/* ---- tasklets, started and stopped ---- */

static const char tiny_world[] =
    "name Tiny\n"
    "room hall\ntitle A Hall\ndesc\nBare.\n.\n"
    "npc statue\nname a statue\ndesc\nStone.\n.\nin hall\n"
    "npc parrot\nname a parrot\ndesc\nGreen.\n.\nin hall\n"
    "say The parrot squawks.\n";

static void tasklets(void *arg)
{
    struct mt_server *s = arg;
    start(1);
    check_eq(npc_count(life), 4, S_NPC,
             "npc_count with the sample world's four NPCs (all have lines)");
    check(timer_count() >= 4, S_NPC,
          "with four NPCs asleep, expected at least 4 timers armed, found "
          "%zu: does each NPC sleep with timer_sleep?", timer_count());
    npc_stop(life);
    life = NULL;
    check_eq(timer_count(), 0, S_NPC,
             "timers still armed after npc_stop (an NPC tasklet still "
             "sleeps)");

    struct npc_config bad = {.min_ns = 2 * SECOND, .max_ns = SECOND};
    errno = 0;
    check(npc_start(s->mud, &bad) == NULL && errno == EINVAL, S_NPC,
          "npc_start with min_ns > max_ns: expected NULL and EINVAL, got "
          "errno %d", errno);

    /* A statue (nothing to say, no wandering) gets no tasklet. */
    struct worldfile_error err;
    struct world *w = worldfile_parse(tiny_world, strlen(tiny_world), "tiny",
                                      &err);
    check(w != NULL, S_CHECK, "the tiny world does not load: %s", err.text);
    struct mud_config cfg = mt_config();
    cfg.world = w;
    struct mud *m = mud_create(&cfg);
    check(m != NULL, S_CHECK, "mud_create failed");
    struct npc_config c = config(1);
    npc_life *l = npc_start(m, &c);
    check(l != NULL, S_NPC, "npc_start failed: %s", strerror(errno));
    check_eq(npc_count(l), 1, S_NPC,
             "npc_count with a statue and a parrot (only the parrot lives)");
    npc_stop(l);
    npc_stop(NULL);
    mud_free(m);
    world_free(w);
    mt_stop(s);
}

static void test_npcs_are_tasklets(void **state)
{
    (void)state;
    with_server(S_NPC, tasklets);
}

/* ---- acting on schedule ---- */

static void schedule(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *c[4] = {
        player_in(s, "Anna", ""),          /* the cat's square */
        player_in(s, "Bert", "east"),      /* Maud's bakery */
        player_in(s, "Cara", "west"),      /* Old Tom's inn */
        player_in(s, "Dirk", "north north"), /* the sheep's road */
    };
    const char *ids[4] = {"cat", "baker", "innkeeper", "sheep"};
    for (int i = 0; i < 4; i++)
        drain(c[i]);
    start(7);

    mt_advance(MIN_NS - 1);
    for (int i = 0; i < 4; i++)
        mt_expect_nothing(c[i], S_CLOCK);
    mt_advance(MAX_NS - MIN_NS + 1);
    for (int i = 0; i < 4; i++) {
        const struct npc *n = find_npc(ids[i]);
        const char *text = lt_take(c[i]);
        check(acted(text, n, n->start), S_NPC,
              "%s shares a room with %s, which must have acted once %lld s "
              "have passed (max_ns): said one of its lines, as the world "
              "file writes them, or left. %s got \"%s\"", c[i]->name,
              n->name, (long long)(MAX_NS / SECOND), c[i]->name,
              mt_show(text, strlen(text)));
    }
    npc_stop(life);
    life = NULL;
    for (int i = 0; i < 4; i++)
        mt_close(c[i]);
    mt_stop(s);
}

static void test_nothing_before_min_everyone_by_max(void **state)
{
    (void)state;
    with_server(S_NPC, schedule);
}

/* ---- min_ns == max_ns: the schedule to the nanosecond ---- */

static void exact(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *b = player_in(s, "Bert", "east");
    struct npc_config cfg = {.min_ns = MIN_NS, .max_ns = MIN_NS, .seed = 9};
    life = npc_start(s->mud, &cfg);
    check(life != NULL, S_NPC, "npc_start failed: %s", strerror(errno));
    mt_settle();
    const struct npc *maud = find_npc("baker");
    for (int i = 1; i <= 3; i++) {
        mt_advance(MIN_NS - 1);
        mt_expect_nothing(b, S_CLOCK);
        mt_advance(1);
        const char *line = next_line(b, S_CLOCK);
        check(one_of_says(line, maud), S_CLOCK,
              "with min_ns = max_ns = %lld s, Maud must speak exactly every "
              "%lld s; at act %d Bert got \"%s\"",
              (long long)(MIN_NS / SECOND), (long long)(MIN_NS / SECOND), i,
              line);
        mt_settle();
        mt_expect_nothing(b, S_CLOCK);
    }
    npc_stop(life);
    life = NULL;
    mt_close(b);
    mt_stop(s);
}

static void test_exact_schedule_when_min_is_max(void **state)
{
    (void)state;
    with_server(S_CLOCK, exact);
}

/* ---- wandering ---- */

static void wandering(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *road = player_in(s, "Dirk", "north north");
    struct mt_client *market = player_in(s, "Emma", "north");
    struct mt_client *hills = player_in(s, "Finn", "north north north");
    drain(road);
    drain(market);
    struct npc *sheep = find_npc("sheep");
    struct room *from = sheep->body.room;
    start(3);
    int acts = 0;
    while (sheep->body.room == from && acts < 60) {
        mt_advance(MAX_NS);
        acts++;
    }
    check(sheep->body.room != from, S_NPC,
          "the sheep (wander yes) stayed on the road for %d acts", acts);
    const char *text = lt_take(road);
    const char *at = strstr(text, "A woolly sheep leaves ");
    char dir[64] = "";
    if (at)
        sscanf(at, "A woolly sheep leaves %63[^.].\r\n", dir);
    struct exit *ex = world_exit(from, dir);
    check(at && ex, S_NPC,
          "Dirk on the road expected \"A woolly sheep leaves DIR.\" with DIR "
          "an exit of the road, and got \"%s\"", mt_show(text, strlen(text)));
    check(ex->to == sheep->body.room, S_NPC,
          "the sheep left the road by '%s', which leads to %s, but it "
          "stands in %s", dir, ex->to->id, sheep->body.room->id);
    struct mt_client *there =
        strcmp(ex->to->id, "market") == 0 ? market : hills;
    text = lt_take(there);
    check(strstr(text, "A woolly sheep arrives.\r\n"), S_NPC,
          "%s in the %s expected \"A woolly sheep arrives.\", got \"%s\"",
          there->name, ex->to->id, mt_show(text, strlen(text)));
    npc_stop(life);
    life = NULL;
    mt_close(road);
    mt_close(market);
    mt_close(hills);
    mt_stop(s);
}

static void test_wandering_through_exits(void **state)
{
    (void)state;
    with_server(S_NPC, wandering);
}

/* ---- hearing ---- */

static void hearing(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *a = player_in(s, "Anna", "");
    struct mt_client *b = player_in(s, "Bert", "east");
    drain(a);
    start(5);

    lt_command(a, "say Hello, cat.", S_HEAR);
    const char *line = next_line(a, S_HEAR);
    check(one_of_says(line, find_npc("cat")), S_HEAR,
          "after Anna said something, the cat should answer at once (the "
          "clock has not moved) with one of its lines; Anna got \"%s\"",
          line);
    mt_settle();
    mt_expect_nothing(a, S_HEAR);
    mt_expect_nothing(b, S_HEAR);

    lt_command(b, "say Good morning!", S_HEAR);
    line = next_line(b, S_HEAR);
    check(one_of_says(line, find_npc("baker")), S_HEAR,
          "Maud should answer Bert in the bakery; Bert got \"%s\"", line);
    mt_settle();
    mt_expect_nothing(a, S_HEAR);

    lt_command(a, "emote waves.", S_HEAR);
    mt_settle();
    mt_expect_nothing(a, S_HEAR);

    /* Answering did not bring the next act forward. */
    mt_advance(MIN_NS - 1);
    mt_expect_nothing(a, S_CLOCK);
    mt_advance(MAX_NS - MIN_NS + 1);
    const char *text = lt_take(a);
    const struct npc *cat = find_npc("cat");
    check(acted(text, cat, cat->start), S_NPC,
          "after answering, the cat goes back to its schedule and acts by "
          "max_ns; Anna got \"%s\"", mt_show(text, strlen(text)));
    npc_stop(life);
    life = NULL;
    mt_close(a);
    mt_close(b);
    mt_stop(s);
}

static void test_npcs_answer_at_once(void **state)
{
    (void)state;
    with_server(S_HEAR, hearing);
}

/* ---- chance, repeated ---- */

static char story[2][8192];

/* What Anna in the square sees of 12 acts of every NPC, from the start. */
static void tell_story(struct mt_client *a, char *out, size_t size)
{
    for (size_t i = 0; i < srv.world->nnpcs; i++)
        world_body_move(&srv.world->npcs[i].body, srv.world->npcs[i].start);
    start(42);
    size_t n = 0;
    for (int i = 0; i < 12; i++) {
        mt_advance(MAX_NS / 2 + SECOND / 3);
        n += (size_t)snprintf(out + n, size - n, "%s|", lt_take(a));
    }
    npc_stop(life);
    life = NULL;
}

static void repeating(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *a = player_in(s, "Anna", "");
    drain(a);
    tell_story(a, story[0], sizeof story[0]);
    tell_story(a, story[1], sizeof story[1]);
    check(strcmp(story[0], story[1]) == 0, S_NPC,
          "with the same seed and the same clock, the NPCs must do the "
          "same things: Anna saw \"%s\" the first time and \"%s\" the "
          "second", mt_show(story[0], strlen(story[0])),
          mt_show(story[1], strlen(story[1])));
    check(strlen(story[0]) > 12, S_NPC,
          "in 12 turns of the clock Anna saw nothing at all: \"%s\"",
          story[0]);
    mt_close(a);
    mt_stop(s);
}

static void test_same_seed_same_story(void **state)
{
    (void)state;
    with_server(S_NPC, repeating);
}

HARNESS_TESTS("chapters/10-living.md",
              cmocka_unit_test(test_npcs_are_tasklets),
              cmocka_unit_test(test_nothing_before_min_everyone_by_max),
              cmocka_unit_test(test_exact_schedule_when_min_is_max),
              cmocka_unit_test(test_wandering_through_exits),
              cmocka_unit_test(test_npcs_answer_at_once),
              cmocka_unit_test(test_same_seed_same_story))
