/*
 * test_persist.c - step 10 whole: a living server (living.h) keeping its
 * players in files. Characters come back after a restart where they
 * stood, with what they carried; "save" and autosave write the files; a
 * broken file refuses its login and stays as it was; an admin's
 * "shutdown" and a SIGTERM both stop the server cleanly, telling and
 * saving everyone.
 *
 * Each test runs one or two servers in turn on one folder of its own, as
 * two runs of the program would; the clock is the test clock.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "livingtest.h"

static char dir[PATH_MAX];
static struct lt_server srv;

/* One run of the server on dir, with the script playing its clients. */
static void run_server(const struct living_config *cfg,
                       void (*script)(void *))
{
    mt_clock();
    lt_start(&srv, cfg);
    mt_go(script, &srv);
    mt_run();
    lt_finish(&srv);
}

static void check_record(const char *name, const char *room,
                         const char *item, const char *section,
                         const char *when)
{
    struct player_record r;
    lt_record(dir, name, &r, section);
    check(strcmp(r.room, room) == 0, section,
          "%s, %s's file should say the room '%s'; it says '%s'", when, name,
          room, r.room);
    if (item)
        check(r.nitems == 1 && strcmp(r.items[0], item) == 0, section,
              "%s, %s's file should list one item, '%s'; it lists %zu%s%s",
              when, name, item, r.nitems, r.nitems ? ", the first " : "",
              r.nitems ? r.items[0] : "");
    else
        check(r.nitems == 0, section,
              "%s, %s's file should list no item; it lists %zu", when, name,
              r.nitems);
}

/* ---- a restart ---- */

static void before_restart(void *arg)
{
    struct lt_server *s = arg;
    struct mt_client *a = mt_new_player(&s->mt, "Alice", "alicepw");
    lt_command(a, "get lamp", S_CHECK);
    lt_command(a, "north", S_CHECK);
    mt_line(a, "quit");
    mt_expect(a, "Goodbye, Alice.\r\n", S_FILES);
    mt_expect_eof(a, S_FILES);
    mt_close(a);
    struct mt_client *b = mt_new_player(&s->mt, "Bob", "bobpass");
    lt_command(b, "east", S_CHECK);
    lt_stop(s);
    mt_expect(b, "The test is over.\r\n", S_SHUTDOWN);
    mt_expect_eof(b, S_SHUTDOWN);
    mt_close(b);
}

static void after_restart(void *arg)
{
    struct lt_server *s = arg;
    struct mt_client *c = mt_connect(&s->mt, "someone", 0);
    mt_expect(c, "What is your name? " GA, S_LOGIN);
    mt_line(c, "alice");
    mt_expect(c, "Password: " GA, S_FILES);
    mt_line(c, "bobpass");
    mt_expect(c, "Wrong password.\r\n", S_FILES);
    mt_close(c);

    struct mt_client *a = mt_login(&s->mt, "Alice", "alicepw");
    lt_saw(a, "The Market\r\n", S_FILES);
    lt_command(a, "inventory", S_FILES);
    lt_saw(a, "You carry:\r\n  a brass lamp\r\n", S_FILES);

    struct mt_client *b = mt_login(&s->mt, "Bob", "bobpass");
    lt_saw(b, "The Bakery\r\n", S_FILES);
    mt_close(a);
    mt_close(b);
    lt_stop(s);
}

static void test_characters_survive_a_restart(void **state)
{
    (void)state;
    mt_watch(S_FILES);
    lt_tmpdir(dir);
    struct living_config cfg = lt_config(dir);
    run_server(&cfg, before_restart);
    check_record("Alice", "market", "lamp", S_FILES, "after she quit");
    check_record("Bob", "bakery", NULL, S_SHUTDOWN,
                 "after the server stopped");
    run_server(&cfg, after_restart);
}

/* ---- save ---- */

