/*
 * unpack.h - turns one entry of the submissions folder into a folder the
 * grader can read: a folder is used as it is; a .tar.gz, .tgz, .tar or
 * .zip is extracted, inside the sandbox, by the grader's own binary
 * (`grade --unpack ARCHIVE DEST`, on libarchive), which writes only
 * regular files and folders beneath DEST: no absolute path, no `..`, no
 * symbolic or hard link, no device; at most UNPACK_MAX_FILES entries,
 * UNPACK_MAX_FILE bytes in a file and UNPACK_MAX_TOTAL bytes in all.
 */
#ifndef GRADE_UNPACK_H
#define GRADE_UNPACK_H

#include <stddef.h>

#include "isolate.h"
#include "util.h"

enum {
    UNPACK_MAX_FILES = 4000,
    UNPACK_MAX_FILE = 8 << 20,
    UNPACK_MAX_TOTAL = 64 << 20,
};

/* 1 if the name ends like an archive this module extracts. */
int unpack_is_archive(const char *name);

/* The student's name for an entry: the file name less its archive
 * suffix, with anything but letters, digits, '.', '-' and '_' made '_'. */
void unpack_student_name(const char *entry, char *out, size_t size);

/* Extracts archive into dest (an empty folder) in the sandbox, with
 * self the grader's binary. Messages go to log. 0, or -1 (log says why). */
int unpack_run(const char *self, const char *archive, const char *dest,
               const struct isolate_caps *caps, int slot, struct util_buf *log);

/* The `--unpack ARCHIVE DEST` mode, run inside the sandbox. Exit status. */
int unpack_main(const char *archive, const char *dest);

/* Finds the student's steps/ tree under root: root itself when it holds
 * NN-name folders, else root/steps, else the same inside root's only
 * folder (archives often wrap everything in one), three levels at most.
 * 0 with the path in out, or -1. */
int unpack_find_steps(const char *root, char *out, size_t size);

#endif
