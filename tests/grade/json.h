/*
 * json.h - the two JSON files written per student: report.json (every
 * step, both modes, every test, as the grader saw them) and Gradescope's
 * results.json (the counted mode only, in Gradescope's format: score,
 * max_score, execution_time, output, and tests[] with name, score,
 * max_score, output and visibility).
 */
#ifndef GRADE_JSON_H
#define GRADE_JSON_H

#include "assess.h"
#include "util.h"

/* Appends s as a JSON string: quoted, escaped, and valid UTF-8 whatever
 * bytes a submission printed (invalid sequences become U+FFFD). */
void json_string(struct util_buf *b, const char *s);

void json_report(struct util_buf *b, const struct assess_student *st,
                 const char *sandbox);
void json_gradescope(struct util_buf *b, const struct assess_student *st,
                     const char *summary);

#endif
