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
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    errno = err;
    return rc;
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

/* book: replace */
int store_replace(const char *dir, const char *name, const void *data,
                  size_t len)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >=
            sizeof path ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name) >=
            sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* O_NOFOLLOW: a link planted under the temporary name is not
     * followed out of the folder. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                  0600);
    if (fd < 0)
        return -1; /* nothing of ours to clean up */
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0)
        return abandon(tmp, fd);
    if (close(fd) < 0 || rename(tmp, path) < 0)
        return abandon(tmp, -1);
    /* The new name is in place; once the folder is on the disk, so is
     * the rename. */
    return sync_dir(dir);
}
/* book: end */

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

/* book: load */
static int file_load(struct player_store *s, const char *name,
                     struct player_record *r)
{
    struct file_store *fs = (struct file_store *)s;
    char norm[PLAYER_NAME_MAX + 1], path[PATH_MAX];
    char text[PLAYERFILE_MAX + 1];
    struct player_record rec;
    struct playerfile_error err;
    char msg[sizeof err.message];

    fs->error[0] = '\0';
    if (player_name(name, norm) < 0)
        return -1; /* EINVAL: not a name, so no file either */
    file_path(fs, norm, path, sizeof path);
    ssize_t n = read_file(path, text, sizeof text);
    if (n < 0) {
        int e = errno;
        snprintf(fs->error, sizeof fs->error, "%s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    if (n > PLAYERFILE_MAX) {
        snprintf(msg, sizeof msg, "larger than %d bytes, expected a "
                 "record", PLAYERFILE_MAX);
        return load_error(fs, path, 0, msg);
    }
    if (playerfile_parse(text, (size_t)n, &rec, &err) < 0)
        return load_error(fs, path, err.line, err.message);
    if (strcmp(rec.name, norm) != 0) { /* whole, but someone else's */
        snprintf(msg, sizeof msg, "expected 'name %s' in this file, found "
                 "'name %s'", norm, rec.name);
        return load_error(fs, path, 2, msg);
    }
    *r = rec;
    return 0;
}
/* book: end */

/* book: save */
static int file_save(struct player_store *s, const struct player_record *r)
{
    struct file_store *fs = (struct file_store *)s;
    char norm[PLAYER_NAME_MAX + 1], file[PLAYER_NAME_MAX + sizeof SUFFIX];
    char text[PLAYERFILE_MAX];
    struct player_record back;
    struct playerfile_error err;

    if (player_name(r->name, norm) < 0)
        return -1; /* EINVAL: no file may be named after it */
    file_name(norm, file, sizeof file);
    size_t n = playerfile_format(r, text, sizeof text);
    /* Never write what a load would refuse: read it back first. */
    if (n >= sizeof text || playerfile_parse(text, n, &back, &err) < 0) {
        errno = EINVAL;
        return -1;
    }
    return store_replace(fs->dir, file, text, n);
}
/* book: end */

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
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int rc = 0;
    size_t tail = strlen(TMP_SUFFIX);
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' && n > tail + 1 &&
            strcmp(e->d_name + n - tail, TMP_SUFFIX) == 0 &&
            unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
            rc = -1;
    }
    int err = errno;
    closedir(d);
    errno = err;
    return rc;
}

struct player_store *store_open(const char *dir)
{
    struct file_store *fs = calloc(1, sizeof *fs);
    if (fs == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        goto fail;
    fs->dir = strdup(dir);
    if (fs->dir == NULL || asprintf(&fs->where, "on disk, in the folder %s",
                                    dir) < 0) {
        fs->where = NULL;
        errno = ENOMEM;
        goto fail;
    }
    if (remove_leftovers(dir) < 0)
        goto fail;
    fs->ops = (struct player_store){
        .load = file_load,
        .save = file_save,
        .close = file_close,
        .where = fs->where,
    };
    return &fs->ops;
fail:;
    int err = errno;
    file_close(&fs->ops);
    errno = err;
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
