/*
 * test_play.c - step 09: players in the game, over loopback connections
 * to a server in the same process: talking (say, tell, emote), who, items
 * (get, drop, inventory), walking and looking, help, save and quit, and
 * what telnet brings into a game: the byte 255, commands split across
 * reads, EOR prompts.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <string.h>

#include "mudtest.h"

static struct mt_server srv;

static void with_server(const char *section, void (*script)(void *))
{
    mt_watch(section);
    mt_clock();
    struct mud_config cfg = mt_config();
    mt_start(&srv, &cfg);
    mt_go(script, &srv);
    mt_run();
    mt_finish(&srv);
}

/* Sends a command and waits for its prompt; what came before it is in
 * c->skipped. */
static void command(struct mt_client *c, const char *line)
{
    mt_line(c, "%s", line);
    mt_expect(c, PROMPT, S_SERVER);
}

#define check_saw(c, text, section)                                        \
    check(mt_skipped(c, text), section,                                    \
          "%s expected \"%s\", and got \"%s\"", (c)->name, mt_show(text,  \
          strlen(text)), mt_show((c)->skipped, (c)->skipped_len))

/* ---- talking ---- */

static void talking(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *a = mt_new_player(s, "Alice", "alicepw");
    struct mt_client *b = mt_new_player(s, "Bob", "bobpass");
    mt_expect(a, "Bob has entered the game.\r\n", S_SERVER);

    command(a, "say Hello, Bob!");
    check_saw(a, "You say, 'Hello, Bob!'\r\n", S_SERVER);
    mt_expect(b, "Alice says, 'Hello, Bob!'\r\n", S_SERVER);
    command(b, "'hi");
    mt_expect(a, "Bob says, 'hi'\r\n", S_SERVER);
    command(b, "emote waves.");
    check_saw(b, "Bob waves.\r\n", S_SERVER);
    mt_expect(a, "Bob waves.\r\n", S_SERVER);
    command(a, ":grins");
    mt_expect(b, "Alice grins\r\n", S_SERVER);

    /* tell reaches one player, wherever: Bob walks away first. */
    command(b, "north");
    mt_expect(a, "Bob leaves north.\r\n", S_SERVER);
    command(a, "tell bob psst, come back");
    check_saw(a, "You tell Bob, 'psst, come back'\r\n", S_SERVER);
    mt_expect(b, "Alice tells you, 'psst, come back'\r\n", S_SERVER);
    command(a, "tell nobody hello");
    check_saw(a, "Nobody called 'nobody' is in the game.\r\n", S_SERVER);
    command(a, "tell bob");
    check_saw(a, "Tell whom what?", S_SERVER);
    command(a, "say");
    check_saw(a, "Say what?\r\n", S_SERVER);

    command(a, "who");
    check_saw(a, "Players in the game (2):\r\n  Alice\r\n  Bob\r\n",
              S_SERVER);
    mt_close(b);
    mt_settle();
    command(a, "who");
    check_saw(a, "Players in the game (1):\r\n  Alice\r\n", S_SERVER);
    mt_close(a);
    mt_stop(s);
}

static void test_talking(void **state)
{
    (void)state;
    with_server(S_SERVER, talking);
}

/* ---- empty lines ---- */

/* conn_read_line returns 0 both for an empty line (with the line "") and
 * for the end of the stream (with no line): only the second ends a
 * session. */
static void empty_lines(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *a = mt_connect(s, "Alice", 0);
    mt_expect(a, "What is your name? " GA, S_LOGIN);
    mt_line(a, "%s", "");
    mt_expect(a, "A name has 2 to 16 letters, and nothing else.\r\n"
                 "What is your name? " GA, S_LOGIN);
    mt_line(a, "Alice");
    mt_expect(a, "Choose a password: " GA, S_LOGIN);
    mt_line(a, "alicepw");
    mt_expect(a, "Type it again: " GA, S_LOGIN);
    mt_line(a, "alicepw");
    mt_expect(a, PROMPT, S_LOGIN);
    struct mt_client *b = mt_new_player(s, "Bob", "bobpass");
    mt_expect(a, "Bob has entered the game.\r\n", S_SERVER);

    command(a, "");
    check(a->skipped_len == 0, S_SERVER,
          "an empty line should only bring a new prompt, and Alice got "
          "\"%s\" before it", mt_show(a->skipped, a->skipped_len));
    command(a, "   ");
    command(b, "who");
    check_saw(b, "Players in the game (2):\r\n  Alice\r\n  Bob\r\n",
              S_SERVER);
    mt_settle();
    mt_expect_nothing(b, S_SERVER);
    mt_close(a);
    mt_close(b);
    mt_stop(s);
}

