/*
 * unpack.c - safe extraction of submissions (see unpack.h).
 *
 * Two fences, each enough on its own for the usual attacks: the
 * extractor's own checks (every path is made relative and refused if it
 * climbs, every entry but a file or a folder is skipped, files are
 * created with O_EXCL | O_NOFOLLOW so nothing is written through a link,
 * sizes are counted as bytes arrive, not as the header claims), and the
 * sandbox around it (Landlock lets it write only beneath dest; seccomp,
 * rlimits and a deadline bound a decompression bomb or a parser bug).
 */
#define _GNU_SOURCE
#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox.h"

static const char *const suffixes[] = {".tar.gz", ".tgz", ".tar", ".zip"};

int unpack_is_archive(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(name + n - k, suffixes[i]) == 0)
            return 1;
    }
    return 0;
}

void unpack_student_name(const char *entry, char *out, size_t size)
{
    const char *base = strrchr(entry, '/') ? strrchr(entry, '/') + 1 : entry;
    size_t n = strlen(base);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(base + n - k, suffixes[i]) == 0) {
            n -= k;
            break;
        }
    }
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < size; i++) {
        char c = base[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
        out[j++] = ok ? c : '_';
    }
    out[j] = '\0';
    if (j == 0 || out[0] == '.')
        out[0] = '_'; /* never "", ".", ".." or a hidden name */
}

int unpack_run(const char *self, const char *archive, const char *dest,
               const struct isolate_caps *caps, int slot, struct util_buf *log)
{
    const char *argv[] = {self, "--unpack", archive, dest, NULL};
    const char *envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", NULL};
    struct sandbox_spec s = {
        .argv = argv, .envp = envp, .scratch = dest,
        .rules = {{"/usr", FENCE_READ}, {"/lib", FENCE_READ},
                  {"/lib64", FENCE_READ}, {"/etc", FENCE_READ},
                  {"/dev/null", FENCE_DEVNULL}, {self, FENCE_EXEC},
                  {archive, FENCE_READ}},
        .nrules = 7,
        .policy = {.stage = POLICY_TEST, .step = "(unpacking)"},
        .limits = {.cpu = 30, .as = 1UL << 30, .fsize = UNPACK_MAX_FILE,
                   .nofile = 64, .nproc = 16},
        .wall = 60, .out_cap = 16384,
    };
    isolate_ids(caps, slot, &s.uid, &s.gid);
    if (chown(dest, s.uid, s.gid) < 0 && caps->root)
        return -1;
    struct sandbox_result r;
    if (sandbox_run(&s, caps, &r) < 0) {
        util_buf_printf(log, "could not start the unpacker: %s\n", strerror(errno));
        return -1;
    }
    util_buf_puts(log, util_buf_str(&r.out));
    int ok = r.started && r.exited && r.status == 0;
    if (!ok) {
        char end[160];
        sandbox_describe_end(&r, s.wall, end, sizeof end);
        util_buf_printf(log, "unpacking %s failed: %s\n", archive, end);
    }
    for (int i = 0; i < r.policy.nv; i++)
        util_buf_printf(log, "unpacker refused %s\n", r.policy.v[i].call);
    sandbox_result_free(&r);
    return ok ? 0 : -1;
}

/* Makes a path relative and safe: no leading '/', no "." or ".."
 * component, no empty component. 0; 1 when nothing is left (".", the
 * archive's own top folder); -1 to skip the entry as unsafe. */
static int clean_path(const char *in, char *out, size_t size)
{
    size_t j = 0;
    while (*in == '/')
        in++;
    while (*in) {
        size_t n = strcspn(in, "/");
        if (n == 2 && in[0] == '.' && in[1] == '.')
            return -1;
        if (n > 0 && !(n == 1 && in[0] == '.')) {
            if (j + n + 2 > size)
                return -1;
            if (j > 0)
                out[j++] = '/';
            memcpy(out + j, in, n);
            j += n;
        }
        in += n;
        while (*in == '/')
            in++;
    }
    out[j] = '\0';
    return j > 0 ? 0 : 1;
}

