/*
 * build.h - the toolchain, run in the sandbox: compiles a student's step
 * into an archive, compiles the instructor's extra test files, and links
 * test programs.
 *
 * The student's files of a step (the names the workbook's step folder
 * has, no others) are copied into a scratch folder and compiled there
 * with the workbook's headers (-I steps/NN-name for the steps up to this
 * one), so the header a test was compiled against is the one the
 * student's code sees. The compile stage's Landlock fence reads only the
 * system, the workbook's steps/ and the scratch folder: not solutions/,
 * not tests/, not the build folder, not another submission, so no
 * #include and no .incbin can reach them.
 */
#ifndef GRADE_BUILD_H
#define GRADE_BUILD_H

#include "catalog.h"
#include "isolate.h"
#include "util.h"

enum { BUILD_MAX_CFLAGS = 48, BUILD_MAX_SOURCE = 1 << 20 };

struct build_env {
    const struct catalog *cat;
    const struct isolate_caps *caps;
    int slot;                    /* the grading slot: its sandbox user */
    char cc[4096], ar[4096];     /* absolute paths */
    const char *cflags[BUILD_MAX_CFLAGS];
    int ncflags;
    char work[4096];             /* scratch folders are made in here */
    double wall;                 /* seconds for one tool run */
};

/* Makes a fresh scratch folder in e->work owned by the sandbox user. */
int build_scratch(const struct build_env *e, char *out, size_t size);

/* Compiles step `step` (an index into the catalog) from the student's
 * folder src (NULL when the submission lacks it) into the archive lib,
 * without its preload files; and, when pic is not NULL, all its files
 * again -fPIC into the archive pic, for a shared library. Returns 0
 * built, 1 the submission's fault (log says why), -1 ours. */
int build_step(const struct build_env *e, int step, const char *src,
               const char *lib, const char *pic, struct util_buf *log);

/* Compiles an extra test file into its object (trusted code, but through
 * the same sandbox). 0, 1 or -1 as above. */
int build_extra(const struct build_env *e, int step,
                const struct catalog_prog *p, struct util_buf *log);

/* Links test program p of step with its helpers and the archives libs
 * into bin. 0, 1 or -1. */
int build_link(const struct build_env *e, const struct catalog_step *step,
               const struct catalog_prog *p, const char *const *libs, int nlibs,
               const char *bin, struct util_buf *log);

/* Links the shared library of step (libgreen.so, for LD_PRELOAD) from
 * the -fPIC archives pics, whole, into so. 0, 1 or -1. */
int build_shared(const struct build_env *e, const struct catalog_step *step,
                 const char *const *pics, int npics, const char *so,
                 struct util_buf *log);

#endif
