/*
 * test_store.c - step 10: the player files, without a server: the format
 * both ways, the strict reader on a dozen broken files, the folder that
 * store_open makes and cleans, names that must not reach outside it, and
 * a save that fails leaving the old file whole.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "livingtest.h"

#define HASH "$y$j9T$abcdefghijklmnop$0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

static struct player_record alice(void)
{
    struct player_record r = {.name = "Alice", .hash = HASH,
                              .room = "market", .nitems = 2};
    strcpy(r.items[0], "lamp");
    strcpy(r.items[1], "loaf");
    return r;
}

static const char alice_text[] = "mud-player 1\n"
                                 "name Alice\n"
                                 "hash " HASH "\n"
                                 "room market\n"
                                 "item lamp\n"
                                 "item loaf\n"
                                 "end\n";

static void check_same(const struct player_record *got,
                       const struct player_record *want, const char *section,
                       const char *what)
{
    check(strcmp(got->name, want->name) == 0, section,
          "%s: expected the name '%s', got '%s'", what, want->name,
          got->name);
    check(strcmp(got->hash, want->hash) == 0, section,
          "%s: expected the hash '%s', got '%s'", what, want->hash,
          got->hash);
    check(strcmp(got->room, want->room) == 0, section,
          "%s: expected the room '%s', got '%s'", what, want->room,
          got->room);
    check_eq(got->nitems, want->nitems, section, what);
    for (size_t i = 0; i < want->nitems; i++)
        check(strcmp(got->items[i], want->items[i]) == 0, section,
              "%s: expected item %zu to be '%s', got '%s'", what, i,
              want->items[i], got->items[i]);
}

/* ---- the format ---- */

static void test_format_and_parse_round_trip(void **state)
{
    (void)state;
    struct player_record r = alice(), back;
    char buf[PLAYERFILE_MAX];
    size_t n = playerfile_format(&r, buf, sizeof buf);
    check(n == strlen(alice_text) && strcmp(buf, alice_text) == 0, S_FILES,
          "playerfile_format: expected \"%s\", got \"%s\" (length %zu)",
          mt_show(alice_text, strlen(alice_text)), mt_show(buf, n), n);
    struct playerfile_error err = {0};
    check(playerfile_parse(buf, n, &back, &err) == 0, S_STRICT,
          "playerfile_parse refused what playerfile_format wrote: line %d: %s",
          err.line, err.message);
    check_same(&back, &r, S_STRICT, "the record read back");

    /* Like snprintf: the length it needs, whatever the room. */
    char small[10];
    check_eq(playerfile_format(&r, small, sizeof small), strlen(alice_text),
             S_FILES, "playerfile_format's result with a 10-byte buffer");
    check(small[9] == '\0' && strncmp(small, alice_text, 9) == 0, S_FILES,
          "playerfile_format with a 10-byte buffer: expected \"mud-player\" cut "
          "to 9 bytes and a NUL, got \"%s\"", mt_show(small, 9));

    /* A new character, at the start, carrying nothing; and one carrying
     * all it can. */
    struct player_record fresh = {.name = "Bob", .hash = "$y$x"};
    n = playerfile_format(&fresh, buf, sizeof buf);
    const char *want = "mud-player 1\nname Bob\nhash $y$x\nroom\nend\n";
    check(strcmp(buf, want) == 0, S_FILES,
          "playerfile_format of a new character: expected \"%s\", got \"%s\"",
          mt_show(want, strlen(want)), mt_show(buf, n));
    check(playerfile_parse(buf, n, &back, &err) == 0, S_STRICT,
          "playerfile_parse refused \"%s\": line %d: %s", mt_show(buf, n),
          err.line, err.message);
    check_same(&back, &fresh, S_STRICT, "a new character read back");

    struct player_record full = alice();
    full.nitems = PLAYER_ITEMS_MAX;
    for (size_t i = 0; i < PLAYER_ITEMS_MAX; i++)
        snprintf(full.items[i], sizeof full.items[i], "kind-%zu_x", i);
    n = playerfile_format(&full, buf, sizeof buf);
    check(n < sizeof buf && playerfile_parse(buf, n, &back, &err) == 0, S_STRICT,
          "a character with %d items does not read back: line %d: %s",
          PLAYER_ITEMS_MAX, err.line, err.message);
    check_same(&back, &full, S_STRICT, "50 items read back");
}

