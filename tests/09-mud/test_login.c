/*
 * test_login.c - step 09: logging in, over real loopback connections to a
 * server in the same process: new characters, existing ones, wrong
 * passwords, the exact echo-off bytes, hashes in the store, taking over a
 * body, and the idle limit at the login prompt.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <string.h>

#include "mudtest.h"
#include "player.h"

#define WILL_ECHO "\xff\xfb\x01"
#define WONT_ECHO "\xff\xfc\x01"

static struct mt_server srv;

/* Runs script with a server made from cfg (the test clock on). */
static void with_server(const char *section, struct mud_config *cfg,
                        void (*script)(void *))
{
    mt_watch(section);
    mt_clock();
    mt_start(&srv, cfg);
    mt_go(script, &srv);
    mt_run();
    mt_finish(&srv);
}

/* ---- a new character ---- */

static void new_character(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *c = mt_connect(s, "client", 0);
    mt_expect(c, "Welcome to Larkhollow.\r\nWhat is your name? " GA, S_LOGIN);
    mt_line(c, "aLiCe");
    /* The exact bytes: echo off before the prompt, ... */
    mt_expect(c, "Alice is a new name here.\r\n" WILL_ECHO
                 "Choose a password: " GA, S_PASSWORDS);
    mt_line(c, "secret1");
    /* ... back on once the password is read, with the line end the
     * client did not echo; off again for the second one. */
    mt_expect(c, WONT_ECHO "\r\n" WILL_ECHO "Type it again: " GA,
              S_PASSWORDS);
    mt_line(c, "secret2");
    mt_expect(c, WONT_ECHO "\r\nPasswords differ.\r\n" WILL_ECHO
                 "Choose a password: " GA, S_LOGIN);
    mt_line(c, "abc");
    mt_expect(c, "A password has 4 to 72 characters.", S_LOGIN);
    mt_expect(c, "Choose a password: " GA, S_LOGIN);
    mt_line(c, "secret1");
    mt_expect(c, "Type it again: " GA, S_LOGIN);
    mt_line(c, "secret1");
    mt_expect(c, WONT_ECHO "\r\nThe Village Square\r\n", S_LOGIN);
    mt_expect(c, PROMPT, S_LOGIN);
    mt_close(c);

    /* The store holds a salted hash, never the password. */
    struct player_store *store = mud_config(s->mud)->store;
    struct player_record r;
    mt_settle(); /* Alice's session ends and saves */
    check(store->load(store, "alice", &r) == 0, S_PASSWORDS,
          "after creating Alice, the store should hold her record");
    check(strncmp(r.hash, "$y$", 3) == 0 && strstr(r.hash, "secret1") == NULL,
          S_PASSWORDS, "the stored hash should be yescrypt's ($y$...), "
          "without the password in it; got \"%s\"", r.hash);
    check(player_check("secret1", r.hash) && !player_check("secret2", r.hash),
          S_PASSWORDS, "player_check should accept the password and only it");
    mt_stop(s);
}

static void test_new_character(void **state)
{
    (void)state;
    struct mud_config cfg = mt_config();
    with_server(S_LOGIN, &cfg, new_character);
}

/* ---- names ---- */

static void bad_names(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *c = mt_connect(s, "client", 0);
    const char *bad[] = {"x", "Bob99", "seventeen-letters", "a b",
                         "abcdefghijklmnopq"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mt_expect(c, "What is your name? " GA, S_LOGIN);
        mt_line(c, "%s", bad[i]);
        mt_expect(c, "A name has 2 to 16 letters, and nothing else.\r\n",
                  S_LOGIN);
    }
    mt_expect(c, "What is your name? " GA, S_LOGIN);
    /* A name split by a telnet command (IAC NOP) across two sends. */
    mt_send(c, "Bo\xff");
    mt_settle();
    mt_send(c, "\xf1" "b\r\n");
    mt_expect(c, "Bob is a new name here.", S_TELNET);
    mt_close(c);
    mt_stop(s);
}

