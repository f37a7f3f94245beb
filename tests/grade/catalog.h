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
 */
#ifndef GRADE_CATALOG_H
#define GRADE_CATALOG_H

#include <stddef.h>

#include "points.h"
#include "util.h"

enum { CATALOG_MAX_STEPS = 32, CATALOG_MAX_FILES = 16, CATALOG_MAX_PROGS = 16 };

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
};

struct catalog {
    char root[4096];      /* the workbook */
    char build[4096];     /* its trusted build, build/default */
    char harness[2][4096];/* harness.o and support.o */
    int have_solutions;   /* solutions/ exists (not a handout) */
    struct catalog_step steps[CATALOG_MAX_STEPS];
    int nsteps;
};

/* Scans root (and extra, if not NULL; extra objects are to be built
 * under extra_obj). The steps pts skips are listed without their tests,
 * so that a step still being written cannot stop the grading of the
 * others. Errors (a missing trusted object, say) go to err. */
int catalog_load(struct catalog *c, const struct points *pts, const char *root,
                 const char *build, const char *extra, const char *extra_obj,
                 struct util_buf *err);
void catalog_free(struct catalog *c);

/* The number of tests of a step (all programs). */
size_t catalog_ntests(const struct catalog_step *s);

#endif
