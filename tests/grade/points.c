/*
 * points.c - reads points.txt (see points.h; the format is documented at
 * the top of tests/grade/points.txt).
 *
 * A line is a keyword and words: `default`, `extra`, `violations`,
 * `step` or `test`. Unknown words are errors rather than ignored, so a
 * typo in the file that decides grades stops the grader with the line
 * number instead of silently grading with the default.
 */
#define _GNU_SOURCE
#include "points.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {"cumulative", "isolated"};
static const char *const vis_names[] = {"visible", "hidden", "after_due_date",
                                        "after_published"};

const char *points_mode_name(int mode)
{
    return mode_names[mode == POINTS_ISOLATED];
}

const char *points_vis_name(int vis)
{
    return vis >= 0 && vis < 4 ? vis_names[vis] : "visible";
}

static int lookup(const char *w, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(w, names[i]) == 0)
            return i;
    return -1;
}

static int number(const char *w, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(w ? w : "", &end);
    if (!w || errno || *end || v < 0)
        return -1;
    *out = v;
    return 0;
}

/* Grows an array by one zeroed element; NULL on failure. */
static void *grow(void **array, size_t *n, size_t size)
{
    void *a = realloc(*array, (*n + 1) * size);
    if (!a)
        return NULL;
    *array = a;
    void *e = (char *)a + *n * size;
    memset(e, 0, size);
    (*n)++;
    return e;
}

/* Joins words into a reason text, blank-separated. */
static void join(char *dst, size_t size, char **w, int nw)
{
    size_t len = 0;
    dst[0] = '\0';
    for (int i = 0; i < nw && len < size; i++)
        len += (size_t)snprintf(dst + len, size - len, "%s%s", i ? " " : "", w[i]);
}

/* Parses the `key value` pairs and flags after a step or test line.
 * `because WORDS...` takes the rest of the line, so it comes last. */
static int parse_options(char **w, int nw, struct points_step *s,
                         struct points_test *t)
{
    for (int i = 0; i < nw; i++) {
        const char *k = w[i], *v = i + 1 < nw ? w[i + 1] : NULL;
        int idx;
        if (s && strcmp(k, "points") == 0 && number(v, &s->points) == 0)
            i++;
        else if (s && strcmp(k, "mode") == 0 && v &&
                 (idx = lookup(v, mode_names, 2)) >= 0)
            s->mode = idx, i++;
        else if (s && strcmp(k, "net") == 0)
            s->net = 1;
        else if (s && strcmp(k, "skip") == 0)
            s->skip = 1;
        else if (t && strcmp(k, "weight") == 0 && number(v, &t->weight) == 0)
            t->has_weight = 1, i++;
        else if (t && strcmp(k, "fork") == 0)
            t->fork = 1;
        else if (t && strcmp(k, "threads") == 0)
            t->threads = 1;
        else if (t && strcmp(k, "exec") == 0)
            t->exec = t->fork = 1; /* a program is run from a forked child */
        else if (t && strcmp(k, "skip") == 0)
            t->skip = 1;
        else if (strcmp(k, "because") == 0 && v) {
            join(s ? s->because : t->because, sizeof t->because, w + i + 1,
                 nw - i - 1);
            break;
        } else if (strcmp(k, "visibility") == 0 && v &&
                   (idx = lookup(v, vis_names, 4)) >= 0) {
            if (s)
                s->vis = idx;
            else
                t->vis = idx, t->has_vis = 1;
            i++;
        } else
            return -1;
    }
    return 0;
}

