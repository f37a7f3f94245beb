/*
 * assess.h - grades one student: unpacks the submission, builds each step
 * in both modes, runs every test as its own sandboxed process, and scores
 * the mode points.txt chooses.
 *
 *   cumulative  the student's own steps 01..N
 *   isolated    the reference archives of 01..N-1 (built by the trusted
 *               side, `make build-solutions`) with the student's step N,
 *               so one early mistake does not zero every later step
 *
 * For step 01 the two modes are the same program, built and run twice.
 *
 * A test passes only when the run exited 0 and the result channel holds
 * exactly "pass NAME\n"; and, under `violations fail` (the default), when
 * the sandbox refused none of its calls.
 *
 * A step with a shared library (catalog.h) gets it built per mode, from
 * the -fPIC archives of the same steps the mode links, before its
 * programs: without it none of them is linked, as with `make`. Its tests
 * find it, and the step's plain programs, through the environment
 * (GREEN_PRELOAD_LIB, GREEN_PROG_DIR); every test finds the workbook's
 * given data files through GREEN_WORKBOOK (it may read ROOT/steps).
 */
#ifndef GRADE_ASSESS_H
#define GRADE_ASSESS_H

#include <sys/resource.h>

#include "catalog.h"
#include "isolate.h"
#include "points.h"
#include "util.h"

/* NOT_BUILT is 0: a test nobody ran can never read as passed. SKIP: the
 * harness skipped it (a missing tool), which earns nothing; UNGRADED:
 * points.txt says `skip`, so it is not run and weighs nothing. */
enum assess_result { ASSESS_NOT_BUILT, ASSESS_PASS, ASSESS_FAIL, ASSESS_SKIP,
                     ASSESS_UNGRADED };

struct assess_test {
    const struct catalog_prog *prog;
    const char *name;
    int result;
    char why[256];      /* how it failed or why it was skipped */
    char *violations;   /* "clone (a thread) x1: reason\n...", or NULL */
    char *output;       /* the tail of what it printed, for a failure */
    double seconds;
    struct points_test pts;
};

struct assess_mode {
    int built;          /* 1 the programs were built and run */
    char why[512];      /* why not */
    struct assess_test *tests;
    size_t ntests;
    int passed, skipped;
    int ungraded;       /* tests points.txt leaves out: not in ntests' count
                           of what may pass */
    double points;
};

struct assess_step {
    const struct catalog_step *cat;
    struct points_step pts;
    int graded;         /* the step has tests */
    int compiled;       /* 1 built, 0 failed, -1 not tried */
    char *compile_log;
    struct assess_mode mode[2];
    double max;
    int violations;     /* test runs with a refused call */
};

struct assess_student {
    char name[128];
    char note[512];     /* about the submission as a whole */
    struct assess_step steps[CATALOG_MAX_STEPS];
    int nsteps;
    double total, max, seconds;
    int landlock_abi, netns; /* what the sandbox applied */
};

struct assess_ctx {
    const struct catalog *cat;
    const struct points *pts;
    const struct isolate_caps *caps;
    const char *self;     /* the grader's binary, for --unpack */
    const char *cc, *ar;
    const char *cflags;   /* one string, split on blanks */
    const char *out;      /* the output folder */
    double timeout;       /* wall seconds per test */
    rlim_t memory;        /* bytes of address space per test */
    int keep;             /* keep binaries and objects */
};

/* Grades the submission at entry (a folder or an archive) as student
 * name, on grading slot `slot`. 0, or -1 on a grader failure. */
int assess_student(const struct assess_ctx *ctx, const char *name,
                   const char *entry, int slot, struct assess_student *st);

void assess_free(struct assess_student *st);

#endif