/* mkdir -p of the folders leading to rel (relative to the cwd, dest). */
static int make_parents(char *rel)
{
    for (char *p = rel; (p = strchr(p, '/')); p++) {
        *p = '\0';
        int rc = mkdir(rel, 0755);
        int bad = rc < 0 && errno != EEXIST;
        struct stat st;
        /* An existing component must be a real folder, not a link. */
        if (!bad && (lstat(rel, &st) < 0 || !S_ISDIR(st.st_mode)))
            bad = 1;
        *p = '/';
        if (bad)
            return -1;
    }
    return 0;
}

/* Writes one regular file, counting bytes into *total. */
static int write_entry(struct archive *a, const char *rel, long long *total)
{
    int fd = open(rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    long long size = 0;
    char buf[65536];
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0 || (size += n) > UNPACK_MAX_FILE ||
            (*total += n) > UNPACK_MAX_TOTAL ||
            util_write_all(fd, buf, (size_t)n) < 0) {
            close(fd);
            errno = n < 0 ? EIO : EFBIG;
            return -1;
        }
    }
    return close(fd);
}

int unpack_main(const char *archive, const char *dest)
{
    struct archive *a = archive_read_new();
    if (!a || chdir(dest) < 0)
        return 1;
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_none(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_support_format_zip(a);
    int status = 1;
    long long total = 0;
    int files = 0, skipped = 0;
    if (archive_read_open_filename(a, archive, 65536) != ARCHIVE_OK) {
        printf("unpack: %s: %s\n", archive, archive_error_string(a));
        goto done;
    }
    struct archive_entry *e;
    int rc;
    while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
           rc == ARCHIVE_WARN) {
        char rel[1024];
        const char *name = archive_entry_pathname(e);
        mode_t type = archive_entry_filetype(e);
        if (++files > UNPACK_MAX_FILES) {
            printf("unpack: more than %d entries: refused\n", UNPACK_MAX_FILES);
            goto done;
        }
        int clean = name ? clean_path(name, rel, sizeof rel) : -1;
        if (clean == 1) {
            files--; /* "./": the folder we extract into */
            continue;
        }
        if (clean < 0 ||
            (type != AE_IFREG && type != AE_IFDIR) ||
            archive_entry_hardlink(e) || make_parents(rel) < 0) {
            skipped++;
            continue;
        }
        if (type == AE_IFDIR) {
            if (mkdir(rel, 0755) < 0 && errno != EEXIST)
                skipped++;
        } else if (write_entry(a, rel, &total) < 0) {
            if (errno == EFBIG) {
                printf("unpack: over %d bytes in a file or %d in all: "
                       "refused\n", UNPACK_MAX_FILE, UNPACK_MAX_TOTAL);
                goto done;
            }
            skipped++;
        }
    }
    if (rc != ARCHIVE_EOF) {
        printf("unpack: %s: %s\n", archive, archive_error_string(a));
        goto done;
    }
    printf("unpacked %d entries (%lld bytes)", files - skipped, total);
    if (skipped)
        printf("; skipped %d (links, devices, unsafe paths)", skipped);
    printf("\n");
    status = 0;
done:
    archive_read_free(a);
    return status;
}

/* 1 if dir holds at least one folder named like a step ("01-context"). */
static int holds_steps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)))
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' &&
            e->d_name[1] >= '0' && e->d_name[1] <= '9' && e->d_name[2] == '-' &&
            e->d_type == DT_DIR)
            found = 1;
    closedir(d);
    return found;
}

/* The only folder inside dir (ignoring hidden ones and __MACOSX). */
static int only_folder(const char *dir, char *out, size_t size)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "__MACOSX") == 0 ||
            e->d_type != DT_DIR)
            continue;
        if (count++ == 0 && util_path(out, size, "%s/%s", dir, e->d_name) < 0)
            count = 2;
    }
    closedir(d);
    return count == 1 ? 0 : -1;
}

int unpack_find_steps(const char *root, char *out, size_t size)
{
    char here[4096], next[4096];
    if (util_path(here, sizeof here, "%s", root) < 0)
        return -1;
    for (int depth = 0; depth < 3 && util_is_dir(here); depth++) {
        if (holds_steps(here))
            return util_path(out, size, "%s", here);
        if (util_path(next, sizeof next, "%s/steps", here) == 0 &&
            util_is_dir(next) && holds_steps(next))
            return util_path(out, size, "%s", next);
        if (only_folder(here, next, sizeof next) < 0)
            break;
        memcpy(here, next, sizeof here);
    }
    errno = ENOENT;
    return -1;
}