static int parse_line(struct points *p, char **w, int nw)
{
    int idx;
    double v;
    if (strcmp(w[0], "default") == 0 && nw == 3) {
        if (strcmp(w[1], "points") == 0 && number(w[2], &v) == 0)
            return p->def_points = v, 0;
        if (strcmp(w[1], "mode") == 0 && (idx = lookup(w[2], mode_names, 2)) >= 0)
            return p->def_mode = idx, 0;
        if (strcmp(w[1], "visibility") == 0 && (idx = lookup(w[2], vis_names, 4)) >= 0)
            return p->def_vis = idx, 0;
    } else if (strcmp(w[0], "extra") == 0 && nw == 3 &&
               strcmp(w[1], "visibility") == 0 &&
               (idx = lookup(w[2], vis_names, 4)) >= 0) {
        return p->extra_vis = idx, 0;
    } else if (strcmp(w[0], "violations") == 0 && nw == 2) {
        if (strcmp(w[1], "fail") == 0 || strcmp(w[1], "report") == 0)
            return p->violations_fail = strcmp(w[1], "fail") == 0, 0;
    } else if (strcmp(w[0], "step") == 0 && nw >= 2) {
        struct points_step s = points_for_step(p, w[1]);
        if (parse_options(w + 2, nw - 2, &s, NULL) < 0)
            return -1;
        for (size_t i = 0; i < p->nsteps; i++)
            if (strcmp(p->steps[i].name, s.name) == 0)
                return p->steps[i] = s, 0;
        struct points_step *e = grow((void **)&p->steps, &p->nsteps, sizeof s);
        return e ? (*e = s, 0) : -1;
    } else if (strcmp(w[0], "test") == 0 && nw >= 2) {
        struct points_test t = {.weight = 1, .vis = p->def_vis};
        if (sscanf(w[1], "%63[^/]/%63[^/]/%127s", t.step, t.prog, t.name) != 3 ||
            parse_options(w + 2, nw - 2, NULL, &t) < 0)
            return -1;
        struct points_test *e = grow((void **)&p->tests, &p->ntests, sizeof t);
        return e ? (*e = t, 0) : -1;
    }
    return -1;
}

int points_load(struct points *p, const char *path, struct util_buf *err)
{
    memset(p, 0, sizeof *p);
    p->def_points = 10;
    p->def_mode = POINTS_ISOLATED;
    p->extra_vis = POINTS_VIS_AFTER_DUE_DATE;
    p->violations_fail = 1;
    FILE *f = fopen(path, "re");
    if (!f) {
        util_buf_printf(err, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "#")] = '\0';
        char *w[32], *save = NULL;
        int nw = 0;
        for (char *t = strtok_r(line, " \t\r\n", &save); t && nw < 32;
             t = strtok_r(NULL, " \t\r\n", &save))
            w[nw++] = t;
        if (nw > 0 && parse_line(p, w, nw) < 0) {
            util_buf_printf(err, "%s:%d: cannot read this line (see the "
                            "format at the top of the file)\n", path, lineno);
            fclose(f);
            points_free(p);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

void points_free(struct points *p)
{
    free(p->steps);
    free(p->tests);
    p->steps = NULL;
    p->tests = NULL;
    p->nsteps = p->ntests = 0;
}

struct points_step points_for_step(const struct points *p, const char *step)
{
    for (size_t i = 0; i < p->nsteps; i++)
        if (strcmp(p->steps[i].name, step) == 0)
            return p->steps[i];
    struct points_step s = {.points = p->def_points, .mode = p->def_mode,
                            .vis = p->def_vis};
    snprintf(s.name, sizeof s.name, "%s", step);
    return s;
}

/* A line names a test by its name, or every test of its program by `*`. */
static int names_test(const struct points_test *e, const char *step,
                      const char *prog, const char *name)
{
    return strcmp(e->step, step) == 0 && strcmp(e->prog, prog) == 0 &&
           (strcmp(e->name, name) == 0 || strcmp(e->name, "*") == 0);
}

struct points_test points_for_test(const struct points *p, const char *step,
                                   const char *prog, const char *name, int extra)
{
    struct points_step s = points_for_step(p, step);
    struct points_test t = {.weight = 1, .vis = extra ? p->extra_vis : s.vis};
    snprintf(t.step, sizeof t.step, "%s", step);
    snprintf(t.prog, sizeof t.prog, "%s", prog);
    snprintf(t.name, sizeof t.name, "%s", name);
    /* Every line that names the test applies, in file order: the
     * exceptions add up, and a later weight or visibility wins. */
    for (size_t i = 0; i < p->ntests; i++) {
        const struct points_test *e = &p->tests[i];
        if (!names_test(e, step, prog, name))
            continue;
        if (e->has_weight)
            t.weight = e->weight;
        if (e->has_vis)
            t.vis = e->vis, t.has_vis = 1;
        t.fork |= e->fork;
        t.threads |= e->threads;
        t.exec |= e->exec;
        t.skip |= e->skip;
        if (e->because[0])
            memcpy(t.because, e->because, sizeof t.because);
    }
    return t;
}
