/*
 * test_limits.c - step 09: the limits that keep one client from hurting
 * the server or the others: the line length, the flood limit, the bounded
 * output queue (a client that never reads is dropped, and nobody waits
 * for it), and the idle limit in the game.
 *
 * Time is the test clock: the flood limit and the idle limit are reached
 * by moving it, never by waiting.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <string.h>

#include "mudtest.h"

static struct mt_server srv;

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

/* ---- line length ---- */

static void long_lines(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *a = mt_new_player(s, "Alice", "alicepw");
    static char line[2048];
    memset(line, 'x', 300);
    memcpy(line + 300, "\r\n", 3);
    mt_send(a, line);
    mt_expect(a, "Line too long (at most 256 characters); it was ignored."
                 "\r\n", S_LINE_MAX);
    /* Cut across two sends: the limit is per line, not per read. */
    mt_sendn(a, line, 200);
    mt_settle();
    mt_sendn(a, line + 200, 100);
    mt_send(a, "\r\n");
    mt_expect(a, "Line too long", S_LINE_MAX);
    /* Exactly the limit is fine, and so is the next line. */
    memcpy(line, "say ", 4);
    memset(line + 4, 'y', 252);
    line[256] = '\0';
    mt_line(a, "%s", line);
    mt_expect(a, "You say, 'yyyy", S_LINE_MAX);
    check(!mt_skipped(a, "Line too long"), S_LINE_MAX,
          "a line of exactly 256 characters was refused");
    mt_line(a, "say ok");
    mt_expect(a, "You say, 'ok'\r\n", S_LINE_MAX);
    mt_close(a);
    mt_stop(s);
}

static void test_line_too_long(void **state)
{
    (void)state;
    struct mud_config cfg = mt_config();
    with_server(S_LINE_MAX, &cfg, long_lines);
}

/* ---- flood ---- */

static void expect_said(struct mt_client *a, int from, int to)
{
    for (int i = from; i <= to; i++) {
        char want[64];
        snprintf(want, sizeof want, "You say, 'c%02d'\r\n" PROMPT, i);
        mt_expect(a, want, S_FLOOD);
    }
}

static void flood(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *a = mt_new_player(s, "Alice", "alicepw");
    mt_advance(10 * TIMER_MS(1000)); /* a full bucket again */

    static char burst[4096];
    size_t n = 0;
    for (int i = 1; i <= 40; i++)
        n += (size_t)snprintf(burst + n, sizeof burst - n, "say c%02d\r\n", i);
    mt_send(a, burst);

    /* 5 at once (the burst), 10 wait (the backlog), 25 are refused. */
    expect_said(a, 1, 5);
    for (int i = 16; i <= 40; i++) {
        char want[96];
        snprintf(want, sizeof want, "Too many commands at once; 'say c%02d' "
                 "was ignored.\r\n", i);
        mt_expect(a, want, S_FLOOD);
        check(!mt_skipped(a, "You say"), S_FLOOD,
              "a waiting line ran before its turn: \"%s\"",
              mt_show(a->skipped, a->skipped_len));
    }
    mt_settle();
    mt_expect_nothing(a, S_FLOOD);

    /* 100 ms is one more line's turn (10 a second). */
    mt_advance(TIMER_MS(100));
    expect_said(a, 6, 6);
    mt_settle();
    mt_expect_nothing(a, S_FLOOD);

    /* Much later, a whole burst again: 5 more, not all 9. */
    mt_advance(10 * TIMER_MS(1000));
    expect_said(a, 7, 11);
    mt_settle();
    mt_expect_nothing(a, S_FLOOD);
    mt_advance(10 * TIMER_MS(1000));
    expect_said(a, 12, 15);
    mt_settle();
    mt_expect_nothing(a, S_FLOOD);

    mt_line(a, "say end");
    mt_expect(a, "You say, 'end'\r\n", S_FLOOD);
    mt_close(a);
    mt_stop(s);
}

