/*
 * assess.c - grading one student (see assess.h).
 *
 * Everything a submission controls is read as data or run in the
 * sandbox; the only things trusted here are the catalog (the workbook's
 * own files) and the result channel's bytes, which only say pass when
 * the harness wrote "pass NAME" and the process then exited 0.
 */
#define _GNU_SOURCE
#include "assess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "trial.h"
#include "unpack.h"

/* Lists a mode's tests, each not built until run_mode says otherwise. */
static int fill_tests(const struct assess_ctx *ctx, const struct assess_step *s,
                      struct assess_mode *m)
{
    m->ntests = catalog_ntests(s->cat);
    m->tests = calloc(m->ntests ? m->ntests : 1, sizeof *m->tests);
    if (!m->tests)
        return -1;
    size_t k = 0;
    for (int p = 0; p < s->cat->nprogs; p++)
        for (size_t i = 0; i < s->cat->progs[p].ntests; i++, k++) {
            struct assess_test *t = &m->tests[k];
            t->prog = &s->cat->progs[p];
            t->name = t->prog->tests[i];
            t->result = ASSESS_NOT_BUILT;
            t->pts = points_for_test(ctx->pts, s->cat->name, t->prog->name,
                                     t->name, t->prog->extra);
            if (t->pts.skip) {
                t->result = ASSESS_UNGRADED;
                t->pts.weight = 0;
                snprintf(t->why, sizeof t->why, "not graded: %s",
                         t->pts.because[0] ? t->pts.because
                                           : "points.txt says skip");
                m->ungraded++;
            }
        }
    return 0;
}

/* The archives one mode of a step links: libs into its programs, and
 * for a step with a shared library, pics (-fPIC) into libgreen.so. */
struct mode_inputs {
    const char *libs[CATALOG_MAX_STEPS], *pics[CATALOG_MAX_STEPS];
    int nlibs, npics;
};

/* Links the mode's libgreen.so into so. 1 built; 0 not (log says why). */
static int build_mode_shared(const struct build_env *e, struct assess_step *s,
                             int mode, const struct mode_inputs *in,
                             const char *work, char *so, size_t size,
                             struct util_buf *log)
{
    char dir[4200];
    util_path(dir, sizeof dir, "%s/lib/%s/%s", work, points_mode_name(mode),
              s->cat->name);
    if (util_path(so, size, "%s/libgreen.so", dir) < 0 ||
        util_mkdirs(dir, 0755) < 0)
        return 0;
    return build_shared(e, s->cat, in->pics, in->npics, so, log) == 0;
}

/* Builds and runs one mode of one step. A program is not linked when all
 * its tests are ungraded; none is when the step's shared library, which
 * its tests need, does not link. */
static void run_mode(const struct assess_ctx *ctx, const struct build_env *e,
                     struct assess_step *s, int mode, const struct mode_inputs *in,
                     const char *work, struct assess_student *st)
{
    struct assess_mode *m = &s->mode[mode];
    char so[4200] = "";
    struct util_buf solog;
    util_buf_init(&solog);
    int shared = !s->cat->shared ||
                 build_mode_shared(e, s, mode, in, work, so, sizeof so, &solog);
    size_t k = 0;
    for (int p = 0; p < s->cat->nprogs; p++) {
        const struct catalog_prog *prog = &s->cat->progs[p];
        char bin[4200], dir[4200];
        struct util_buf log;
        util_buf_init(&log);
        util_path(dir, sizeof dir, "%s/bin/%s/%s", work, points_mode_name(mode),
                  s->cat->name);
        util_path(bin, sizeof bin, "%s/%s", dir, prog->name);
        int graded = 0;
        for (size_t i = 0; i < prog->ntests; i++)
            graded += m->tests[k + i].result != ASSESS_UNGRADED;
        int linked = graded && shared && util_mkdirs(dir, 0755) == 0 &&
                     build_link(e, s->cat, prog, in->libs, in->nlibs, bin, &log) == 0;
        const char *what = shared ? prog->name : "libgreen.so";
        int first = 1;
        for (size_t i = 0; i < prog->ntests; i++, k++) {
            struct assess_test *t = &m->tests[k];
            if (t->result == ASSESS_UNGRADED)
                continue;
            if (linked) {
                trial_run(ctx, e, s, bin, s->cat->shared ? so : NULL, t, st);
                s->violations += t->violations != NULL;
            } else {
                t->result = ASSESS_FAIL;
                snprintf(t->why, sizeof t->why, "%s did not link%s", what,
                         first ? "" : " (the linker's words are with the "
                         "first test)");
                if (first)
                    t->output = strdup(util_buf_str(shared ? &log : &solog));
                first = 0;
            }
            m->passed += t->result == ASSESS_PASS;
            m->skipped += t->result == ASSESS_SKIP;
        }
        util_buf_free(&log);
    }
    util_buf_free(&solog);
    m->built = 1;
}