static void saving(void *arg)
{
    struct lt_server *s = arg;
    struct mt_client *a = mt_new_player(&s->mt, "Alice", "alicepw");
    check_record("Alice", "", NULL, S_FILES, "once she was created");
    lt_command(a, "east", S_CHECK);
    lt_command(a, "get loaf", S_CHECK);
    check_record("Alice", "", NULL, S_FILES,
                 "before 'save' (nothing saves her yet)");
    lt_command(a, "save", S_FILES);
    lt_saw(a, "Saved: Alice is kept ", S_FILES);
    check_record("Alice", "bakery", "loaf", S_FILES, "right after 'save'");
    lt_command(a, "help save", S_FILES);
    lt_saw(a, "Characters are kept ", S_FILES);
    mt_close(a);
    lt_stop(s);
}

static void test_save_writes_the_file_at_once(void **state)
{
    (void)state;
    mt_watch(S_FILES);
    lt_tmpdir(dir);
    struct living_config cfg = lt_config(dir);
    run_server(&cfg, saving);
    check_record("Alice", "bakery", "loaf", S_FILES,
                 "after her connection closed");
}

/* ---- autosave ---- */

static void autosaving(void *arg)
{
    struct lt_server *s = arg;
    struct mt_client *a = mt_new_player(&s->mt, "Alice", "alicepw");
    lt_command(a, "north", S_CHECK);
    mt_advance(2 * SECOND);
    check_record("Alice", "", NULL, S_AUTOSAVE,
                 "2 s into a 3 s autosave period");
    mt_advance(SECOND);
    check_record("Alice", "market", NULL, S_AUTOSAVE,
                 "once a 3 s autosave period has passed (no 'save' typed)");
    tick *t = living_tick(s->l);
    check(t != NULL && tick_saves(t) >= 1, S_AUTOSAVE,
          "living_tick's tick_saves: expected at least 1");
    mt_close(a);
    lt_stop(s);
}

static void test_autosave_writes_the_file(void **state)
{
    (void)state;
    mt_watch(S_AUTOSAVE);
    lt_tmpdir(dir);
    struct living_config cfg = lt_config(dir);
    cfg.tick = (struct tick_config){.tick_ns = SECOND,
                                    .autosave_ns = 3 * SECOND};
    run_server(&cfg, autosaving);
}

/* ---- a broken file ---- */

static const char torn[] = "mud-player 1\nname Bob\n";

static void broken(void *arg)
{
    struct lt_server *s = arg;
    struct mt_client *c = mt_connect(&s->mt, "Bob", 0);
    mt_expect(c, "What is your name? " GA, S_LOGIN);
    mt_line(c, "Bob");
    mt_expect(c, "Sorry, Bob cannot be loaded now.\r\n", S_STRICT);
    mt_expect_eof(c, S_STRICT);
    check(!mt_skipped(c, "new name"), S_STRICT,
          "a character whose file does not parse was taken for a new one: "
          "\"%s\". A load must fail with EINVAL, not ENOENT",
          mt_show(c->skipped, c->skipped_len));
    mt_close(c);
    const char *why = store_last_error(living_store(s->l));
    check(strstr(why, "bob.player:3:") != NULL, S_STRICT,
          "store_last_error: expected \"DIR/bob.player:3: ...\" (the file "
          "ends where the hash should be), got \"%s\"", why);
    lt_stop(s);
}

static void test_broken_file_refused_and_kept(void **state)
{
    (void)state;
    mt_watch(S_STRICT);
    lt_tmpdir(dir);
    const char *path = lt_player_path(dir, "Bob");
    lt_write(path, torn, strlen(torn));
    struct living_config cfg = lt_config(dir);
    run_server(&cfg, broken);
    char text[PLAYERFILE_MAX + 1];
    ssize_t n = lt_read(path, text, sizeof text);
    check(n == (ssize_t)strlen(torn) && memcmp(text, torn, strlen(torn)) == 0,
          S_STRICT, "bob.player must be left as it was, \"%s\"; it now "
          "holds \"%s\"", mt_show(torn, strlen(torn)),
          n < 0 ? "(no file)" : mt_show(text, (size_t)n));
}

/* ---- an admin's shutdown ---- */

