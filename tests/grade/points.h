/*
 * points.h - the instructor's file of points, modes, visibility and
 * per-step sandbox permissions (tests/grade/points.txt documents the
 * format in its own comments).
 */
#ifndef GRADE_POINTS_H
#define GRADE_POINTS_H

#include <stddef.h>

#include "util.h"

enum points_mode { POINTS_CUMULATIVE, POINTS_ISOLATED };

/* Gradescope's four visibilities, in its spelling. */
enum points_vis {
    POINTS_VIS_VISIBLE,
    POINTS_VIS_HIDDEN,
    POINTS_VIS_AFTER_DUE_DATE,
    POINTS_VIS_AFTER_PUBLISHED,
};

struct points_step {
    char name[64];
    double points;   /* what the whole step is worth */
    int mode;        /* which mode counts */
    int net;         /* the step's tests may use the network */
    int skip;        /* not graded (yet): reported, worth nothing */
    char because[160]; /* why it is skipped, in points.txt's words */
    int vis;
};

/* One `test` line, or the settings of one test once every line that
 * names it (by its name or by `*`) has been applied in file order. */
struct points_test {
    char step[64], prog[64], name[128]; /* name "*": every test of prog */
    double weight;   /* share of the step's points, relative to its peers */
    int has_weight;  /* weight was given on this line */
    int vis;
    int has_vis;     /* vis was given for this test */
    int fork;        /* the test may fork (never make threads) */
    int threads;     /* the test may make threads (an explicit exception) */
    int exec;        /* the test may fork and execute its step's plain
                        programs (tests/NN/prog_*), nothing else */
    int skip;        /* not graded: not run, worth nothing, reported */
    char because[160]; /* why it is skipped */
};

struct points {
    double def_points;
    int def_mode, def_vis, extra_vis;
    int violations_fail; /* a refused call fails the test that made it */
    struct points_step *steps;
    size_t nsteps;
    struct points_test *tests;
    size_t ntests;
};

/* Reads the file; on a syntax error returns -1 with the line in err. */
int points_load(struct points *p, const char *path, struct util_buf *err);
void points_free(struct points *p);

/* The settings of a step, or the defaults when the file omits it. */
struct points_step points_for_step(const struct points *p, const char *step);

/* The settings of one test (extra: from --extra-tests, whose visibility
 * defaults to `extra visibility`). */
struct points_test points_for_test(const struct points *p, const char *step,
                                   const char *prog, const char *name, int extra);

const char *points_mode_name(int mode);
const char *points_vis_name(int vis);

#endif