/* Scores a mode: each test's share of the step's points is its weight
 * over the sum of the step's weights. */
static double score(const struct assess_step *s, const struct assess_mode *m)
{
    double total = 0, got = 0;
    for (size_t i = 0; i < m->ntests; i++)
        total += m->tests[i].pts.weight;
    for (size_t i = 0; i < m->ntests && m->built; i++)
        if (m->tests[i].result == ASSESS_PASS)
            got += m->tests[i].pts.weight;
    return total > 0 ? s->pts.points * got / total : 0;
}

/* Finds the submission's steps/ tree; "" (and a note) when there is none. */
static int locate(const struct assess_ctx *ctx, const struct build_env *e,
                  const char *entry, const char *work, char *src, size_t size,
                  struct assess_student *st)
{
    char tree[4200];
    src[0] = '\0';
    if (unpack_is_archive(entry) && !util_is_dir(entry)) {
        struct util_buf log;
        util_buf_init(&log);
        util_path(tree, sizeof tree, "%s/tree", work);
        if (util_mkdirs(tree, 0755) < 0)
            return -1;
        int rc = unpack_run(ctx->self, entry, tree, ctx->caps, e->slot, &log);
        snprintf(st->note, sizeof st->note, "%s", util_buf_str(&log));
        util_buf_free(&log);
        if (rc < 0)
            return 0;
    } else {
        util_path(tree, sizeof tree, "%s", entry);
    }
    if (unpack_find_steps(tree, src, size) < 0) {
        src[0] = '\0';
        size_t n = strlen(st->note);
        snprintf(st->note + n, sizeof st->note - n, "no steps/ tree (folders "
                 "named like 01-context) in the submission\n");
    }
    return 0;
}

/* What mode m of step i links: the student's archives of 01..i
 * (cumulative) or the reference's of 01..i-1 and the student's i
 * (isolated), and the same -fPIC for a shared library. 1 when all are
 * there; 0 with why set when one is not. */
static int gather(const struct assess_ctx *ctx, const struct assess_student *st,
                  int i, int m, char (*libs)[4200], char (*pics)[4200],
                  struct mode_inputs *in, char *why, size_t size)
{
    const struct catalog_step *cs = ctx->cat->steps;
    int mine = m == POINTS_CUMULATIVE, shared = cs[i].shared;
    memset(in, 0, sizeof *in);
    for (int k = 0; k < i; k++) {
        const char *ref = cs[k].reference, *refpic = cs[k].reference_pic;
        if (mine ? !st->steps[k].compiled : !ref[0] || (shared && !refpic[0])) {
            snprintf(why, size, mine ? "step %s does not compile" :
                     "no reference archive for %s (`make grade-build` makes "
                     "them; a handout has none)", cs[k].name);
            return 0;
        }
        in->libs[in->nlibs++] = mine ? libs[k] : ref;
        if (shared)
            in->pics[in->npics++] = mine ? pics[k] : refpic;
    }
    in->libs[in->nlibs++] = libs[i];
    if (shared)
        in->pics[in->npics++] = pics[i];
    if (!st->steps[i].compiled) {
        snprintf(why, size, "step %s does not compile", cs[i].name);
        return 0;
    }
    return 1;
}