static void test_empty_lines_keep_the_session(void **state)
{
    (void)state;
    with_server(S_SERVER, empty_lines);
}

/* ---- the byte 255 ---- */

static void byte_255(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *a = mt_new_player(s, "Alice", "alicepw");
    struct mt_client *b = mt_new_player(s, "Bob", "bobpass");
    /* Byte 255 travels as IAC IAC, both ways. */
    mt_send(a, "say caf\xff\xff!\r\n");
    mt_expect(a, "You say, 'caf\xff\xff!'\r\n", S_LINES);
    mt_expect(b, "Alice says, 'caf\xff\xff!'\r\n", S_LINES);
    /* A telnet command in the middle of a line, cut across reads. */
    mt_send(b, "say o\xff");
    mt_settle();
    mt_send(b, "\xfd");
    mt_settle();
    mt_send(b, "\x18k\r\n");
    mt_expect(b, "\xff\xfc\x18", S_TELNET); /* WONT TTYPE */
    mt_expect(a, "Bob says, 'ok'\r\n", S_TELNET);
    mt_close(a);
    mt_close(b);
    mt_stop(s);
}

static void test_byte_255_and_split_commands(void **state)
{
    (void)state;
    with_server(S_LINES, byte_255);
}

/* ---- prompts ---- */

static void eor_prompts(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *c = mt_connect(s, "client", 0);
    mt_expect(c, "What is your name? " GA, S_PROMPTS);
    mt_send(c, "\xff\xfd\x19" "Gina\r\n"); /* DO EOR, and a name */
    mt_expect(c, "Choose a password: " EOR, S_PROMPTS);
    /* The DO ECHO and DONT ECHO that answer the server's WILL and WONT
     * are replies: the server must not answer them. */
    mt_send(c, "\xff\xfd\x01" "ginapass\r\n\xff\xfe\x01");
    mt_expect(c, "Type it again: " EOR, S_PROMPTS);
    mt_send(c, "\xff\xfd\x01" "ginapass\r\n\xff\xfe\x01");
    mt_expect(c, "> " EOR, S_PROMPTS);
    mt_settle();
    mt_expect_nothing(c, S_OPTIONS);
    check(!mt_skipped(c, "\xff\xfb\x01") && !mt_skipped(c, "\xff\xfe") &&
              !mt_skipped(c, "\xff\xfd"),
          S_OPTIONS, "the server answered a reply: \"%s\"",
          mt_show(c->skipped, c->skipped_len));
    mt_close(c);
    mt_stop(s);
}

static void test_eor_prompts_and_replies(void **state)
{
    (void)state;
    with_server(S_PROMPTS, eor_prompts);
}

/* ---- things ---- */

static void things(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *a = mt_new_player(s, "Alice", "alicepw");
    struct mt_client *b = mt_new_player(s, "Bob", "bobpass");
    command(a, "look");
    check_saw(a, "A brass lamp lies here.\r\n", S_SERVER);
    check_saw(a, "A grey cat is here.\r\nBob is here.\r\n", S_SERVER);
    command(a, "get lamp");
    check_saw(a, "You get a brass lamp.\r\n", S_SERVER);
    mt_expect(b, "Alice gets a brass lamp.\r\n", S_SERVER);
    command(b, "get lamp");
    check_saw(b, "You see no 'lamp' here.\r\n", S_SERVER);
    command(b, "get cat");
    check_saw(b, "You cannot carry people about.\r\n", S_SERVER);
    command(a, "i");
    check_saw(a, "You carry:\r\n  a brass lamp\r\n", S_SERVER);
    command(b, "inventory");
    check_saw(b, "You carry nothing.\r\n", S_SERVER);
    command(a, "look brass");
    check_saw(a, "A dented brass lamp", S_SERVER);
    command(a, "look cat");
    check_saw(a, "A lean grey cat", S_SERVER);
    command(a, "drop lamp");
    check_saw(a, "You drop a brass lamp.\r\n", S_SERVER);
    mt_expect(b, "Alice drops a brass lamp.\r\n", S_SERVER);
    command(b, "get all");
    check_saw(b, "You get a brass lamp.\r\n", S_SERVER);
    command(b, "drop sword");
    check_saw(b, "You carry no 'sword'.\r\n", S_SERVER);
    mt_close(a);
    mt_close(b);
    mt_stop(s);
}

static void test_get_drop_inventory(void **state)
{
    (void)state;
    with_server(S_SERVER, things);
}

/* ---- walking ---- */

