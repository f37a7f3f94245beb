/*
 * util.c - the grader's shared helpers (see util.h).
 *
 * Invariant: nothing here follows a symbolic link that a submission could
 * have planted. Files are opened with O_NOFOLLOW and checked to be regular
 * files; trees are walked with nftw(FTW_PHYS), which reports a link as a
 * link, so util_rmtree removes the link and never what it points to.
 */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void util_buf_init(struct util_buf *b)
{
    memset(b, 0, sizeof *b);
}

void util_buf_free(struct util_buf *b)
{
    free(b->text);
    util_buf_init(b);
}

/* Makes room for n more bytes and the NUL; 0, or -1 (and `failed`). */
static int buf_reserve(struct util_buf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (b->len + n + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *text = realloc(b->text, cap);
    if (!text) {
        b->failed = 1;
        return -1;
    }
    b->text = text;
    b->cap = cap;
    return 0;
}

void util_buf_add(struct util_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return;
    memcpy(b->text + b->len, s, n);
    b->len += n;
    b->text[b->len] = '\0';
}

void util_buf_puts(struct util_buf *b, const char *s)
{
    util_buf_add(b, s, strlen(s));
}

void util_buf_printf(struct util_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->text + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *util_buf_str(const struct util_buf *b)
{
    return b->text && !b->failed ? b->text : "";
}

double util_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int util_path(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, size, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int util_mkdirs(const char *path, mode_t mode)
{
    char buf[4096];
    if (util_path(buf, sizeof buf, "%s", path) < 0)
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return -1;
    return util_is_dir(buf) ? 0 : (errno = ENOTDIR, -1);
}

static int rm_one(const char *path, const struct stat *st, int type,
                  struct FTW *ftw)
{
    (void)st, (void)ftw;
    /* A folder a sandbox left without permissions still goes: we own the
     * parent, so chmod it first and retry. */
    if (type == FTW_DP || type == FTW_DNR) {
        if (rmdir(path) < 0) {
            chmod(path, 0700);
            rmdir(path);
        }
    } else {
        unlink(path);
    }
    return 0; /* keep going: remove as much as possible */
}

/* A folder the sandbox left unreadable (chmod 000) cannot be entered by a
 * grader that is not root: a first pass, in pre-order, opens each folder
 * up before nftw descends into it. */
static int open_up(const char *path, const struct stat *st, int type,
                   struct FTW *ftw)
{
    (void)ftw;
    if (type == FTW_D || type == FTW_DNR)
        if ((st->st_mode & 0700) != 0700)
            chmod(path, 0700);
    return 0;
}

int util_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    nftw(path, open_up, 32, FTW_PHYS | FTW_MOUNT);
    if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
        return -1;
    return lstat(path, &st) == 0 ? (errno = ENOTEMPTY, -1) : 0;
}

char *util_read_file(const char *path, size_t cap, size_t *len)
{
    char *text = NULL;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0)
        goto fail;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        goto fail;
    }
    if ((size_t)st.st_size > cap) {
        errno = EFBIG;
        goto fail;
    }
    text = malloc((size_t)st.st_size + 1);
    if (!text)
        goto fail;
    size_t got = 0;
    for (;;) {
        /* The file may grow while we read: never past what we allocated. */
        ssize_t n = util_read_some(fd, text + got, (size_t)st.st_size - got);
        if (n < 0)
            goto fail;
        if (n == 0)
            break;
        got += (size_t)n;
        if (got == (size_t)st.st_size)
            break;
    }
    text[got] = '\0';
    if (len)
        *len = got;
    close(fd);
    return text;
fail:
    free(text);
    close(fd);
    return NULL;
}

int util_write_file(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                  0644);
    if (fd < 0)
        return -1;
    if (util_write_all(fd, text, len) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

int util_copy_file(const char *src, const char *dst, size_t cap, mode_t mode)
{
    size_t len;
    char *text = util_read_file(src, cap, &len);
    if (!text)
        return -1;
    int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                  mode);
    if (fd < 0)
        goto fail;
    if (util_write_all(fd, text, len) < 0) {
        close(fd);
        goto fail;
    }
    free(text);
    return close(fd);
fail:
    free(text);
    return -1;
}

int util_is_dir(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int util_which(const char *name, char *out, size_t size)
{
    if (strchr(name, '/'))
        return util_path(out, size, "%s", name);
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n > 0 && util_path(out, size, "%.*s/%s", (int)n, path, name) == 0 &&
            access(out, X_OK) == 0)
            return 0;
        path += n;
        if (*path == ':')
            path++;
    }
    errno = ENOENT;
    return -1;
}

int util_split(char *copy, const char **argv, int count, int max)
{
    char *save = NULL;
    for (char *w = strtok_r(copy, " \t\n", &save); w;
         w = strtok_r(NULL, " \t\n", &save)) {
        if (count + 1 >= max) {
            errno = E2BIG;
            return -1;
        }
        argv[count++] = w;
    }
    argv[count] = NULL;
    return count;
}

ssize_t util_read_some(int fd, void *buf, size_t n)
{
    for (;;) {
        ssize_t r = read(fd, buf, n);
        if (r >= 0 || errno != EINTR)
            return r;
    }
}

int util_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}