int assess_student(const struct assess_ctx *ctx, const char *name,
                   const char *entry, int slot, struct assess_student *st)
{
    double start = util_now();
    memset(st, 0, sizeof *st);
    snprintf(st->name, sizeof st->name, "%s", name);
    struct build_env e = {.cat = ctx->cat, .caps = ctx->caps, .slot = slot,
                          .wall = 120};
    char work[4200], src[4096], libs[CATALOG_MAX_STEPS][4200];
    char pics[CATALOG_MAX_STEPS][4200];
    char *flags = strdup(ctx->cflags);
    snprintf(e.cc, sizeof e.cc, "%s", ctx->cc);
    snprintf(e.ar, sizeof e.ar, "%s", ctx->ar);
    util_path(work, sizeof work, "%s/%s/work", ctx->out, name);
    util_path(e.work, sizeof e.work, "%s", work);
    if (!flags || util_rmtree(work) < 0 || util_mkdirs(work, 0755) < 0 ||
        (e.ncflags = util_split(flags, e.cflags, 0, BUILD_MAX_CFLAGS)) < 0 ||
        locate(ctx, &e, entry, work, src, sizeof src, st) < 0) {
        free(flags);
        return -1;
    }
    int last = -1;
    for (int i = 0; i < ctx->cat->nsteps; i++)
        if (ctx->cat->steps[i].nprogs > 0)
            last = i;
    char dir[4200];
    int shared_src = 0;
    if (src[0] && ctx->cat->last_shared >= 0) {
        util_path(dir, sizeof dir, "%s/%s", src,
                  ctx->cat->steps[ctx->cat->last_shared].name);
        shared_src = util_is_dir(dir);
    }
    st->nsteps = ctx->cat->nsteps;
    for (int i = 0; i < st->nsteps; i++) {
        st->steps[i].cat = &ctx->cat->steps[i];
        st->steps[i].pts = points_for_step(ctx->pts, ctx->cat->steps[i].name);
        /* A handout has no reference archives: only cumulative can count. */
        if (!ctx->cat->have_solutions)
            st->steps[i].pts.mode = POINTS_CUMULATIVE;
        st->steps[i].compiled = -1;
    }
    for (int i = 0; i <= last; i++) {
        struct assess_step *s = &st->steps[i];
        s->compiled = 0;
        s->graded = s->cat->nprogs > 0;
        struct util_buf log;
        util_buf_init(&log);
        util_path(libs[i], sizeof libs[i], "%s/lib/%s.a", work, s->cat->name);
        util_path(pics[i], sizeof pics[i], "%s/lib/%s.pic.a", work, s->cat->name);
        util_path(dir, sizeof dir, "%s/lib", work);
        util_mkdirs(dir, 0755);
        util_path(dir, sizeof dir, "%s/%s", src, s->cat->name);
        const char *step_src = src[0] && util_is_dir(dir) ? dir : NULL;
        /* -fPIC as well for the steps a shared library will hold, when the
         * submission has the step whose library it is (isolated mode
         * uses the reference's -fPIC archives for the earlier steps). */
        const char *pic = i <= ctx->cat->last_shared && shared_src ? pics[i] : NULL;
        if (src[0])
            s->compiled = build_step(&e, i, step_src, libs[i], pic, &log) == 0;
        else
            util_buf_puts(&log, "nothing submitted\n");
        s->compile_log = log.failed ? NULL : log.text;
        if (!s->graded)
            continue;
        size_t n = catalog_ntests(s->cat);
        for (int m = 0; m < 2; m++) {
            struct mode_inputs in;
            struct assess_mode *md = &s->mode[m];
            if (fill_tests(ctx, s, md) < 0)
                continue;
            if (gather(ctx, st, i, m, libs, pics, &in, md->why, sizeof md->why))
                run_mode(ctx, &e, s, m, &in, work, st);
            for (size_t k = 0; k < n && !md->built; k++)
                if (md->tests[k].result != ASSESS_UNGRADED)
                    snprintf(md->tests[k].why, sizeof md->tests[k].why,
                             "not run: %s", md->why);
            md->points = score(s, md);
        }
        s->max = s->pts.points;
        st->max += s->max;
        st->total += s->mode[s->pts.mode].points;
    }
    free(flags);
    if (!ctx->keep)
        util_rmtree(work);
    st->seconds = util_now() - start;
    return 0;
}

void assess_free(struct assess_student *st)
{
    for (int i = 0; i < st->nsteps; i++) {
        struct assess_step *s = &st->steps[i];
        free(s->compile_log);
        for (int m = 0; m < 2; m++) {
            for (size_t k = 0; s->mode[m].tests && k < s->mode[m].ntests; k++) {
                free(s->mode[m].tests[k].violations);
                free(s->mode[m].tests[k].output);
            }
            free(s->mode[m].tests);
        }
    }
}
