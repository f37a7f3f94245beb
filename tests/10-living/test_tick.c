/*
 * test_tick.c - step 10: the world tick, on the test clock: ticks at
 * start + k * tick_ns, autosave spread over the ticks of a period, and
 * lost items put back in their rooms.
 *
 * The server is step 09's (mudtest.h) with a store of the test's own: a
 * store in memory that counts each character's saves, and fails those of
 * one name on purpose. These tests need nothing of step 10 but tick.c.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "livingtest.h"

/* ---- a store that counts ---- */

enum { NAMES = 8 };
static const char *const names[NAMES] = {"Anna", "Bert", "Cara", "Dirk",
                                         "Emma", "Finn", "Gina", "Hugo"};

struct counting_store {
    struct player_store ops; /* first: the interface's pointer is ours */
    struct player_store *inner;
    int saves[NAMES];
    const char *failing;     /* saves of this name fail */
};

static int which(const char *name)
{
    for (int i = 0; i < NAMES; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

static int counting_load(struct player_store *s, const char *name,
                         struct player_record *r)
{
    struct player_store *in = ((struct counting_store *)s)->inner;
    return in->load(in, name, r);
}

static int counting_save(struct player_store *s, const struct player_record *r)
{
    struct counting_store *c = (struct counting_store *)s;
    int i = which(r->name);
    if (i >= 0)
        c->saves[i]++;
    if (c->failing && strcmp(c->failing, r->name) == 0) {
        errno = EIO;
        return -1;
    }
    return c->inner->save(c->inner, r);
}

static void counting_close(struct player_store *s)
{
    (void)s;
}

static struct counting_store store = {
    .ops = {.load = counting_load, .save = counting_save,
            .close = counting_close, .where = "in a counting store"},
};

/* ---- the server ---- */

static struct mt_server srv;

static void with_server(const char *section, void (*script)(void *))
{
    mt_watch(section);
    mt_clock();
    store.inner = player_store_memory();
    check(store.inner != NULL, S_CHECK, "player_store_memory failed");
    struct mud_config cfg = mt_config();
    cfg.store = &store.ops;
    mt_start(&srv, &cfg);
    mt_go(script, &srv);
    mt_run();
    mt_finish(&srv);
    store.inner->close(store.inner);
}

static tick *start(int64_t tick_ns, int64_t autosave_ns, int64_t repop_ns)
{
    struct tick_config cfg = {tick_ns, autosave_ns, repop_ns};
    errno = 0;
    tick *t = tick_start(srv.mud, &cfg);
    check(t != NULL, S_TICK, "tick_start failed: %s", strerror(errno));
    return t;
}

/* ---- ticks ---- */

static void ticking(void *arg)
{
    struct mt_server *s = arg;
    tick *t = start(SECOND, -1, -1);
    mt_advance(SECOND - 1);
    check_eq(tick_count(t), 0, S_TICK,
             "ticks one nanosecond before the first tick_ns has passed");
    mt_advance(1);
    check_eq(tick_count(t), 1, S_TICK,
             "ticks once tick_ns has passed since tick_start was called "
             "(is the start time taken in tick_start itself?)");
    for (int i = 0; i < 4; i++)
        mt_advance(SECOND);
    check_eq(tick_count(t), 5, S_TICK, "ticks after 5 tick_ns");
    /* Late: the missed ticks still come, at once, since each tick's time
     * is start + k * tick_ns, not "one tick_ns after the last". */
    mt_advance(SECOND / 2);
    mt_advance(3 * SECOND);
    check_eq(tick_count(t), 8, S_TICK,
             "ticks after 8.5 tick_ns, the last 3.5 of them at once");
    check_eq(tick_saves(t) + tick_repops(t) + tick_save_failures(t), 0,
             S_TICK, "saves and repops with autosave and repop off");
    tick_stop(t);
    tick_stop(NULL);
    check_eq(timer_count(), 0, S_TICK,
             "timers still armed after tick_stop (the tick still sleeps)");

    struct tick_config bad = {.tick_ns = -1};
    errno = 0;
    check(tick_start(s->mud, &bad) == NULL && errno == EINVAL, S_TICK,
          "tick_start with a negative tick_ns: expected NULL and EINVAL, "
          "got errno %d", errno);
    mt_stop(s);
}

static void test_ticks_come_on_time(void **state)
{
    (void)state;
    with_server(S_TICK, ticking);
}

/* ---- autosave ---- */

static void autosaving(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *c[NAMES];
    for (int i = 0; i < NAMES; i++) {
        c[i] = mt_new_player(s, names[i], "password");
        lt_command(c[i], "east", S_CHECK); /* to the bakery, unsaved */
    }
    memset(store.saves, 0, sizeof store.saves);
    store.failing = "Hugo";

    /* 8 players, 4 ticks a period: 2 saves a tick. */
    tick *t = start(SECOND, 4 * SECOND, -1);
    for (uint64_t k = 1; k <= 4; k++) {
        mt_advance(SECOND);
        check_eq(tick_saves(t) + tick_save_failures(t), 2 * k, S_AUTOSAVE,
                 "saves tried after this many ticks, with 8 players and 4 "
                 "ticks per autosave period (2 each tick)");
    }
    for (int i = 0; i < NAMES; i++)
        check(store.saves[i] == 1, S_AUTOSAVE,
              "over one autosave period, %s was saved %d times, expected "
              "once", names[i], store.saves[i]);
    check_eq(tick_save_failures(t), 1, S_AUTOSAVE,
             "tick_save_failures (Hugo's saves fail)");
    check_eq(tick_saves(t), 7, S_AUTOSAVE, "tick_saves");
    for (int i = 0; i < NAMES - 1; i++) {
        struct player_record r;
        check(store.inner->load(store.inner, names[i], &r) == 0 &&
                  strcmp(r.room, "bakery") == 0,
              S_AUTOSAVE, "after an autosave period, %s's record should "
              "say the bakery, where %s went; it says '%s'", names[i],
              names[i], r.room);
    }
    for (uint64_t k = 5; k <= 8; k++)
        mt_advance(SECOND);
    for (int i = 0; i < NAMES; i++)
        check(store.saves[i] == 2, S_AUTOSAVE,
              "over two autosave periods, %s was saved %d times, expected "
              "twice", names[i], store.saves[i]);
    tick_stop(t);
    store.failing = NULL;
    for (int i = 0; i < NAMES; i++)
        mt_close(c[i]);
    mt_stop(s);
}

static void test_autosave_spreads_over_the_ticks(void **state)
{
    (void)state;
    with_server(S_AUTOSAVE, autosaving);
}

/* ---- repop ---- */

static size_t lamps_in(const struct room *r)
{
    size_t n = 0;
    for (const struct item *it = r->items.first; it; it = it->next)
        n += strcmp(it->kind->id, "lamp") == 0;
    return n;
}

static void repopping(void *arg)
{
    struct mt_server *s = arg;
    struct room *square = world_find_room(s->world, "square");
    struct mt_client *a = mt_new_player(s, "Anna", "password");
    struct mt_client *b = mt_new_player(s, "Bert", "password");
    mt_expect(a, "Bert has entered the game.\r\n", S_CHECK);
    lt_command(a, "get lamp", S_CHECK);
    lt_command(b, "inventory", S_CHECK);
    tick *t = start(SECOND, -1, 3 * SECOND);

    /* Carried: it exists, nothing comes back. */
    for (int i = 0; i < 3; i++)
        mt_advance(SECOND);
    check_eq(tick_repops(t), 0, S_REPOP,
             "repops while Anna carries the lamp (it is not lost)");
    mt_expect_nothing(b, S_REPOP);

    /* Lying in another room: it exists. */
    lt_command(a, "north", S_CHECK);
    lt_command(a, "drop lamp", S_CHECK);
    lt_command(b, "inventory", S_CHECK); /* past "Anna leaves north." */
    for (int i = 0; i < 3; i++)
        mt_advance(SECOND);
    check_eq(tick_repops(t), 0, S_REPOP,
             "repops while the lamp lies in the market (it is not lost)");
    mt_expect_nothing(b, S_REPOP);

    /* Gone with a player who left: put back, once. */
    lt_command(a, "get lamp", S_CHECK);
    mt_line(a, "quit");
    mt_expect_eof(a, S_CHECK);
    mt_close(a);
    check_eq(lamps_in(square), 0, S_CHECK, "lamps in the square");
    mt_advance(2 * SECOND);
    mt_expect_nothing(b, S_REPOP);
    mt_advance(SECOND);
    mt_expect(b, "A brass lamp appears.\r\n", S_REPOP);
    check_eq(tick_repops(t), 1, S_REPOP,
             "repops once the lamp left the game with Anna");
    check_eq(lamps_in(square), 1, S_REPOP, "lamps in the square after repop");
    for (int i = 0; i < 6; i++)
        mt_advance(SECOND);
    check_eq(tick_repops(t), 1, S_REPOP,
             "repops two periods later (the lamp is back: nothing is lost)");
    mt_expect_nothing(b, S_REPOP);
    tick_stop(t);
    mt_close(b);
    mt_stop(s);
}

static void test_lost_items_come_back(void **state)
{
    (void)state;
    with_server(S_REPOP, repopping);
}

HARNESS_TESTS("chapters/10-living.md",
              cmocka_unit_test(test_ticks_come_on_time),
              cmocka_unit_test(test_autosave_spreads_over_the_ticks),
              cmocka_unit_test(test_lost_items_come_back))