/* ---- the strict reader ---- */

struct bad {
    const char *why;
    const char *text;
    size_t len;        /* 0: strlen(text) */
    int line;          /* where the error must be */
    const char *says;  /* a word the message must hold */
};

static char long_hash[600], many_items[4096];

static void test_parse_rejects_malformed_files(void **state)
{
    (void)state;
    /* A 256-byte hash; 51 items. */
    snprintf(long_hash, sizeof long_hash,
             "mud-player 1\nname Alice\nhash $%0255d\nroom\nend\n", 0);
    int k = snprintf(many_items, sizeof many_items,
                     "mud-player 1\nname Alice\nhash $y$x\nroom\n");
    for (int i = 0; i < PLAYER_ITEMS_MAX + 1; i++)
        k += snprintf(many_items + k, sizeof many_items - (size_t)k,
                      "item lamp\n");
    snprintf(many_items + k, sizeof many_items - (size_t)k, "end\n");

    static const char nul[] = "mud-player 1\nname Al\0ce\nhash $y$x\nroom\n"
                              "end\n";
    const struct bad bad[] = {
        {"an empty file", "", 0, 1, "mud-player"},
        {"no 'end' (the file was cut short)",
         "mud-player 1\nname Alice\nhash $y$x\nroom\nitem lamp\n", 0, 6,
         "end"},
        {"text after 'end'",
         "mud-player 1\nname Alice\nhash $y$x\nroom\nend\nitem lamp\n", 0, 6,
         "end"},
        {"another version", "mud-player 2\nname Alice\nhash $y$x\nroom\n"
                            "end\n", 0, 1, "mud-player 1"},
        {"the room before the hash",
         "mud-player 1\nname Alice\nroom square\nhash $y$x\nend\n", 0, 3,
         "hash"},
        {"a hash of 256 bytes", long_hash, 0, 3, "hash"},
        {"51 items", many_items, 0, 5 + PLAYER_ITEMS_MAX, "50"},
        {"an item kind that is no id",
         "mud-player 1\nname Alice\nhash $y$x\nroom\nitem Lamp!\nend\n", 0,
         5, "item"},
        {"a NUL byte", nul, sizeof nul - 1, 2, "NUL"},
        {"no LF after 'end'",
         "mud-player 1\nname Alice\nhash $y$x\nroom\nend", 0, 5, "end"},
        {"the name twice",
         "mud-player 1\nname Alice\nname Alice\nhash $y$x\nroom\nend\n", 0,
         3, "name"},
        {"a name that is not a name",
         "mud-player 1\nname B0b\nhash $y$x\nroom\nend\n", 0, 2, "name"},
        {"a name not written as player_name() writes it",
         "mud-player 1\nname alice\nhash $y$x\nroom\nend\n", 0, 2, "name"},
        {"'room ' with a blank and nothing after it",
         "mud-player 1\nname Alice\nhash $y$x\nroom \nend\n", 0, 4, "room"},
        {"a room id in capitals",
         "mud-player 1\nname Alice\nhash $y$x\nroom Square\nend\n", 0, 4,
         "room"},
        {"a hash with a blank in it",
         "mud-player 1\nname Alice\nhash $y$x y\nroom\nend\n", 0, 3, "hash"},
        {"CR LF line ends",
         "mud-player 1\r\nname Alice\r\nhash $y$x\r\nroom\r\nend\r\n", 0, 1,
         "mud-player 1"},
        {"a field the format does not have",
         "mud-player 1\nname Alice\nhash $y$x\nroom\ncolour red\nend\n", 0,
         5, "end"},
        {"a second room after the items",
         "mud-player 1\nname Alice\nhash $y$x\nroom\nitem lamp\nroom well\n"
         "end\n", 0, 6, "room"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const struct bad *b = &bad[i];
        size_t len = b->len ? b->len : strlen(b->text);
        struct player_record r = alice(), before = r;
        struct playerfile_error err = {.line = -1};
        errno = 0;
        int rc = playerfile_parse(b->text, len, &r, &err);
        check(rc == -1 && errno == EINVAL, S_STRICT,
              "%s: expected playerfile_parse to refuse \"%s\" with -1 and "
              "EINVAL, got %d (errno %d)", b->why, mt_show(b->text, len), rc,
              errno);
        check(err.line == b->line, S_STRICT,
              "%s: expected the error on line %d of \"%s\", got line %d "
              "(\"%s\")", b->why, b->line, mt_show(b->text, len), err.line,
              err.message);
        check(strstr(err.message, "expected") &&
                  strstr(err.message, b->says),
              S_STRICT, "%s: expected a message that says what was "
              "expected there (with the word \"expected\" and \"%s\"), got "
              "\"%s\"", b->why, b->says, err.message);
        check(memcmp(&r, &before, sizeof r) == 0, S_STRICT,
              "%s: playerfile_parse changed the record although it refused the "
              "file: a half-loaded character", b->why);
    }
}

/* ---- the folder ---- */

static void test_open_makes_the_folder_and_removes_leftovers(void **state)
{
    (void)state;
    char top[PATH_MAX], dir[PATH_MAX + 16], path[PATH_MAX + 64];
    lt_tmpdir(top);
    snprintf(dir, sizeof dir, "%s/players", top);
    errno = 0;
    struct player_store *s = store_open(dir);
    check(s != NULL, S_FILES, "store_open(\"%s\"), a folder that does not "
          "exist yet: expected a store, got NULL (%s)", dir, strerror(errno));
    struct stat st;
    check(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), S_FILES,
          "store_open(\"%s\") did not create the folder", dir);
    check((st.st_mode & 0777) == 0700, S_FILES,
          "the players' folder has mode %03o, expected 0700 (it holds "
          "password hashes)", st.st_mode & 0777);
    check(s->load && s->save && s->close && s->where, S_FILES,
          "the store from store_open lacks a function or `where`");
    store_close(s);

    /* Leftovers of saves a crash cut short: removed. Anything else:
     * kept. */
    struct player_record r = alice();
    char text[PLAYERFILE_MAX];
    size_t n = playerfile_format(&r, text, sizeof text);
    const char *gone[] = {".alice.player.tmp", ".bob.player.tmp"};
    const char *kept[] = {"alice.player", "notes.txt", ".hidden",
                          "carol.player.tmp"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, gone[i]);
        lt_write(path, text, n / 2);
    }
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, kept[i]);
        lt_write(path, text, n);
    }
    s = store_open(dir);
    check(s != NULL, S_FILES, "store_open on an existing folder failed: %s",
          strerror(errno));
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, gone[i]);
        check(!lt_exists(path), S_ATOMIC, "store_open left the temporary "
              "file %s: a crash's leftover must be removed", gone[i]);
    }
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, kept[i]);
        check(lt_exists(path), S_ATOMIC, "store_open removed %s, which is "
              "no temporary file of its own", kept[i]);
    }
    struct player_record back;
    check(s->load(s, "Alice", &back) == 0, S_FILES,
          "loading Alice after store_open failed: %s (%s)", strerror(errno),
          store_last_error(s));
    check_same(&back, &r, S_FILES, "Alice loaded");
    check(strcmp(store_last_error(s), "") == 0, S_FILES,
          "after a load that worked, store_last_error should be \"\", not "
          "\"%s\"", store_last_error(s));
    store_close(s);
    store_close(NULL);
}

