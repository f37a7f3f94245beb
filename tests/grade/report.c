/*
 * report.c - the text report, the per-student files and the gradebook
 * (see report.h).
 *
 * The text report's lines start with fixed words ("step", "compile",
 * "FAIL", "refused", "total") so that people read them and scripts (the
 * adversarial suite) can grep them.
 */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Appends text indented, its last max_lines lines only. */
static void indented(struct util_buf *b, const char *text, const char *pad,
                     int max_lines)
{
    if (!text || !*text)
        return;
    const char *start = text + strlen(text);
    int lines = 0;
    while (start > text && lines <= max_lines)
        if (*--start == '\n' && start[1] != '\0')
            lines++;
    if (lines > max_lines)
        start++;
    else
        start = text;
    while (*start) {
        size_t n = strcspn(start, "\n");
        util_buf_printf(b, "%s%.*s\n", pad, (int)(n > 300 ? 300 : n), start);
        start += n + (start[n] == '\n');
    }
}

/* The distinct refusals of a step, each once: what `make grade` prints. */
static void refusals(struct util_buf *b, const struct assess_step *s)
{
    const char *seen[16];
    size_t seen_len[16];
    int nseen = 0;
    for (int m = 0; m < 2; m++)
        for (size_t k = 0; k < s->mode[m].ntests; k++)
            for (const char *v = s->mode[m].tests[k].violations; v && *v;) {
                size_t n = strcspn(v, "\n");
                /* Compare without the " (N times)" that follows the call. */
                size_t key = n;
                for (const char *q = v; (q = strstr(q, " (")) && q < v + n; q++)
                    if (q[2] >= '0' && q[2] <= '9')
                        key = (size_t)(q - v);
                int dup = 0;
                for (int i = 0; i < nseen && !dup; i++)
                    dup = seen_len[i] == key && strncmp(seen[i], v, key) == 0;
                if (!dup && nseen < 16) {
                    seen[nseen] = v;
                    seen_len[nseen++] = key;
                    const char *why = strstr(v + key, "): ");
                    util_buf_printf(b, "  refused: %.*s - %.*s\n", (int)key, v,
                                    why ? (int)(n - (size_t)(why + 3 - v)) : 0,
                                    why ? why + 3 : "");
                }
                v += n + (v[n] == '\n');
            }
}

/* The tests points.txt leaves out of a step, grouped by their reason:
 * "  not graded: test_clients/test_telnet_client, ...: REASON". Each
 * test's why is "not graded: REASON". */
static void ungraded(struct util_buf *b, const struct assess_mode *m)
{
    for (size_t k = 0; k < m->ntests; k++) {
        const struct assess_test *t = &m->tests[k];
        int first = 1;
        for (size_t j = 0; j < k && first; j++)
            first = m->tests[j].result != ASSESS_UNGRADED ||
                    strcmp(m->tests[j].why, t->why) != 0;
        if (t->result != ASSESS_UNGRADED || !first)
            continue;
        util_buf_puts(b, "  not graded:");
        for (size_t j = k; j < m->ntests; j++)
            if (m->tests[j].result == ASSESS_UNGRADED &&
                strcmp(m->tests[j].why, t->why) == 0)
                util_buf_printf(b, "%s %s/%s", j == k ? "" : ",",
                                m->tests[j].prog->name, m->tests[j].name);
        util_buf_printf(b, ": %s\n", t->why + strlen("not graded: "));
    }
}

static void step_text(struct util_buf *b, const struct assess_step *s, int brief)
{
    const struct assess_mode *c = &s->mode[POINTS_CUMULATIVE];
    const struct assess_mode *i = &s->mode[POINTS_ISOLATED];
    /* Out of the tests that are graded: an ungraded one cannot pass. */
    util_buf_printf(b, "step %s: cumulative %d of %zu passed, isolated %d of "
                    "%zu passed; %.2f of %.2f points (%s counts)\n",
                    s->cat->name, c->passed, c->ntests - (size_t)c->ungraded,
                    i->passed, i->ntests - (size_t)i->ungraded,
                    s->mode[s->pts.mode].points, s->max,
                    points_mode_name(s->pts.mode));
    ungraded(b, c);
    if (!s->compiled) {
        util_buf_printf(b, "  compile %s: failed, so its tests did not run\n",
                        s->cat->name);
        indented(b, s->compile_log, "    | ", brief ? 4 : 12);
    }
    if (brief) {
        refusals(b, s);
        return;
    }
    for (int m = 0; m < 2; m++) {
        const struct assess_mode *md = &s->mode[m];
        if (!md->built && s->compiled)
            util_buf_printf(b, "  %s mode not run: %s\n", points_mode_name(m),
                            md->why);
        for (size_t k = 0; k < md->ntests && md->built; k++) {
            const struct assess_test *t = &md->tests[k];
            if (t->result == ASSESS_PASS || t->result == ASSESS_UNGRADED)
                continue;
            util_buf_printf(b, "  %s %s [%s] %s/%s: %s\n",
                            t->result == ASSESS_SKIP ? "SKIP" : "FAIL",
                            s->cat->name, points_mode_name(m), t->prog->name,
                            t->name, t->why);
            const char *v = t->violations;
            while (v && *v) {
                size_t n = strcspn(v, "\n");
                util_buf_printf(b, "    refused in %s: %.*s\n", s->cat->name,
                                (int)n, v);
                v += n + (v[n] == '\n');
            }
            indented(b, t->output, "    | ", 8);
        }
    }
}

