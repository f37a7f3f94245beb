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

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "sandbox.h"
#include "unpack.h"

enum { OUTPUT_KEEP = 4000, TEST_OUT_CAP = 64 * 1024 };

/* The last OUTPUT_KEEP bytes of a run's output, for the report. */
static char *output_tail(const struct util_buf *out)
{
    const char *s = util_buf_str(out);
    size_t n = strlen(s);
    return strdup(n > OUTPUT_KEEP ? s + n - OUTPUT_KEEP : s);
}

static char *violation_text(const struct policy_state *p)
{
    if (p->nv == 0)
        return NULL;
    struct util_buf b;
    util_buf_init(&b);
    for (int i = 0; i < p->nv; i++)
        util_buf_printf(&b, "%s (%u time%s): %s\n", p->v[i].call, p->v[i].count,
                        p->v[i].count == 1 ? "" : "s", p->v[i].reason);
    if (p->dropped)
        util_buf_printf(&b, "and %u more refused calls\n", p->dropped);
    return b.failed ? NULL : b.text;
}

/* Decides a run's result from its end and its record. */
static void judge(const struct assess_ctx *ctx, struct assess_test *t,
                  const struct sandbox_result *r)
{
    char want[256], skip[256], end[160];
    snprintf(want, sizeof want, "pass %s\n", t->name);
    snprintf(skip, sizeof skip, "skip %s: ", t->name);
    int clean = r->started && r->exited && r->status == 0 && !r->record_overflow;
    sandbox_describe_end(r, 2 * ctx->timeout, end, sizeof end);
    t->result = ASSESS_FAIL;
    if (!r->started) {
        snprintf(t->why, sizeof t->why, "the sandbox could not start it");
    } else if (r->policy.nv && ctx->pts->violations_fail) {
        snprintf(t->why, sizeof t->why, "the sandbox refused a call (below), "
                 "which fails the test; then: %s", end);
    } else if (clean && strcmp(r->record, want) == 0) {
        t->result = ASSESS_PASS;
    } else if (clean && strncmp(r->record, skip, strlen(skip)) == 0) {
        t->result = ASSESS_SKIP;
        snprintf(t->why, sizeof t->why, "skipped: %.*s", (int)strcspn(
                 r->record + strlen(skip), "\n"), r->record + strlen(skip));
    } else if (r->record_len == 0) {
        snprintf(t->why, sizeof t->why, "%s, before the harness recorded a "
                 "result (whatever it printed does not count)", end);
    } else {
        snprintf(t->why, sizeof t->why, "%s; the harness recorded: %.*s", end,
                 (int)strcspn(r->record, "\n"), r->record);
    }
}

static void run_test(const struct assess_ctx *ctx, const struct build_env *e,
                     const struct assess_step *s, const char *bin,
                     struct assess_test *t, struct assess_student *st)
{
    char scratch[4096], tmp[4200], home[4200];
    if (build_scratch(e, scratch, sizeof scratch) < 0) {
        snprintf(t->why, sizeof t->why, "grader error: no scratch folder: %s",
                 strerror(errno));
        return;
    }
    util_path(tmp, sizeof tmp, "TMPDIR=%s", scratch);
    util_path(home, sizeof home, "HOME=%s", scratch);
    const char *argv[] = {bin, "--run", t->name, NULL};
    const char *envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", tmp, home,
                          "HARNESS_RESULT_FD=3", NULL};
    int limited = ctx->caps->root || ctx->caps->userns;
    struct sandbox_spec spec = {
        .argv = argv, .envp = envp, .scratch = scratch,
        .rules = {{"/usr", FENCE_READ}, {"/lib", FENCE_READ},
                  {"/lib64", FENCE_READ}, {"/etc", FENCE_READ},
                  {"/proc", FENCE_READ}, {"/dev/null", FENCE_DEVNULL},
                  {"/dev/urandom", FENCE_READ},
                  {"/sys/devices/system/cpu", FENCE_READ}, {bin, FENCE_EXEC}},
        .nrules = 9,
        .policy = {.stage = POLICY_TEST, .net = s->pts.net, .fork = t->pts.fork,
                   .threads = t->pts.threads, .step = s->cat->name},
        .limits = {.cpu = (rlim_t)ctx->timeout, .as = ctx->memory,
                   .fsize = 16 << 20, .nofile = 1024,
                   /* Without a user of its own the count would include
                    * the grader's user's every process: do not lower it. */
                   .nproc = limited ? (t->pts.fork ? 32 : 4) : 4096},
        /* Twice the CPU limit: a busy loop meets its CPU limit first and
         * is reported as such; a sleeper meets the wall-clock deadline. */
        .wall = 2 * ctx->timeout, .out_cap = TEST_OUT_CAP, .want_record = 1,
    };
    isolate_ids(ctx->caps, e->slot, &spec.uid, &spec.gid);
    struct sandbox_result r;
    if (sandbox_run(&spec, ctx->caps, &r) < 0) {
        snprintf(t->why, sizeof t->why, "grader error: %s", strerror(errno));
    } else {
        judge(ctx, t, &r);
        t->seconds = r.seconds;
        t->violations = violation_text(&r.policy);
        if (t->result != ASSESS_PASS)
            t->output = output_tail(&r.out);
        if (r.started) {
            st->landlock_abi = r.landlock_abi;
            st->netns = r.netns;
        }
        sandbox_result_free(&r);
    }
    util_rmtree(scratch);
}

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
        }
    return 0;
}

