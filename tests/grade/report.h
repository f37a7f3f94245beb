/*
 * report.h - what the grader writes and prints.
 *
 * Per student, in OUT/<student>/: report.txt (every failure, with its
 * output), brief.txt (what `make grade` prints), report.json, results.json
 * (Gradescope) and summary.tsv (one line the batch's gradebook is
 * assembled from). Per batch, in OUT/: gradebook.csv (student, points per
 * step, total) and a summary table on stdout.
 */
#ifndef GRADE_REPORT_H
#define GRADE_REPORT_H

#include <stdio.h>

#include "assess.h"
#include "catalog.h"
#include "util.h"

/* The plain-words report of one student; brief: per step only the
 * counts, a compile failure and the distinct refused calls. */
void report_text(struct util_buf *b, const struct assess_student *st,
                 const char *sandbox, int brief);

/* Writes the five per-student files. 0 or -1. */
int report_write(const char *out, const struct assess_student *st,
                 const char *sandbox);

/* Assembles gradebook.csv from the students' summary.tsv files and prints
 * the summary table to f. A student without one (the grader failed on
 * it) is listed as such. 0 or -1. */
int report_gradebook(const char *out, const struct catalog *cat,
                     char (*names)[128], int n, FILE *f);

#endif
