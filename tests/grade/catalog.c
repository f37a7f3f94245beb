/*
 * catalog.c - scans the workbook's trusted files (see catalog.h).
 */
#define _GNU_SOURCE
#include "catalog.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int by_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The names in dir matching a predicate, sorted; returns the count. */
static int list_dir(const char *dir, int (*want)(const char *), char (*out)[64],
                    int max)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max)
        if (want(e->d_name) && strlen(e->d_name) < 64)
            strcpy(out[n++], e->d_name);
    closedir(d);
    qsort(out, (size_t)n, sizeof out[0], by_name);
    return n;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

static int is_step(const char *n)
{
    return isdigit((unsigned char)n[0]) && isdigit((unsigned char)n[1]) &&
           n[2] == '-';
}

static int is_source(const char *n)
{
    return n[0] != '.' && (ends_with(n, ".c") || ends_with(n, ".S"));
}

static int is_test(const char *n)
{
    return strncmp(n, "test_", 5) == 0 && ends_with(n, ".c");
}

/* A helper of the tests: neither a test program nor a plain program. */
static int is_helper(const char *n)
{
    return n[0] != '.' && ends_with(n, ".c") && !is_test(n) &&
           strncmp(n, "prog_", 5) != 0;
}

static int is_plain(const char *n)
{
    return strncmp(n, "prog_", 5) == 0 && ends_with(n, ".c");
}

int catalog_is_preload(const char *file)
{
    return strncmp(file, "preload", 7) == 0;
}

/* The step's plain programs, built by `make grade-build` into
 * build/bin/grade/NN-name/ (tests/grade/grade.mk). */
static int add_plain(struct catalog *c, struct catalog_step *s,
                     struct util_buf *err)
{
    char dir[4096], names[CATALOG_MAX_PLAIN][64];
    util_path(dir, sizeof dir, "%s/tests/%s", c->root, s->name);
    int n = list_dir(dir, is_plain, names, CATALOG_MAX_PLAIN);
    if (util_path(s->plain_dir, sizeof s->plain_dir, "%s/bin/grade/%s",
                  c->build, s->name) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        char *p = s->plain[s->nplain++];
        if (util_path(p, 4096, "%s/%.*s", s->plain_dir,
                      (int)strlen(names[i]) - 2, names[i]) < 0)
            return -1;
        if (access(p, X_OK) < 0) {
            util_buf_printf(err, "%s: missing (run `make grade`, which builds "
                            "it)\n", p);
            return -1;
        }
    }
    return 0;
}

/* The only flags tests/NN/libs may hold: libraries of the C library's own
 * family, nothing that changes how or where the linker looks. */
static const char *const allowed_libs[] = {"-lcrypt", "-lm", "-ldl",
                                           "-lpthread", "-lrt", NULL};

/* The step's -l flags: those of the step before it, and its own
 * tests/NN/libs (one line of flags, as build.mk's step_libs reads it). */