static void walking(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *a = mt_new_player(s, "Alice", "alicepw");
    struct mt_client *b = mt_new_player(s, "Bob", "bobpass");
    command(a, "n");
    check_saw(a, "The Market\r\n", S_COMMANDS);
    check_saw(a, "Exits: south, north, gate.\r\n", S_COMMANDS);
    mt_expect(b, "Alice leaves north.\r\n", S_COMMANDS);
    command(a, "gate");                 /* an exit by its name */
    check_saw(a, "The Orchard\r\n", S_COMMANDS);
    command(a, "ga");                   /* and by a prefix of it */
    check_saw(a, "The Market\r\n", S_COMMANDS);
    command(a, "so");                   /* a prefix of south */
    check_saw(a, "The Village Square\r\n", S_COMMANDS);
    check_saw(a, "Bob is here.\r\n", S_COMMANDS);
    mt_expect(b, "Alice arrives.\r\n", S_COMMANDS);
    command(a, "east");
    command(a, "east");
    check_saw(a, "You cannot go east from here.\r\n", S_COMMANDS);
    command(a, "west");
    command(a, "d");
    check_saw(a, "At the Bottom of the Well\r\n", S_COMMANDS);
    command(a, "tun");
    check_saw(a, "A Forgotten Cellar\r\n", S_COMMANDS);
    command(a, "xyzzy");
    check_saw(a, "Huh? 'xyzzy' is not a command. Type 'help' for the "
                 "list.\r\n", S_COMMANDS);
    command(a, "qu");
    check_saw(a, "Type 'quit' in full to quit.\r\n", S_COMMANDS);
    mt_close(a);
    mt_close(b);
    mt_stop(s);
}

static void test_walking_and_looking(void **state)
{
    (void)state;
    with_server(S_COMMANDS, walking);
}

/* ---- help, save, quit ---- */

static void help_save_quit(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *a = mt_new_player(s, "Alice", "alicepw");
    command(a, "help");
    check_saw(a, "Commands (type 'help COMMAND' for more on one):\r\n",
              S_COMMANDS);
    check_saw(a, "the first in this list wins", S_COMMANDS);
    const char *names[] = {"north", "look", "say", "tell", "emote", "get",
                           "drop", "inventory", "who", "help", "save",
                           "quit"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char line[64], want[64];
        snprintf(line, sizeof line, "help %s", names[i]);
        command(a, line);
        snprintf(want, sizeof want, "Usage: %s", names[i]);
        check_saw(a, want, S_COMMANDS);
    }
    command(a, "help sav");
    check_saw(a, "in the server's memory", S_COMMANDS);
    command(a, "help frobnicate");
    check_saw(a, "There is no command 'frobnicate'.", S_COMMANDS);

    command(a, "e");
    command(a, "get loaf");
    command(a, "save");
    check_saw(a, "Saved: Alice is kept in the server's memory", S_SERVER);
    mt_line(a, "quit");
    mt_expect(a, "Goodbye, Alice.\r\n", S_SERVER);
    mt_expect_eof(a, S_SERVER);
    mt_close(a);

    /* Back where she left, with what she carried. */
    a = mt_login(s, "Alice", "alicepw");
    check_saw(a, "The Bakery\r\n", S_SERVER);
    command(a, "i");
    check_saw(a, "a warm loaf", S_SERVER);
    mt_close(a);
    mt_stop(s);
}

static void test_help_save_quit(void **state)
{
    (void)state;
    with_server(S_COMMANDS, help_save_quit);
}

/* ---- stopping the server ---- */

static void stopping(void *arg)
{
    struct mt_server *s = arg;
    struct mt_client *a = mt_new_player(s, "Alice", "alicepw");
    struct mt_client *b = mt_connect(s, "half-logged-in", 0);
    mt_expect(b, "What is your name? " GA, S_SERVER);
    mt_stop(s);
    mt_expect(a, "The test is over.\r\n", S_SERVER);
    mt_expect_eof(a, S_SERVER);
    mt_expect(b, "The test is over.\r\n", S_SERVER);
    mt_expect_eof(b, S_SERVER);
    mt_close(a);
    mt_close(b);
}

static void test_server_stops_cleanly(void **state)
{
    (void)state;
    with_server(S_SERVER, stopping);
}

HARNESS_TESTS("chapters/09-mud.md",
              cmocka_unit_test(test_talking),
              cmocka_unit_test(test_empty_lines_keep_the_session),
              cmocka_unit_test(test_byte_255_and_split_commands),
              cmocka_unit_test(test_eor_prompts_and_replies),
              cmocka_unit_test(test_get_drop_inventory),
              cmocka_unit_test(test_walking_and_looking),
              cmocka_unit_test(test_help_save_quit),
              cmocka_unit_test(test_server_stops_cleanly))