/* Builds and runs one mode of one step. libs: the archives to link. */
static void run_mode(const struct assess_ctx *ctx, const struct build_env *e,
                     struct assess_step *s, int mode, const char *const *libs,
                     int nlibs, const char *work, struct assess_student *st)
{
    struct assess_mode *m = &s->mode[mode];
    size_t k = 0;
    for (int p = 0; p < s->cat->nprogs; p++) {
        const struct catalog_prog *prog = &s->cat->progs[p];
        char bin[4200], dir[4200];
        struct util_buf log;
        util_buf_init(&log);
        util_path(dir, sizeof dir, "%s/bin/%s/%s", work, points_mode_name(mode),
                  s->cat->name);
        util_path(bin, sizeof bin, "%s/%s", dir, prog->name);
        int linked = util_mkdirs(dir, 0755) == 0 &&
                     build_link(e, s->cat, prog, libs, nlibs, bin, &log) == 0;
        for (size_t i = 0; i < prog->ntests; i++, k++) {
            struct assess_test *t = &m->tests[k];
            if (linked) {
                run_test(ctx, e, s, bin, t, st);
                s->violations += t->violations != NULL;
            } else {
                t->result = ASSESS_FAIL;
                snprintf(t->why, sizeof t->why, "%s did not link%s",
                         prog->name, i ? " (the linker's words are with its "
                         "first test)" : "");
                t->output = i ? NULL : strdup(util_buf_str(&log));
            }
            m->passed += t->result == ASSESS_PASS;
            m->skipped += t->result == ASSESS_SKIP;
        }
        util_buf_free(&log);
    }
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

int assess_student(const struct assess_ctx *ctx, const char *name,
                   const char *entry, int slot, struct assess_student *st)
{
    double start = util_now();
    memset(st, 0, sizeof *st);
    snprintf(st->name, sizeof st->name, "%s", name);
    struct build_env e = {.cat = ctx->cat, .caps = ctx->caps, .slot = slot,
                          .wall = 120};
    char work[4200], src[4096], libs[CATALOG_MAX_STEPS][4200];
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
        char dir[4200];
        struct util_buf log;
        util_buf_init(&log);
        util_path(libs[i], sizeof libs[i], "%s/lib/%s.a", work, s->cat->name);
        util_path(dir, sizeof dir, "%s/lib", work);
        util_mkdirs(dir, 0755);
        util_path(dir, sizeof dir, "%s/%s", src, s->cat->name);
        const char *step_src = src[0] && util_is_dir(dir) ? dir : NULL;
        if (src[0])
            s->compiled = build_step(&e, i, step_src, libs[i], &log) == 0;
        else
            util_buf_puts(&log, "nothing submitted\n");
        s->compile_log = log.failed ? NULL : log.text;
        if (!s->graded)
            continue;
        size_t n = catalog_ntests(s->cat);
        for (int m = 0; m < 2; m++) {
            const char *use[CATALOG_MAX_STEPS];
            int nuse = 0, ok = 1;
            if (fill_tests(ctx, s, &s->mode[m]) < 0)
                continue;
            for (int k = 0; k < i && ok; k++) {
                int mine = m == POINTS_CUMULATIVE;
                ok = mine ? st->steps[k].compiled : ctx->cat->steps[k].reference[0];
                use[nuse++] = mine ? libs[k] : ctx->cat->steps[k].reference;
                if (!ok)
                    snprintf(s->mode[m].why, sizeof s->mode[m].why, mine ?
                             "step %s does not compile" : "no reference archive "
                             "for %s (`make grade-build` makes them; a handout has none)",
                             ctx->cat->steps[k].name);
            }
            use[nuse++] = libs[i];
            if (ok && !s->compiled)
                snprintf(s->mode[m].why, sizeof s->mode[m].why,
                         "step %s does not compile", s->cat->name);
            if (ok && s->compiled)
                run_mode(ctx, &e, s, m, use, nuse, work, st);
            for (size_t k = 0; k < n && !s->mode[m].built; k++)
                snprintf(s->mode[m].tests[k].why, sizeof s->mode[m].tests[k].why,
                         "not run: %s", s->mode[m].why);
            s->mode[m].points = score(s, &s->mode[m]);
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