static void test_flood_limit(void **state)
{
    (void)state;
    struct mud_config cfg = mt_config();
    cfg.conn.burst = 5;
    cfg.conn.backlog = 10;
    cfg.conn.rate = 10;
    with_server(S_FLOOD, &cfg, flood);
}

/* ---- the output queue ---- */

static void never_reads(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *a = mt_new_player(s, "Alice", "alicepw");
    struct mt_client *c = mt_new_player(s, "Carol", "carolpw");
    /* Bob logs in, then never reads again; his window is small. */
    struct mt_client *b = mt_connect(s, "Bob", 4096);
    mt_expect(b, "What is your name? " GA, S_QUEUE);
    mt_line(b, "Bob");
    mt_expect(b, "Choose a password: " GA, S_QUEUE);
    mt_line(b, "bobpass");
    mt_expect(b, "Type it again: " GA, S_QUEUE);
    mt_line(b, "bobpass");
    mt_expect(b, PROMPT, S_QUEUE);

    static char filler[201];
    memset(filler, 'z', 200);
    bool a_saw = false, c_saw = false;
    int i;
    for (i = 0; i < 2000 && !(a_saw && c_saw); i++) {
        char want[64];
        mt_line(a, "say %04d %s", i, filler);
        snprintf(want, sizeof want, "You say, '%04d", i);
        mt_expect(a, want, S_QUEUE);
        a_saw = a_saw || mt_skipped(a, "Bob is dropped (output queue full).");
        snprintf(want, sizeof want, "Alice says, '%04d", i);
        mt_expect(c, want, S_QUEUE);
        c_saw = c_saw || mt_skipped(c, "Bob is dropped (output queue full).");
    }
    check(i < 2000, S_QUEUE, "Bob never read, and after 2000 lines of 200 "
          "characters he still was not dropped");
    if (!a_saw)
        mt_expect(a, "Bob is dropped (output queue full).\r\n", S_QUEUE);
    if (!c_saw)
        mt_expect(c, "Bob is dropped (output queue full).\r\n", S_QUEUE);

    mt_line(a, "who");
    mt_expect(a, "Players in the game (2):\r\n  Alice\r\n  Carol\r\n",
              S_QUEUE);
    mt_expect_eof(b, S_QUEUE);
    mt_close(a);
    mt_close(b);
    mt_close(c);
    mt_stop(s);
}

static void test_client_that_never_reads(void **state)
{
    (void)state;
    struct mud_config cfg = mt_config();
    cfg.conn.queue_max = 4096;
    cfg.conn.sndbuf = 4096;
    with_server(S_QUEUE, &cfg, never_reads);
}

/* ---- idle in the game ---- */

static void idle_player(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *a = mt_new_player(s, "Alice", "alicepw");
    struct mt_client *b = mt_new_player(s, "Bob", "bobpass");
    mt_expect(a, "Bob has entered the game.\r\n" , S_SERVER);
    mt_advance(9 * 60 * TIMER_MS(1000));
    mt_line(b, "look"); /* Bob is not idle */
    mt_expect(b, PROMPT, S_IDLE);
    mt_settle();
    mt_expect_nothing(a, S_IDLE);
    mt_advance(2 * 60 * TIMER_MS(1000));
    mt_expect(a, "You have been idle too long. Goodbye.\r\n", S_IDLE);
    mt_expect_eof(a, S_IDLE);
    mt_expect(b, "Alice has been idle too long, and fades away.\r\n", S_IDLE);
    mt_line(b, "who");
    mt_expect(b, "Players in the game (1):\r\n  Bob\r\n", S_IDLE);
    mt_close(a);
    mt_close(b);
    mt_stop(s);
}

static void test_idle_in_the_game(void **state)
{
    (void)state;
    struct mud_config cfg = mt_config();
    cfg.idle_ns = 10 * 60 * TIMER_MS(1000);
    with_server(S_IDLE, &cfg, idle_player);
}

HARNESS_TESTS("chapters/09-mud.md",
              cmocka_unit_test(test_line_too_long),
              cmocka_unit_test(test_flood_limit),
              cmocka_unit_test(test_client_that_never_reads),
              cmocka_unit_test(test_idle_in_the_game))
