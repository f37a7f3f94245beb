/*
 * mudtest.h - what the MUD's tests share: a server in the test's own
 * process, clients that talk to it over loopback, a test clock, and a
 * watchdog.
 *
 * A test starts a server (mt_start), then one tasklet, the *script*,
 * which plays every client in turn: send on one, expect on another. Each
 * expect blocks the script (and only it) until the bytes arrive; the
 * server's tasklets run meanwhile. At the end the script stops the server
 * (mt_stop) and the test frees it (mt_finish).
 *
 * Time is a test clock (timer_set_clock) that stands still until a test
 * moves it (mt_advance): idle limits and the flood limit are reached by
 * moving it, never by waiting. No test sleeps, and none measures time.
 * "Nothing more comes" is checked by mt_settle, which lets every tasklet
 * have its turns (a bounded number of scheduler turns, not a time), then
 * reads without waiting.
 *
 * A client's read waits as long as it takes, under a safety net: a wait
 * that sees nothing at all for a few seconds of real time ends, and the
 * test fails at once showing what did come (a server that will never
 * answer), instead of at the watchdog.
 *
 * The watchdog is a safety net: if a test has not finished after most of
 * the harness's time limit, it names the script's last step, and ends
 * the test with a message instead of a bare timeout.
 */
#ifndef MUDTEST_H
#define MUDTEST_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mud.h"
#include "world.h"

#define S_WHY "Why a MUD is the final exam"
#define S_TELNET "Telnet, and its IAC state machine"
#define S_OPTIONS "Options: refusing, and never answering a reply"
#define S_LINES "Lines, line ends and the byte 255"
#define S_PROMPTS "Prompts: GA and EOR"
#define S_CONN "The connection: a reader, a writer and a queue"
#define S_LOGIN "The login, written as plain code"
#define S_PASSWORDS "Passwords and crypt"
#define S_TAKEOVER "Taking over a body"
#define S_WORLD "The world file"
#define S_COMMANDS "Commands and prefix precedence"
#define S_LINE_MAX "Limits: line length"
#define S_FLOOD "Limits: flood control"
#define S_QUEUE "Limits: the output queue"
#define S_IDLE "Limits: idle timeouts"
#define S_SERVER "The server"

#define GA "\xff\xf9"
#define EOR "\xff\xef"
#define PROMPT "> " GA

/* ---- the test clock ---- */

/* The clock stands at a fixed time until mt_advance moves it; mt_advance
 * (called from the script) then lets the timers that came due fire. */
void mt_clock(void);
void mt_advance(int64_t ns);

/* ---- a server ---- */

struct mt_server {
    struct mud *mud;
    struct world *world;
    int fd;
    struct sockaddr_in addr;
    int rc;          /* what mud_serve returned */
};

/* A mud_config for the tests: the sample world, the cheapest hashes, a
 * burst of 1000 lines (the clock stands still), everything else default. */
struct mud_config mt_config(void);

/* Loads the sample world (if cfg->world is NULL), makes the server, and
 * spawns its tasklet on a listening socket on 127.0.0.1, port chosen by
 * the kernel. */
void mt_start(struct mt_server *s, struct mud_config *cfg);

/* Opens s->fd, listening on 127.0.0.1 on a port the kernel picks, and
 * puts that address in s->addr (mt_start does it; a test that starts a
 * server of its own calls it). */
void mt_listen(struct mt_server *s);

/* From the script: ends mud_serve. */
void mt_stop(struct mt_server *s);

/* From the test, after mt_run: frees everything. */
void mt_finish(struct mt_server *s);

/* The sample world, loaded (the test fails if it does not load), and its
 * path: steps/09-mud/world.txt under $GREEN_WORKBOOK when set (the grader
 * sets it), else under the current folder or the workbook the program
 * was built in. */
struct world *mt_sample_world(void);
const char *mt_sample_path(void);

/* ---- the script ---- */

/* Sets the watchdog; section is what the test is about. */
void mt_watch(const char *section);

/* Spawns the script, fn(arg). */
void mt_go(void (*fn)(void *), void *arg);

/* Runs every tasklet to its end, and checks that they all ended. */
void mt_run(void);

/* The step of the script, for the watchdog's message. */
void mt_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Lets every tasklet run until all that was sent has been delivered and
 * answered: a bounded number of scheduler turns. */
void mt_settle(void);

/* ---- clients ---- */

struct mt_client {
    int fd;
    char name[32];
    size_t len;                 /* bytes in buf, not yet expected */
    unsigned char buf[1 << 16];
    size_t skipped_len;         /* what the last expect went past */
    unsigned char skipped[1 << 16];
    bool eof;
};

/* Connects a new client (on the heap: mt_close frees it); rcvbuf > 0
 * sets SO_RCVBUF first (a client that never reads, with a small window).
 * Expects the server's opening offer, IAC WILL EOR. */
struct mt_client *mt_connect(struct mt_server *s, const char *name,
                             int rcvbuf);

/* Sends bytes as they are. */
void mt_sendn(struct mt_client *c, const void *bytes, size_t n);
void mt_send(struct mt_client *c, const char *text);

/* Sends a line: the text and CR LF. */
void mt_line(struct mt_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reads until the n bytes want have arrived; consumes everything through
 * them (what came before is in c->skipped). The test fails, showing what
 * did come, if the connection ends first, or if the safety net ends a
 * wait. */
void mt_expectn(struct mt_client *c, const void *want, size_t n,
                const char *section);
void mt_expect(struct mt_client *c, const char *want, const char *section);

/* Whether the last expect went past text. */
bool mt_skipped(const struct mt_client *c, const char *text);

/* Reads until the end of the stream (or a reset). */
void mt_expect_eof(struct mt_client *c, const char *section);

/* After mt_settle: nothing has come that was not expected yet. */
void mt_expect_nothing(struct mt_client *c, const char *section);

void mt_close(struct mt_client *c);

/* Connects and creates a character (name and password), up to its first
 * game prompt. */
struct mt_client *mt_new_player(struct mt_server *s, const char *name,
                                const char *password);

/* Connects and logs in as an existing character, up to the game prompt. */
struct mt_client *mt_login(struct mt_server *s, const char *name,
                           const char *password);

/* The bytes as C would write them ("\xff\xfb\x01 ..."), for messages. */
const char *mt_show(const void *bytes, size_t n);

#endif