static void shutting_down(void *arg)
{
    struct lt_server *s = arg;
    struct mt_client *a = mt_new_player(&s->mt, "Alice", "alicepw");
    struct mt_client *b = mt_new_player(&s->mt, "Bob", "bobpass");
    struct mt_client *c = mt_connect(&s->mt, "half-logged-in", 0);
    mt_expect(c, "What is your name? " GA, S_LOGIN);

    lt_command(b, "shutdown", S_SHUTDOWN);
    lt_saw(b, "Only an admin", S_SHUTDOWN);
    lt_command(b, "shut", S_SHUTDOWN);
    lt_saw(b, "Type 'shutdown' in full", S_SHUTDOWN);
    lt_command(b, "east", S_CHECK);
    lt_command(b, "get loaf", S_CHECK);
    lt_command(a, "help shutdown", S_SHUTDOWN);
    lt_saw(a, "Usage: shutdown", S_SHUTDOWN);
    lt_command(a, "get lamp", S_CHECK);
    lt_command(a, "north", S_CHECK);

    mt_line(a, "shutdown Back in five minutes.");
    mt_expect(a, "Back in five minutes.\r\n", S_SHUTDOWN);
    mt_expect_eof(a, S_SHUTDOWN);
    mt_expect(b, "Back in five minutes.\r\n", S_SHUTDOWN);
    mt_expect_eof(b, S_SHUTDOWN);
    mt_expect(c, "Back in five minutes.\r\n", S_SHUTDOWN);
    mt_expect_eof(c, S_SHUTDOWN);
    mt_close(a);
    mt_close(b);
    mt_close(c);
}

static void test_admin_shutdown_saves_everyone(void **state)
{
    (void)state;
    mt_watch(S_SHUTDOWN);
    lt_tmpdir(dir);
    struct living_config cfg = lt_config(dir);
    const char *admins[] = {"alice", NULL};
    cfg.admins = admins;
    run_server(&cfg, shutting_down); /* lt_finish: living_serve gave 0 */
    check_record("Alice", "market", "lamp", S_SHUTDOWN,
                 "after her shutdown");
    check_record("Bob", "bakery", "loaf", S_SHUTDOWN, "after the shutdown");
}

/* ---- SIGTERM ---- */

static void terminated(void *arg)
{
    struct lt_server *s = arg;
    struct mt_client *a = mt_new_player(&s->mt, "Alice", "alicepw");
    lt_command(a, "east", S_CHECK);
    mt_step("raise(SIGTERM)");
    /* Blocked while the server runs: it waits, pending, for the
     * watcher's read. Unblocked, it would end the test here. */
    raise(SIGTERM);
    mt_expect(a, LIVING_FAREWELL "\r\n", S_SIGNALS);
    mt_expect_eof(a, S_SIGNALS);
    mt_close(a);
}

static void test_sigterm_stops_cleanly(void **state)
{
    (void)state;
    mt_watch(S_SIGNALS);
    lt_tmpdir(dir);
    struct living_config cfg = lt_config(dir);
    cfg.watch_signals = true;
    run_server(&cfg, terminated);
    check_record("Alice", "bakery", NULL, S_SIGNALS, "after a SIGTERM");
    sigset_t now, pending;
    sigprocmask(SIG_BLOCK, NULL, &now);
    sigpending(&pending);
    check(!sigismember(&now, SIGTERM) && !sigismember(&now, SIGINT) &&
              !sigismember(&now, SIGHUP),
          S_SIGNALS, "after living_serve returned, SIGTERM, SIGINT or "
          "SIGHUP is still blocked: the signal mask must be put back");
    check(!sigismember(&pending, SIGTERM), S_SIGNALS,
          "after living_serve returned, a SIGTERM is still pending: the "
          "watcher never read it");
}

HARNESS_TESTS("chapters/10-living.md",
              cmocka_unit_test(test_characters_survive_a_restart),
              cmocka_unit_test(test_save_writes_the_file_at_once),
              cmocka_unit_test(test_autosave_writes_the_file),
              cmocka_unit_test(test_broken_file_refused_and_kept),
              cmocka_unit_test(test_admin_shutdown_saves_everyone),
              cmocka_unit_test(test_sigterm_stops_cleanly))