/* ---- names ---- */

static void test_missing_characters_and_bad_names(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX + 64];
    lt_tmpdir(dir);
    struct player_store *s = store_open(dir);
    check(s != NULL, S_FILES, "store_open(%s) failed: %s", dir,
          strerror(errno));
    struct player_record r = alice(), before = r;
    errno = 0;
    check(s->load(s, "Nobody", &r) == -1 && errno == ENOENT, S_FILES,
          "loading a character without a file: expected -1 and ENOENT, "
          "got errno %d (%s)", errno, strerror(errno));
    check(memcmp(&r, &before, sizeof r) == 0, S_FILES,
          "a load that failed changed the record");

    const char *bad[] = {"../etc", "a/b", "..", "", "x", "Alice1",
                         "/etc/passwd", "Seventeen-letters", "al ice"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        int rc = s->load(s, bad[i], &r);
        check(rc == -1 && errno == EINVAL, S_FILES,
              "loading the name \"%s\": expected -1 and EINVAL (not a name, "
              "so no file), got %d and errno %d (%s)", bad[i], rc, errno,
              strerror(errno));
        struct player_record w = alice();
        snprintf(w.name, sizeof w.name, "%s", bad[i]);
        errno = 0;
        rc = s->save(s, &w);
        check(rc == -1 && errno == EINVAL, S_FILES,
              "saving a record named \"%s\": expected -1 and EINVAL, got %d "
              "and errno %d (%s)", bad[i], rc, errno, strerror(errno));
    }
    snprintf(path, sizeof path, "%s/../etc.player", dir);
    check(!lt_exists(path), S_FILES, "a save wrote %s, outside the folder",
          path);
    store_close(s);
}