void report_text(struct util_buf *b, const struct assess_student *st,
                 const char *sandbox, int brief)
{
    util_buf_printf(b, "grade: %s\n", st->name);
    util_buf_printf(b, "sandbox: %s\n", sandbox);
    if (st->note[0])
        indented(b, st->note, "note: ", 6);
    for (int i = 0; i < st->nsteps; i++)
        if (st->steps[i].graded)
            step_text(b, &st->steps[i], brief);
        else if (st->steps[i].cat && st->steps[i].cat->skipped)
            util_buf_printf(b, "step %s: not graded (%s)\n",
                            st->steps[i].cat->name, st->steps[i].pts.because[0]
                            ? st->steps[i].pts.because : "points.txt says skip");
    util_buf_printf(b, "total: %.2f of %.2f points (%.1f s)\n", st->total,
                    st->max, st->seconds);
}

static int write_buf(const char *dir, const char *file, struct util_buf *b)
{
    char path[4200];
    if (b->failed || util_path(path, sizeof path, "%s/%s", dir, file) < 0)
        return -1;
    return util_write_file(path, util_buf_str(b), b->len);
}

int report_write(const char *out, const struct assess_student *st,
                 const char *sandbox)
{
    char dir[4200];
    struct util_buf text, brief, json, gs, tsv;
    util_buf_init(&text);
    util_buf_init(&brief);
    util_buf_init(&json);
    util_buf_init(&gs);
    util_buf_init(&tsv);
    int rc = -1;
    if (util_path(dir, sizeof dir, "%s/%s", out, st->name) < 0 ||
        util_mkdirs(dir, 0755) < 0)
        goto done;
    report_text(&text, st, sandbox, 0);
    json_report(&json, st, sandbox);
    json_gradescope(&gs, st, util_buf_str(&text));
    util_buf_printf(&tsv, "%s\t%.2f\t%.2f", st->name, st->total, st->max);
    int violations = 0;
    for (int i = 0; i < st->nsteps; i++) {
        const struct assess_step *s = &st->steps[i];
        if (s->graded)
            util_buf_printf(&tsv, "\t%s=%.2f", s->cat->name,
                            s->mode[s->pts.mode].points);
        violations += s->violations;
    }
    util_buf_printf(&tsv, "\tviolations=%d\n", violations);
    report_text(&brief, st, sandbox, 1);
    if (write_buf(dir, "report.txt", &text) < 0 ||
        write_buf(dir, "brief.txt", &brief) < 0 ||
        write_buf(dir, "report.json", &json) < 0 ||
        write_buf(dir, "results.json", &gs) < 0 ||
        write_buf(dir, "summary.tsv", &tsv) < 0)
        goto done;
    rc = 0;
done:
    util_buf_free(&text);
    util_buf_free(&brief);
    util_buf_free(&json);
    util_buf_free(&gs);
    util_buf_free(&tsv);
    return rc;
}

/* The points of step in a summary line, or -1 if absent. */
static double field(const char *line, const char *key)
{
    char pat[96];
    snprintf(pat, sizeof pat, "\t%s=", key);
    const char *at = strstr(line, pat);
    return at ? strtod(at + strlen(pat), NULL) : -1;
}

int report_gradebook(const char *out, const struct catalog *cat,
                     char (*names)[128], int n, FILE *f)
{
    struct util_buf csv;
    util_buf_init(&csv);
    util_buf_puts(&csv, "student");
    fprintf(f, "%-24s", "student");
    for (int i = 0; i < cat->nsteps; i++)
        if (cat->steps[i].nprogs > 0) {
            util_buf_printf(&csv, ",%s", cat->steps[i].name);
            fprintf(f, " %7.7s", cat->steps[i].name);
        }
    util_buf_puts(&csv, ",total\n");
    fprintf(f, " %15s %10s\n", "total", "violations");
    for (int k = 0; k < n; k++) {
        char path[4200];
        util_path(path, sizeof path, "%s/%s/summary.tsv", out, names[k]);
        char *line = util_read_file(path, 1 << 16, NULL);
        double total = 0, max = 0;
        if (line)
            sscanf(strchr(line, '\t') ? strchr(line, '\t') : "", "\t%lf\t%lf",
                   &total, &max);
        util_buf_printf(&csv, "%s", names[k]);
        fprintf(f, "%-24.24s", names[k]);
        for (int i = 0; i < cat->nsteps; i++) {
            if (cat->steps[i].nprogs == 0)
                continue;
            double v = line ? field(line, cat->steps[i].name) : -1;
            util_buf_printf(&csv, v < 0 ? ",error" : ",%.2f", v);
            if (v < 0)
                fprintf(f, " %7s", "error");
            else
                fprintf(f, " %7.2f", v);
        }
        util_buf_printf(&csv, line ? ",%.2f\n" : ",error\n", total);
        if (line)
            fprintf(f, " %7.2f/%-7.2f %10.0f\n", total, max,
                    field(line, "violations"));
        else
            fprintf(f, " %15s %10s\n", "grader error", "-");
        free(line);
    }
    char path[4200];
    int rc = util_path(path, sizeof path, "%s/gradebook.csv", out) < 0 || csv.failed
                 ? -1 : util_write_file(path, util_buf_str(&csv), csv.len);
    util_buf_free(&csv);
    return rc;
}
