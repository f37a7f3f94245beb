/*
 * store.c - characters kept in files, one per character, replaced
 * atomically (store.h).
 *
 * A save formats the record, reads the text back through the parser (so
 * the store never writes a file it could not load), and hands it to
 * store_replace: temporary file, fsync, rename, fsync of the folder. A
 * load reads the whole file into a buffer and parses it strictly
 * (playerfile.h).
 *
 * Invariants:
 *   - A file under its real name (NAME.player) is only ever made by
 *     rename(2) of a complete, fsynced temporary file: it is whole.
 *   - A load that fails leaves *r untouched (playerfile_parse's promise).
 *   - Every path is built from a name player_name() accepted (letters
 *     only), so no name can reach outside the folder.
 *
 * Your task (chapters/10-living.md): every function marked TODO. The
 * small file and path helpers are written for you.
 */
#define _GNU_SOURCE
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUFFIX ".player"
#define TMP_SUFFIX ".player.tmp"

struct file_store {
    struct player_store ops; /* first: the interface's pointer is ours */
    char *dir;
    char *where;             /* "on disk, in the folder DIR" */
    char error[PATH_MAX + 256]; /* "PATH:LINE: message" */
};

/* ---- the atomic replace ---- */

/* Writes all n bytes, across short writes. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* fsync of a folder: what makes a rename in it durable. */
static int sync_dir(const char *dir)
{
    /* TODO(step 10, "What fsync costs a green-thread server"): open the
     * folder (O_RDONLY | O_DIRECTORY | O_CLOEXEC), fsync it, close it;
     * return what fsync gave, with its errno. */
    (void)dir;
    errno = ENOSYS;
    return -1;
}

/* A replace that failed before its rename: the temporary file goes, and
 * the real one was never touched. -1, with the errno of the failure. */
static int abandon(const char *tmp, int fd)
{
    int err = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = err;
    return -1;
}

int store_replace(const char *dir, const char *name, const void *data,
                  size_t len)
{
    /* TODO(step 10, "The atomic replace"): the paths dir/name and
     * dir/.name.tmp (ENAMETOOLONG if either does not fit). Create the
     * temporary file (O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
     * O_CLOEXEC, mode 0600); if that fails, return -1: nothing of yours
     * to clean up. write_all the data, fsync, close (its error counts
     * too), rename the temporary file over dir/name, and sync_dir(dir).
     * Once the temporary file exists, any failure before the rename
     * returns abandon(): the temporary file goes, the old file stays. */
    (void)dir, (void)name, (void)data, (void)len, (void)write_all,
        (void)sync_dir, (void)abandon;
    errno = ENOSYS;
    return -1;
}

/* ---- the store ---- */

/* The file of the character called norm (as player_name() writes it):
 * "alice.player", alone or with the folder. */
static void file_name(const char *norm, char *out, size_t size)
{
    size_t i = 0;
    for (; norm[i] && i + 1 < size; i++)
        out[i] = (char)(norm[i] | 0x20); /* lower case, in ASCII */
    snprintf(out + i, size - i, "%s", SUFFIX);
}

static void file_path(const struct file_store *fs, const char *norm,
                      char *out, size_t size)
{
    char file[PLAYER_NAME_MAX + sizeof SUFFIX];
    file_name(norm, file, sizeof file);
    snprintf(out, size, "%s/%s", fs->dir, file);
}

/* Reads the whole file at path into buf (size bytes); its length, or -1
 * with errno. A file longer than size - 1 bytes gives size. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    while (n < size) {
        ssize_t got = read(fd, buf + n, size - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int err = errno;
            close(fd);
            errno = err;
            return -1;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    return (ssize_t)n;
}

/* Records a load's error for store_last_error: "PATH:LINE: message",
 * or "PATH: message" for line 0. Returns -1 with errno EINVAL. */
static int load_error(struct file_store *fs, const char *path, int line,
                      const char *message)
{
    if (line > 0)
        snprintf(fs->error, sizeof fs->error, "%s:%d: %s", path, line,
                 message);
    else
        snprintf(fs->error, sizeof fs->error, "%s: %s", path, message);
    errno = EINVAL;
    return -1;
}

static int file_load(struct player_store *s, const char *name,
                     struct player_record *r)
{
    /* TODO(step 10, "A file per player"): clear fs->error. Normalise name
     * with player_name (a name it refuses is EINVAL, and no file).
     * read_file the whole file (file_path gives its path) into a buffer
     * of PLAYERFILE_MAX + 1 bytes; on failure, "PATH: strerror" into
     * fs->error and return -1 with that errno (ENOENT: a new character).
     * A file of more than PLAYERFILE_MAX bytes, a file playerfile_parse
     * refuses, and a file whose name is not this character's are all
     * load_error()s (EINVAL). Only then copy the record into *r. */
    (void)s, (void)name, (void)r, (void)file_path, (void)read_file,
        (void)load_error;
    errno = ENOSYS;
    return -1;
}

static int file_save(struct player_store *s, const struct player_record *r)
{
    /* TODO(step 10, "A file per player"): normalise r->name with
     * player_name (EINVAL if it refuses), file_name() gives the file's
     * name. playerfile_format into a buffer of PLAYERFILE_MAX bytes, and
     * read it back with playerfile_parse: a text that does not fit, or that
     * does not parse, is never written (EINVAL). Then store_replace it
     * into the folder. */
    (void)s, (void)r, (void)file_name;
    errno = ENOSYS;
    return -1;
}

static void file_close(struct player_store *s)
{
    struct file_store *fs = (struct file_store *)s;
    free(fs->dir);
    free(fs->where);
    free(fs);
}

/* Removes the temporary files a crash left in dir (".NAME.player.tmp"):
 * each is a save that never reached its rename, so the real file beside
 * it is the one to keep. */
static int remove_leftovers(const char *dir)
{
    /* TODO(step 10, "The atomic replace"): opendir, and unlink (unlinkat
     * on dirfd) every entry named ".SOMETHING.player.tmp" (TMP_SUFFIX);
     * leave everything else alone. An unlink that fails with another
     * error than ENOENT makes the whole call fail. closedir, keeping
     * errno. */
    (void)dir;
    errno = ENOSYS;
    return -1;
}

struct player_store *store_open(const char *dir)
{
    /* TODO(step 10, "A file per player"): calloc a struct file_store.
     * mkdir the folder, mode 0700 (EEXIST is fine). Keep a copy of dir,
     * and a `where` for "save" to show ("on disk, in the folder DIR").
     * remove_leftovers. Fill fs->ops with file_load, file_save,
     * file_close and where, and return &fs->ops. On any failure, free
     * what you made (file_close does) and return NULL, errno kept. */
    (void)dir, (void)file_load, (void)file_save, (void)file_close,
        (void)remove_leftovers;
    errno = ENOSYS;
    return NULL;
}

void store_close(struct player_store *s)
{
    if (s)
        s->close(s);
}

const char *store_last_error(const struct player_store *s)
{
    return ((const struct file_store *)s)->error;
}