/* ---- saving and loading files ---- */

static void test_save_then_load_through_files(void **state)
{
    (void)state;
    char dir[PATH_MAX], tmp[PATH_MAX + 64], text[PLAYERFILE_MAX + 1];
    lt_tmpdir(dir);
    struct player_store *s = store_open(dir);
    check(s != NULL, S_FILES, "store_open(%s) failed: %s", dir,
          strerror(errno));
    struct player_record r = alice(), back;
    check(s->save(s, &r) == 0, S_FILES, "saving Alice failed: %s",
          strerror(errno));
    const char *path = lt_player_path(dir, "alice");
    ssize_t n = lt_read(path, text, sizeof text);
    check(n >= 0, S_FILES, "after saving Alice, %s cannot be read: %s",
          path, strerror(errno));
    check(strcmp(text, alice_text) == 0, S_FILES,
          "%s: expected exactly \"%s\", found \"%s\"", path,
          mt_show(alice_text, strlen(alice_text)), mt_show(text, (size_t)n));
    snprintf(tmp, sizeof tmp, "%s/.alice.player.tmp", dir);
    check(!lt_exists(tmp), S_ATOMIC, "after a save, the temporary file %s "
          "is still there: it should have been renamed", tmp);

    check(s->load(s, "ALICE", &back) == 0, S_FILES,
          "loading \"ALICE\" (any case names her) failed: %s (%s)",
          strerror(errno), store_last_error(s));
    check_same(&back, &r, S_FILES, "Alice loaded");

    /* A second save replaces the first. */
    strcpy(r.room, "well");
    r.nitems = 0;
    check(s->save(s, &r) == 0, S_FILES, "saving Alice again failed: %s",
          strerror(errno));
    check(s->load(s, "alice", &back) == 0, S_FILES,
          "loading Alice after a second save failed: %s", strerror(errno));
    check_same(&back, &r, S_FILES, "Alice after a second save");

    /* A whole file, but someone else's. */
    lt_write(lt_player_path(dir, "bob"), alice_text, strlen(alice_text));
    errno = 0;
    check(s->load(s, "Bob", &back) == -1 && errno == EINVAL, S_STRICT,
          "bob.player holding 'name Alice': expected the load to fail with "
          "EINVAL, got errno %d", errno);
    check(strstr(store_last_error(s), "bob.player:2:") != NULL, S_STRICT,
          "store_last_error: expected \"DIR/bob.player:2: ...\", got "
          "\"%s\"", store_last_error(s));

    /* A torn file: its line, with the folder, in store_last_error. */
    lt_write(lt_player_path(dir, "carol"), "mud-player 1\nname Carol\n", 24);
    errno = 0;
    check(s->load(s, "Carol", &back) == -1 && errno == EINVAL, S_STRICT,
          "a torn carol.player: expected the load to fail with EINVAL, got "
          "errno %d", errno);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "%s:3: ", lt_player_path(dir, "carol"));
    check(strncmp(store_last_error(s), want, strlen(want)) == 0, S_STRICT,
          "store_last_error: expected it to start with \"%s\", got \"%s\"",
          want, store_last_error(s));

    /* A file too big to be a record. */
    static char big[PLAYERFILE_MAX + 100];
    memset(big, 'x', sizeof big);
    lt_write(lt_player_path(dir, "dave"), big, sizeof big);
    errno = 0;
    check(s->load(s, "Dave", &back) == -1 && errno == EINVAL, S_STRICT,
          "a %zu-byte dave.player: expected EINVAL, got errno %d",
          sizeof big, errno);
    store_close(s);
}