static void test_bad_names(void **state)
{
    (void)state;
    struct mud_config cfg = mt_config();
    with_server(S_LOGIN, &cfg, bad_names);
}

/* ---- existing characters and wrong passwords ---- */

static void existing_character(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *c = mt_new_player(s, "Carol", "hunter22");
    mt_line(c, "quit");
    mt_expect(c, "Goodbye, Carol.\r\n", S_LOGIN);
    mt_expect_eof(c, S_LOGIN);
    mt_close(c);

    c = mt_connect(s, "carol again", 0);
    mt_expect(c, "What is your name? " GA, S_LOGIN);
    mt_line(c, "CAROL");
    mt_expect(c, WILL_ECHO "Password: " GA, S_PASSWORDS);
    mt_line(c, "hunter2");
    mt_expect(c, WONT_ECHO "\r\nWrong password.\r\n" WILL_ECHO "Password: "
                 GA, S_PASSWORDS);
    mt_line(c, "hunter22");
    mt_expect(c, WONT_ECHO "\r\nThe Village Square", S_LOGIN);
    mt_expect(c, PROMPT, S_LOGIN);
    mt_close(c);
    mt_stop(s);
}

static void test_existing_character(void **state)
{
    (void)state;
    struct mud_config cfg = mt_config();
    with_server(S_LOGIN, &cfg, existing_character);
}

static void three_wrong(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *c = mt_new_player(s, "Dave", "letmein");
    mt_line(c, "quit");
    mt_expect_eof(c, S_LOGIN);
    mt_close(c);

    c = mt_connect(s, "intruder", 0);
    mt_expect(c, "What is your name? " GA, S_LOGIN);
    mt_line(c, "dave");
    for (int i = 0; i < 2; i++) {
        mt_expect(c, "Password: " GA, S_LOGIN);
        mt_line(c, "guess%d", i);
        mt_expect(c, "Wrong password.\r\n", S_LOGIN);
    }
    mt_expect(c, "Password: " GA, S_LOGIN);
    mt_line(c, "guess2");
    mt_expect(c, WONT_ECHO "\r\nThree wrong passwords. Goodbye.\r\n", S_LOGIN);
    mt_expect_eof(c, S_LOGIN);
    check(!mt_skipped(c, "Password"), S_LOGIN,
          "after the third wrong password, no fourth try should be offered");
    mt_close(c);
    check_eq(mud_player_count(s->mud), 0, S_LOGIN,
             "players in the game after a failed login");
    mt_stop(s);
}

static void test_three_wrong_passwords(void **state)
{
    (void)state;
    struct mud_config cfg = mt_config();
    with_server(S_LOGIN, &cfg, three_wrong);
}

/* ---- taking over ---- */

static void take_over(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *old = mt_new_player(s, "Erin", "pass1234");
    struct mt_client *bob = mt_new_player(s, "Bob", "bobpass1");
    mt_expect(old, "Bob has entered the game.\r\n", S_LOGIN);
    mt_line(old, "get lamp");
    mt_expect(old, "You get a brass lamp.\r\n", S_TAKEOVER);
    mt_expect(old, PROMPT, S_TAKEOVER);

    struct mt_client *new = mt_login(s, "erin", "pass1234");
    check(mt_skipped(new, "You take over Erin, already in the game.\r\n"),
          S_TAKEOVER, "the new connection should be told it takes over "
          "Erin; it got \"%s\"", mt_show(new->skipped, new->skipped_len));
    mt_expect(old, "Someone has logged in as you from elsewhere. Goodbye."
                   "\r\n", S_TAKEOVER);
    mt_expect_eof(old, S_TAKEOVER);
    mt_close(old);

    mt_line(new, "inventory");
    mt_expect(new, "You carry:\r\n  a brass lamp\r\n", S_TAKEOVER);
    mt_line(new, "who");
    mt_expect(new, "Players in the game (2):\r\n  Erin\r\n  Bob\r\n",
              S_TAKEOVER);
    mt_line(new, "say still here");
    mt_expect(bob, "Erin says, 'still here'\r\n", S_TAKEOVER);
    check(!mt_skipped(bob, "Erin has left") && !mt_skipped(bob, "lost the "
          "link"), S_TAKEOVER, "a takeover is not a departure: Bob should "
          "not hear that Erin left");
    mt_close(new);
    mt_close(bob);
    mt_stop(s);
}

