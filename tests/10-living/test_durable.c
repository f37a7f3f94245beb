/*
 * test_durable.c - step 10: a save reaches the disk in the right order:
 * the temporary file is fsynced before the rename, and the folder after
 * it.
 *
 * No test can pull the power plug, so this one watches instead: the
 * program defines its own fsync, fdatasync, rename, renameat and
 * renameat2, which the linker binds the store's calls to. Each notes
 * what it was called on (which file, which folder, in what order) and
 * then does the real call. A save that skips an fsync, or does them in
 * the wrong order, works perfectly until the day the machine loses
 * power: here it fails.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "livingtest.h"

/* ---- watching the calls ---- */

enum what { FSYNC_FILE, FSYNC_DIR, RENAME };

struct event {
    enum what what;
    struct stat st;          /* the fsynced file or folder */
    char from[NAME_MAX + 1]; /* RENAME: the last parts of both paths */
    char to[NAME_MAX + 1];
};

static struct event events[64];
static size_t nevents;
static bool watching;

static void note_fsync(int fd)
{
    struct stat st;
    if (!watching || nevents == 64 || fstat(fd, &st) < 0)
        return;
    events[nevents++] = (struct event){
        .what = S_ISDIR(st.st_mode) ? FSYNC_DIR : FSYNC_FILE, .st = st};
}

static void note_rename(const char *from, const char *to)
{
    if (!watching || nevents == 64)
        return;
    struct event *e = &events[nevents++];
    *e = (struct event){.what = RENAME};
    const char *f = strrchr(from, '/'), *t = strrchr(to, '/');
    snprintf(e->from, sizeof e->from, "%s", f ? f + 1 : from);
    snprintf(e->to, sizeof e->to, "%s", t ? t + 1 : to);
}

/* The real call: the next definition after this program's. */
#define REAL(name, type) ((type)dlsym(RTLD_NEXT, name))

int fsync(int fd)
{
    note_fsync(fd);
    return REAL("fsync", int (*)(int))(fd);
}

int fdatasync(int fd)
{
    note_fsync(fd);
    return REAL("fdatasync", int (*)(int))(fd);
}

int rename(const char *from, const char *to)
{
    note_rename(from, to);
    return REAL("rename", int (*)(const char *, const char *))(from, to);
}

int renameat(int fromdir, const char *from, int todir, const char *to)
{
    note_rename(from, to);
    return REAL("renameat", int (*)(int, const char *, int, const char *))(
        fromdir, from, todir, to);
}

int renameat2(int fromdir, const char *from, int todir, const char *to,
              unsigned flags)
{
    note_rename(from, to);
    return REAL("renameat2",
                int (*)(int, const char *, int, const char *, unsigned))(
        fromdir, from, todir, to, flags);
}

static const char *show_events(void)
{
    static char out[2048];
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < nevents && n < sizeof out - 64; i++) {
        const struct event *e = &events[i];
        if (e->what == RENAME)
            n += (size_t)snprintf(out + n, sizeof out - n,
                                  "%srename(%s, %s)", i ? ", " : "",
                                  e->from, e->to);
        else
            n += (size_t)snprintf(out + n, sizeof out - n, "%sfsync(%s)",
                                  i ? ", " : "",
                                  e->what == FSYNC_DIR ? "a folder"
                                                       : "a file");
    }
    return nevents ? out : "no fsync and no rename at all";
}

/* ---- the test ---- */

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static size_t open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    size_t n = 0;
    if (d == NULL)
        return 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void test_fsync_file_then_rename_then_fsync_folder(void **state)
{
    (void)state;
    char dir[PATH_MAX], tmp[PATH_MAX + 64];
    lt_tmpdir(dir);
    struct player_store *s = store_open(dir);
    check(s != NULL, S_FILES, "store_open(%s) failed: %s", dir,
          strerror(errno));
    struct player_record r = {.name = "Alice", .hash = "$y$x",
                              .room = "well"};
    size_t fds = open_fds();
    char text[PLAYERFILE_MAX];
    size_t len = playerfile_format(&r, text, sizeof text);

    for (int pass = 0; pass < 2; pass++) { /* a new file, then a replace */
        nevents = 0;
        watching = true;
        int rc = s->save(s, &r);
        watching = false;
        check(rc == 0, S_FILES, "saving Alice failed: %s", strerror(errno));

        struct stat folder;
        check(stat(dir, &folder) == 0, S_CHECK, "stat %s: %s", dir,
              strerror(errno));
        snprintf(tmp, sizeof tmp, "%s/.alice.player.tmp", dir);
        struct stat final;
        check(stat(lt_player_path(dir, "alice"), &final) == 0, S_FILES,
              "after a save, alice.player is not there");

        /* The rename: the temporary name over the real one. */
        size_t ren = nevents;
        for (size_t i = 0; i < nevents; i++)
            if (events[i].what == RENAME &&
                strcmp(events[i].from, ".alice.player.tmp") == 0 &&
                strcmp(events[i].to, "alice.player") == 0)
                ren = i;
        check(ren < nevents, S_ATOMIC,
              "a save: expected rename(\"DIR/.alice.player.tmp\", "
              "\"DIR/alice.player\"); the save made: %s", show_events());

        /* Before it, an fsync of the file that became alice.player, when
         * it held the whole record. */
        bool synced = false;
        for (size_t i = 0; i < ren; i++)
            if (events[i].what == FSYNC_FILE &&
                same_file(&events[i].st, &final) &&
                (size_t)events[i].st.st_size == len)
                synced = true;
        check(synced, S_ATOMIC,
              "a save: expected an fsync of the temporary file, once all "
              "%zu bytes are written, before the rename (else a power cut "
              "can leave alice.player empty); the save made: %s", len,
              show_events());

        /* After it, an fsync of the folder. */
        bool dir_synced = false;
        for (size_t i = ren + 1; i < nevents; i++)
            if (events[i].what == FSYNC_DIR &&
                same_file(&events[i].st, &folder))
                dir_synced = true;
        check(dir_synced, S_FSYNC,
              "a save: expected an fsync of the folder after the rename "
              "(the rename is only on the disk once the folder is); the "
              "save made: %s", show_events());
        r.nitems = 1;
        strcpy(r.items[0], "lamp");
        len = playerfile_format(&r, text, sizeof text);
    }

    struct player_record back;
    for (int i = 0; i < 3; i++) {
        check(s->load(s, "Alice", &back) == 0, S_FILES,
              "loading Alice failed: %s", strerror(errno));
        check(s->save(s, &back) == 0, S_FILES, "saving Alice failed: %s",
              strerror(errno));
        errno = 0;
        check(s->load(s, "Nobody", &back) < 0 && errno == ENOENT, S_FILES,
              "loading Nobody: expected ENOENT, got %s", strerror(errno));
    }
    check(open_fds() == fds, S_FILES,
          "after 3 loads and 3 saves, %zu file descriptors are open, not "
          "%zu as before: a load or save leaks one", open_fds(), fds);
    store_close(s);
}

HARNESS_TESTS("chapters/10-living.md",
              cmocka_unit_test(test_fsync_file_then_rename_then_fsync_folder))