/* ---- a save that fails ---- */

static void test_failed_save_keeps_the_old_file(void **state)
{
    (void)state;
    char dir[PATH_MAX], tmp[PATH_MAX + 64], text[PLAYERFILE_MAX + 1];
    lt_tmpdir(dir);
    struct player_store *s = store_open(dir);
    check(s != NULL, S_FILES, "store_open(%s) failed: %s", dir,
          strerror(errno));
    struct player_record r = alice();
    check(s->save(s, &r) == 0, S_FILES, "saving Alice failed: %s",
          strerror(errno));

    /* A folder where the temporary file should go: its open fails (even
     * for root, whom file modes do not stop). */
    snprintf(tmp, sizeof tmp, "%s/.alice.player.tmp", dir);
    check(mkdir(tmp, 0700) == 0, S_CHECK, "mkdir %s: %s", tmp,
          strerror(errno));
    strcpy(r.room, "well");
    errno = 0;
    int rc = s->save(s, &r);
    int err = errno;
    check(rc == -1 && err != 0, S_ATOMIC,
          "a save whose temporary file cannot be created: expected -1 and "
          "errno, got %d (errno %d). Does it write the temporary file %s "
          "first, as the atomic replace does?", rc, err, tmp);
    const char *path = lt_player_path(dir, "alice");
    ssize_t n = lt_read(path, text, sizeof text);
    check(n >= 0 && strcmp(text, alice_text) == 0, S_ATOMIC,
          "after a save that failed, %s should hold the old record \"%s\", "
          "but it holds \"%s\"", path,
          mt_show(alice_text, strlen(alice_text)),
          n < 0 ? "(no file)" : mt_show(text, (size_t)n));
    rmdir(tmp);

    /* store_replace on its own: a folder that does not exist. */
    char nowhere[PATH_MAX + 16];
    snprintf(nowhere, sizeof nowhere, "%s/nowhere", dir);
    errno = 0;
    rc = store_replace(nowhere, "x.player", "x\n", 2);
    check(rc == -1 && errno == ENOENT, S_ATOMIC,
          "store_replace into a folder that does not exist: expected -1 "
          "and ENOENT, got %d and errno %d", rc, errno);
    check(store_replace(dir, "notes.txt", "hello\n", 6) == 0, S_ATOMIC,
          "store_replace(dir, \"notes.txt\", ...) failed: %s",
          strerror(errno));
    char notes[PATH_MAX + 16];
    snprintf(notes, sizeof notes, "%s/notes.txt", dir);
    n = lt_read(notes, text, sizeof text);
    check(n == 6 && strcmp(text, "hello\n") == 0, S_ATOMIC,
          "after store_replace, %s should hold \"hello\\n\", not \"%s\"",
          notes, n < 0 ? "(no file)" : mt_show(text, (size_t)n));
    snprintf(tmp, sizeof tmp, "%s/.notes.txt.tmp", dir);
    check(!lt_exists(tmp), S_ATOMIC, "store_replace left %s behind", tmp);
    store_close(s);
}

HARNESS_TESTS("chapters/10-living.md",
              cmocka_unit_test(test_format_and_parse_round_trip),
              cmocka_unit_test(test_parse_rejects_malformed_files),
              cmocka_unit_test(test_open_makes_the_folder_and_removes_leftovers),
              cmocka_unit_test(test_missing_characters_and_bad_names),
              cmocka_unit_test(test_save_then_load_through_files),
              cmocka_unit_test(test_failed_save_keeps_the_old_file))