static int add_libs(struct catalog *c, int step, struct util_buf *err)
{
    struct catalog_step *s = &c->steps[step];
    if (step > 0) {
        memcpy(s->libs, c->steps[step - 1].libs, sizeof s->libs);
        s->nlibs = c->steps[step - 1].nlibs;
    }
    char path[4096];
    util_path(path, sizeof path, "%s/tests/%s/libs", c->root, s->name);
    char *text = util_read_file(path, 4096, NULL);
    if (!text && errno == ENOENT)
        return 0;
    if (!text) {
        util_buf_printf(err, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    char *save = NULL;
    int rc = 0;
    for (char *w = strtok_r(text, " \t\r\n", &save); w && rc == 0;
         w = strtok_r(NULL, " \t\r\n", &save)) {
        const char *const *a = allowed_libs;
        while (*a && strcmp(*a, w) != 0)
            a++;
        int dup = 0;
        for (int k = 0; *a && k < s->nlibs; k++)
            dup |= s->libs[k] == *a;
        if (!*a || s->nlibs == CATALOG_MAX_LIBS) {
            util_buf_printf(err, "%s: %s is not one of the flags the grader "
                            "links with (-lcrypt -lm -ldl -lpthread -lrt)\n",
                            path, w);
            rc = -1;
        } else if (!dup) {
            s->libs[s->nlibs++] = *a;
        }
    }
    free(text);
    return rc;
}

/* The trusted objects of a step's test helpers, built with its tests. */
static int add_helpers(struct catalog *c, struct catalog_step *s,
                       struct util_buf *err)
{
    char dir[4096], names[CATALOG_MAX_FILES][64];
    util_path(dir, sizeof dir, "%s/tests/%s", c->root, s->name);
    int n = list_dir(dir, is_helper, names, CATALOG_MAX_FILES);
    for (int i = 0; i < n; i++) {
        char *o = s->helpers[s->nhelpers++];
        if (util_path(o, 4096, "%s/obj/tests/%s/%.*s.o", c->build, s->name,
                      (int)strlen(names[i]) - 2, names[i]) < 0)
            return -1;
        if (access(o, R_OK) < 0) {
            util_buf_printf(err, "%s: missing (run `make grade`, which builds "
                            "it)\n", o);
            return -1;
        }
    }
    return 0;
}

/* Reads the test names of a test file from its HARNESS_TESTS list. */
static int read_names(struct catalog_prog *p, struct util_buf *err)
{
    size_t len;
    char *text = util_read_file(p->source, 4 << 20, &len);
    if (!text) {
        util_buf_printf(err, "%s: %s\n", p->source, strerror(errno));
        return -1;
    }
    const char *list = strstr(text, "\nHARNESS_TESTS(");
    for (const char *at = list; at && (at = strstr(at, "cmocka_unit_test("));) {
        at += strlen("cmocka_unit_test(");
        size_t n = 0;
        while (isalnum((unsigned char)at[n]) || at[n] == '_')
            n++;
        if (n == 0 || n >= 128)
            continue;
        void *grown = realloc(p->tests, (p->ntests + 1) * sizeof p->tests[0]);
        if (!grown) {
            free(text);
            return -1;
        }
        p->tests = grown;
        memcpy(p->tests[p->ntests], at, n);
        p->tests[p->ntests++][n] = '\0';
    }
    free(text);
    if (p->ntests == 0) {
        util_buf_printf(err, "%s: no HARNESS_TESTS(...) list of "
                        "cmocka_unit_test(...) entries\n", p->source);
        return -1;
    }
    return 0;
}

/* Adds the test programs found in dir (tests/NN or extra/NN). */
static int add_progs(struct catalog *c, struct catalog_step *s, const char *dir,
                     int extra, const char *extra_obj, struct util_buf *err)
{
    char names[CATALOG_MAX_PROGS][64];
    int n = list_dir(dir, is_test, names, CATALOG_MAX_PROGS);
    for (int i = 0; i < n; i++) {
        if (s->nprogs == CATALOG_MAX_PROGS)
            return -1;
        struct catalog_prog *p = &s->progs[s->nprogs];
        memset(p, 0, sizeof *p);
        snprintf(p->name, sizeof p->name, "%.*s", (int)strlen(names[i]) - 2,
                 names[i]);
        for (int k = 0; k < s->nprogs; k++)
            if (strcmp(s->progs[k].name, p->name) == 0) {
                util_buf_printf(err, "%s/%s: an extra test program may not "
                                "share a name with the workbook's\n", dir,
                                names[i]);
                return -1;
            }
        p->extra = extra;
        int bad = util_path(p->source, sizeof p->source, "%s/%s", dir, names[i]);
        if (extra)
            bad |= util_path(p->object, sizeof p->object, "%s/%s/%s.o",
                             extra_obj, s->name, p->name);
        else
            bad |= util_path(p->object, sizeof p->object, "%s/obj/tests/%s/%s.o",
                             c->build, s->name, p->name);
        if (bad)
            return -1;
        if (!extra && access(p->object, R_OK) < 0) {
            util_buf_printf(err, "%s: missing (run `make build-solutions`, or "
                            "`make grade`, which does)\n", p->object);
            return -1;
        }
        if (read_names(p, err) < 0)
            return -1;
        s->nprogs++;
    }
    return 0;
}

/* The student's files of a step, and the given ones. */
static void scan_files(struct catalog *c, struct catalog_step *s)
{
    char dir[4096], all[CATALOG_MAX_FILES][64], ref[CATALOG_MAX_FILES][64];
    util_path(dir, sizeof dir, "%s/steps/%s", c->root, s->name);
    int n = list_dir(dir, is_source, all, CATALOG_MAX_FILES), nref = 0;
    if (c->have_solutions) {
        util_path(dir, sizeof dir, "%s/solutions/%s", c->root, s->name);
        nref = list_dir(dir, is_source, ref, CATALOG_MAX_FILES);
    }
    for (int i = 0; i < n; i++) {
        int mine = !c->have_solutions;
        for (int k = 0; k < nref; k++)
            mine |= strcmp(all[i], ref[k]) == 0;
        if (mine)
            strcpy(s->files[s->nfiles++], all[i]);
        else
            strcpy(s->given[s->ngiven++], all[i]);
    }
}

int catalog_load(struct catalog *c, const struct points *pts, const char *root,
                 const char *build, const char *extra, const char *extra_obj,
                 struct util_buf *err)
{
    memset(c, 0, sizeof *c);
    char dir[4096], steps[CATALOG_MAX_STEPS][64];
    if (!realpath(root, c->root) || !realpath(build, c->build)) {
        util_buf_printf(err, "%s or %s: %s\n", root, build, strerror(errno));
        return -1;
    }
    util_path(dir, sizeof dir, "%s/solutions", c->root);
    c->have_solutions = util_is_dir(dir);
    for (int i = 0; i < 2; i++) {
        util_path(c->harness[i], sizeof c->harness[i], "%s/obj/harness/%s.o",
                  c->build, i ? "support" : "harness");
        if (access(c->harness[i], R_OK) < 0) {
            util_buf_printf(err, "%s: missing (run `make grade`, which builds "
                            "it)\n", c->harness[i]);
            return -1;
        }
    }
    util_path(dir, sizeof dir, "%s/steps", c->root);
    c->nsteps = list_dir(dir, is_step, steps, CATALOG_MAX_STEPS);
    c->last_shared = -1;
    for (int i = 0; i < c->nsteps; i++) {
        struct catalog_step *s = &c->steps[i];
        snprintf(s->name, sizeof s->name, "%s", steps[i]);
        scan_files(c, s);
        if (add_libs(c, i, err) < 0)
            goto fail;
        s->skipped = points_for_step(pts, s->name).skip;
        if (s->skipped)
            continue;
        for (int k = 0; k < s->nfiles + s->ngiven; k++)
            s->shared |= catalog_is_preload(k < s->nfiles ? s->files[k]
                                            : s->given[k - s->nfiles]);
        if (s->shared)
            c->last_shared = i;
        util_path(dir, sizeof dir, "%s/tests/%s", c->root, s->name);
        if (add_progs(c, s, dir, 0, NULL, err) < 0 ||
            (s->nprogs > 0 && (add_helpers(c, s, err) < 0 ||
                               add_plain(c, s, err) < 0)))
            goto fail;
        if (extra) {
            util_path(dir, sizeof dir, "%s/%s", extra, s->name);
            if (add_progs(c, s, dir, 1, extra_obj, err) < 0)
                goto fail;
        }
        util_path(s->reference, sizeof s->reference, "%s/lib/solutions/%s.a",
                  c->build, s->name);
        if (!c->have_solutions || access(s->reference, R_OK) < 0)
            s->reference[0] = '\0';
    }
    /* The -fPIC reference archives of the steps a shared library holds
     * (grade.mk builds them), for the isolated mode's libgreen.so. */
    for (int i = 0; i <= c->last_shared; i++) {
        struct catalog_step *s = &c->steps[i];
        util_path(s->reference_pic, sizeof s->reference_pic,
                  "%s/lib/pic/solutions/%s.a", c->build, s->name);
        if (!c->have_solutions || access(s->reference_pic, R_OK) < 0)
            s->reference_pic[0] = '\0';
    }
    return 0;
fail:
    catalog_free(c);
    return -1;
}

void catalog_free(struct catalog *c)
{
    for (int i = 0; i < c->nsteps; i++)
        for (int k = 0; k < c->steps[i].nprogs; k++) {
            free(c->steps[i].progs[k].tests);
            c->steps[i].progs[k].tests = NULL;
        }
}

size_t catalog_ntests(const struct catalog_step *s)
{
    size_t n = 0;
    for (int k = 0; k < s->nprogs; k++)
        n += s->progs[k].ntests;
    return n;
}