static void test_take_over(void **state)
{
    (void)state;
    struct mud_config cfg = mt_config();
    with_server(S_TAKEOVER, &cfg, take_over);
}

/* ---- idle at the login prompt ---- */

static void idle_login(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *c = mt_connect(s, "sleepy", 0);
    mt_expect(c, "What is your name? " GA, S_IDLE);
    mt_advance(59 * TIMER_MS(1000));
    mt_settle();
    mt_expect_nothing(c, S_IDLE);
    mt_advance(2 * TIMER_MS(1000));
    mt_expect(c, "Too slow; goodbye.\r\n", S_IDLE);
    mt_expect_eof(c, S_IDLE);
    mt_close(c);

    /* The same in the middle of the password. */
    c = mt_connect(s, "sleepy", 0);
    mt_expect(c, "What is your name? " GA, S_IDLE);
    mt_line(c, "Frank");
    mt_expect(c, "Choose a password: " GA, S_IDLE);
    mt_advance(61 * TIMER_MS(1000));
    mt_expect(c, WONT_ECHO "\r\nToo slow; goodbye.\r\n", S_IDLE);
    mt_expect_eof(c, S_IDLE);
    mt_close(c);
    mt_stop(s);
}

static void test_idle_at_login(void **state)
{
    (void)state;
    struct mud_config cfg = mt_config();
    with_server(S_IDLE, &cfg, idle_login);
}

/* ---- a record that cannot be read ---- */

/* A store whose record of Carol goes bad while she types her password:
 * the first load finds no record, the second fails with EIO. */
struct flaky_store {
    struct player_store ops;
    int loads, saves;
};

static int flaky_load(struct player_store *s, const char *name,
                      struct player_record *r)
{
    struct flaky_store *f = (struct flaky_store *)s;
    (void)name, (void)r;
    errno = f->loads++ == 0 ? ENOENT : EIO;
    return -1;
}

static int flaky_save(struct player_store *s, const struct player_record *r)
{
    (void)r;
    ((struct flaky_store *)s)->saves++;
    return 0;
}

static void flaky_close(struct player_store *s)
{
    (void)s;
}

static struct flaky_store flaky = {
    .ops = {flaky_load, flaky_save, flaky_close, "nowhere"}};

static void unreadable(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *c = mt_connect(s, "Carol", 0);
    mt_expect(c, "What is your name? " GA, S_LOGIN);
    mt_line(c, "Carol");
    mt_expect(c, "Choose a password: " GA, S_LOGIN);
    mt_line(c, "carolpw");
    mt_expect(c, "Type it again: " GA, S_LOGIN);
    mt_line(c, "carolpw");
    mt_expect(c, "Sorry, Carol cannot be loaded now.\r\n", S_LOGIN);
    mt_expect_eof(c, S_LOGIN);
    check(flaky.saves == 0, S_LOGIN,
          "the second load of Carol failed with EIO, so the login must "
          "refuse her and never save over a record it could not read; it "
          "saved %d time(s)", flaky.saves);
    mt_close(c);
    mt_stop(s);
}

static void test_unreadable_record_is_never_overwritten(void **state)
{
    (void)state;
    struct mud_config cfg = mt_config();
    cfg.store = &flaky.ops;
    with_server(S_LOGIN, &cfg, unreadable);
}

HARNESS_TESTS("chapters/09-mud.md",
              cmocka_unit_test(test_new_character),
              cmocka_unit_test(test_bad_names),
              cmocka_unit_test(test_existing_character),
              cmocka_unit_test(test_three_wrong_passwords),
              cmocka_unit_test(test_take_over),
              cmocka_unit_test(test_unreadable_record_is_never_overwritten),
              cmocka_unit_test(test_idle_at_login))
