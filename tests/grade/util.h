/*
 * util.h - the small helpers every module of the grader shares: a growable
 * text buffer, paths, folders made and removed without following links,
 * files copied and read with a size cap, and a monotonic clock.
 *
 * Every function returns 0 (or a length, or a pointer) on success and -1
 * (or NULL) with errno set on failure; none of them exits or aborts, since
 * the grader must outlive anything a submission does.
 */
#ifndef GRADE_UTIL_H
#define GRADE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

/* A NUL-terminated text that grows; a failed allocation sets `failed` and
 * later appends do nothing, so callers check once at the end. */
struct util_buf {
    char *text;
    size_t len, cap;
    int failed;
};

void util_buf_init(struct util_buf *b);
void util_buf_free(struct util_buf *b);
void util_buf_add(struct util_buf *b, const char *s, size_t n);
void util_buf_puts(struct util_buf *b, const char *s);
void util_buf_printf(struct util_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The text, never NULL (an empty buffer or a failed one reads as ""). */
const char *util_buf_str(const struct util_buf *b);

/* Seconds on the monotonic clock. */
double util_now(void);

/* snprintf into dst that fails (-1, ENAMETOOLONG) instead of truncating. */
int util_path(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* mkdir -p, each new folder with the given mode. */
int util_mkdirs(const char *path, mode_t mode);

/* rm -rf that never follows a symbolic link out of path. */
int util_rmtree(const char *path);

/* Reads at most cap bytes of a regular file (not through a final symbolic
 * link) into a new NUL-terminated buffer; *len gets the length. Fails with
 * EFBIG when the file is larger than cap. */
char *util_read_file(const char *path, size_t cap, size_t *len);

/* Writes (replaces) a whole file. */
int util_write_file(const char *path, const char *text, size_t len);

/* Copies a regular file (not through a symbolic link) of at most cap
 * bytes, creating dst with the given mode. */
int util_copy_file(const char *src, const char *dst, size_t cap, mode_t mode);

/* 1 if path is a directory (not through a link), 0 if not, or missing. */
int util_is_dir(const char *path);

/* The absolute path of a program: name itself when it has a '/', else the
 * first executable match along PATH. */
int util_which(const char *name, char *out, size_t size);

/* Splits a string on blanks into a NULL-terminated vector appended to
 * argv (at most max entries, counting the NULL); the words point into
 * copy, which the caller keeps alive. Returns the new count. */
int util_split(char *copy, const char **argv, int count, int max);

/* Reads up to n bytes, retrying on EINTR; returns what read returns. */
ssize_t util_read_some(int fd, void *buf, size_t n);
/* Writes all n bytes, retrying on EINTR and short writes. */
int util_write_all(int fd, const void *buf, size_t n);

#endif
