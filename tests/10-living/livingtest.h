/*
 * livingtest.h - what the tests of step 10 share: the chapter's sections,
 * a folder of the test's own for player files, a living server (living.h)
 * run the way step 09's tests run a mud, and a few ways to read what
 * clients and files hold.
 *
 * Everything of step 09's tests is here too (../09-mud/mudtest.h): the
 * test clock, the script, the clients, the watchdog. A test starts a
 * server with lt_start instead of mt_start, and the clients connect to
 * its `mt` part as to any server of step 09.
 */
#ifndef LIVINGTEST_H
#define LIVINGTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../09-mud/mudtest.h"
#include "living.h"
#include "npc.h"
#include "store.h"
#include "tick.h"

#define S_CLOCK "Why a world needs a clock"
#define S_NPC "NPCs are tasklets"
#define S_HEAR "NPCs that hear"
#define S_TICK "The world tick"
#define S_AUTOSAVE "Autosave, spread over the ticks"
#define S_REPOP "Putting lost items back"
#define S_FILES "A file per player"
#define S_ATOMIC "The atomic replace"
#define S_FSYNC "What fsync costs a green-thread server"
#define S_STRICT "Reading a player file strictly"
#define S_SHUTDOWN "Shutting down cleanly"
#define S_SIGNALS "Signals, read by a tasklet"
#define S_KILL "Proving it: kill -9, many times"
#define S_TASK "Your task"
#define S_CHECK "Checking your work"
#define S_PITFALLS "Pitfalls"

#define SECOND TIMER_MS(1000)

/* ---- folders and files ---- */

/* Makes a new, empty folder under $TMPDIR (or /tmp) into out (at least
 * PATH_MAX bytes). It is removed, with all it holds, when the test's
 * process exits, whether the test passed or not. */
void lt_tmpdir(char *out);

/* The bytes of the file at path, NUL-terminated, into buf; their count,
 * or -1 with errno (ENOENT: no such file). */
ssize_t lt_read(const char *path, char *buf, size_t size);

/* Writes the file at path (the test fails if it cannot). */
void lt_write(const char *path, const void *bytes, size_t len);

/* Whether something exists at path. */
bool lt_exists(const char *path);

/* The path of name's file in dir: "DIR/alice.player". */
const char *lt_player_path(const char *dir, const char *name);

/* Reads and parses name's file in dir into *r; the test fails, saying
 * what the file holds, if it is missing or does not parse. */
void lt_record(const char *dir, const char *name, struct player_record *r,
               const char *section);

/* ---- a living server ---- */

struct lt_server {
    struct mt_server mt;    /* what mt_connect and the rest use */
    living *l;
    bool served;            /* living_serve has returned (rc in mt.rc) */
};

/* A living_config for the tests: players in dir, no admin, no signals;
 * NPCs and tick at their defaults, which the test clock never reaches
 * unless a test moves it. */
struct living_config lt_config(const char *dir);

/* Loads the sample world, makes the server (living_create, with
 * mt_config's crypt settings) and spawns its tasklet on 127.0.0.1, port
 * chosen by the kernel. */
void lt_start(struct lt_server *s, const struct living_config *cfg);

/* From the script: living_shutdown(l, "The test is over."). */
void lt_stop(struct lt_server *s);

/* From the test, after mt_run: checks that living_serve returned 0 with
 * nobody left in the game, and frees everything. */
void lt_finish(struct lt_server *s);

/* ---- clients ---- */

/* Sends a command and waits for the prompt after it; what came before
 * the prompt is in c->skipped. */
void lt_command(struct mt_client *c, const char *line, const char *section);

/* Whether the last expect went past text, as a check. */
#define lt_saw(c, text, section)                                           \
    check(mt_skipped(c, text), section,                                    \
          "%s expected \"%s\", and got \"%s\"", (c)->name,                 \
          mt_show(text, strlen(text)),                                     \
          mt_show((c)->skipped, (c)->skipped_len))

/* Everything that has come for c so far (call mt_settle first), as a
 * NUL-terminated string; c's buffer is left empty. Valid until the next
 * call. */
const char *lt_take(struct mt_client *c);

#endif
