/*
 * catalog.h - what the grader knows about the workbook before it looks at
 * any submission, all from trusted files: the steps (steps/NN-name), the
 * files a student writes in each and the given files the workbook
 * supplies, the test programs of each step (tests/NN-name/test_*.c, and
 * the instructor's --extra-tests DIR/NN-name/test_*.c), and the names of
 * their tests.
 *
 * Test names are read from each test file's HARNESS_TESTS(...) list, the
 * source the harness's --list prints from, rather than from running a
 * binary that holds a student's code: a submission can neither hide a
 * test nor invent one.
 *
 * Some steps need more than archives (tests/mk/build.mk does the same):
 *   - a step with preload*.c files (07-install) has its runtime built as
 *     a shared library, libgreen.so, which its tests preload into plain
 *     programs: the preload files go into that library only, never into
 *     the step's archive, and every step up to it is also compiled -fPIC;
 *   - plain programs (tests/NN/prog_*.c) are trusted, built by `make`,
 *     and run by the step's tests, never linked with student code;
 *   - tests/NN/libs names libraries the step's code links with (-lcrypt
 *     for 09-mud), for its tests and every later step's; only a fixed set
 *     of -l flags is accepted there.
 */
#ifndef GRADE_CATALOG_H
#define GRADE_CATALOG_H

#include <stddef.h>

#include "points.h"
#include "util.h"

enum { CATALOG_MAX_STEPS = 32, CATALOG_MAX_FILES = 16, CATALOG_MAX_PROGS = 16,
       CATALOG_MAX_PLAIN = 4, CATALOG_MAX_LIBS = 8 };

struct catalog_prog {
    char name[64];        /* test_context */
    char source[4096];    /* tests/01-context/test_context.c */
    char object[4096];    /* where its trusted object is (or will be) */
    int extra;            /* from --extra-tests */
    char (*tests)[128];   /* its test names, in order */
    size_t ntests;
};

struct catalog_step {
    char name[64];                          /* 01-context */
    int skipped;          /* points.txt says skip: its tests are not read */
    char files[CATALOG_MAX_FILES][64];      /* what the student writes */
    int nfiles;
    char given[CATALOG_MAX_FILES][64];      /* what the workbook supplies */
    int ngiven;
    struct catalog_prog progs[CATALOG_MAX_PROGS];
    int nprogs;
    /* The trusted objects of the step's test helpers (its other .c files
     * in tests/NN-name/, neither test_ nor prog_), linked into each test. */
    char helpers[CATALOG_MAX_FILES][4096];
    int nhelpers;
    char reference[4096]; /* the reference archive, "" if not built */
    char reference_pic[4096]; /* ... compiled -fPIC (steps up to the last
                             shared one), "" if not built */
    int shared;           /* has preload*.c: its tests use libgreen.so */
    /* Its plain programs (trusted, built by `make grade-build`), all in
     * plain_dir. */
    char plain_dir[4096];
    char plain[CATALOG_MAX_PLAIN][4096];
    int nplain;
    /* The -l flags its programs link with: tests/NN/libs of this step and
     * every one before it; each points at the catalog's fixed list. */
    const char *libs[CATALOG_MAX_LIBS];
    int nlibs;
};

struct catalog {
    char root[4096];      /* the workbook */
    char build[4096];     /* its trusted build, build/default */
    char harness[2][4096];/* harness.o and support.o */
    int have_solutions;   /* solutions/ exists (not a handout) */
    struct catalog_step steps[CATALOG_MAX_STEPS];
    int nsteps;
    int last_shared;      /* the last step with a shared library, or -1 */
};

/* Scans root (and extra, if not NULL; extra objects are to be built
 * under extra_obj). The steps pts skips are listed without their tests,
 * so that a step still being written cannot stop the grading of the
 * others. Errors (a missing trusted object, say) go to err. */
int catalog_load(struct catalog *c, const struct points *pts, const char *root,
                 const char *build, const char *extra, const char *extra_obj,
                 struct util_buf *err);
void catalog_free(struct catalog *c);

/* Whether a file of a step belongs to its shared library only. */
int catalog_is_preload(const char *file);

/* The number of tests of a step (all programs). */
size_t catalog_ntests(const struct catalog_step *s);

#endif
