/*
 * trial.h - one test of a student's step, run as its own sandboxed
 * process (`PROG --run NAME`), and judged.
 *
 * The run gets the test stage's sandbox (sandbox.h) with the step's and
 * the test's exceptions from points.txt: `net` sockets, `fork`, `threads`,
 * and `exec`, under which a forked child may execute the step's plain
 * programs (catalog.h) and nothing else, enforced twice: by the
 * supervisor, on the path execve names, and by Landlock, which grants
 * execute on those programs alone (and on the test program and the
 * dynamic loader, as every run).
 *
 * Its environment: PATH, LC_ALL=C, TMPDIR and HOME (its scratch folder,
 * the only place it may write), HARNESS_RESULT_FD=3, GREEN_WORKBOOK (the
 * workbook, whose steps/ it may read: the MUD's world file is there);
 * for a step with a shared library GREEN_PRELOAD_LIB (the mode's
 * libgreen.so), and for a step with plain programs GREEN_PROG_DIR (their
 * folder).
 *
 * A test passes only when the run exited 0 and the result channel holds
 * exactly "pass NAME\n"; and, under `violations fail` (the default), when
 * the sandbox refused none of its calls.
 */
#ifndef GRADE_TRIAL_H
#define GRADE_TRIAL_H

#include "assess.h"
#include "build.h"

/* Runs test t of step s from the linked program bin, with the mode's
 * shared library so (NULL for a step without one), and fills t: result,
 * why, seconds, refused calls, and the end of its output unless it
 * passed. st learns what the sandbox applied. */
void trial_run(const struct assess_ctx *ctx, const struct build_env *e,
               const struct assess_step *s, const char *bin, const char *so,
               struct assess_test *t, struct assess_student *st);

#endif
