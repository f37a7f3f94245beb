/*
 * trial.c - one test, run as its own sandboxed process, and its verdict
 * (see trial.h).
 */
#define _GNU_SOURCE
#include "trial.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

enum { OUTPUT_KEEP = 4000, TEST_OUT_CAP = 64 * 1024 };

/* RLIMIT_NPROC of a test, threads included: one process; a fork test's
 * few children (and a fork bomb's ceiling); a threads test's threads
 * (07-install's prog_threads runs 52 beside the test that started it). */
enum { NPROC_PLAIN = 4, NPROC_FORK = 32, NPROC_THREADS = 96 };

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

void trial_run(const struct assess_ctx *ctx, const struct build_env *e,
                     const struct assess_step *s, const char *bin, const char *so,
                     struct assess_test *t, struct assess_student *st)
{
    const struct catalog_step *cs = s->cat;
    char scratch[4096], tmp[4200], home[4200], book[4200], steps[4200];
    char lib[4200], progs[4200];
    if (build_scratch(e, scratch, sizeof scratch) < 0) {
        snprintf(t->why, sizeof t->why, "grader error: no scratch folder: %s",
                 strerror(errno));
        return;
    }
    util_path(tmp, sizeof tmp, "TMPDIR=%s", scratch);
    util_path(home, sizeof home, "HOME=%s", scratch);
    util_path(book, sizeof book, "GREEN_WORKBOOK=%s", ctx->cat->root);
    util_path(steps, sizeof steps, "%s/steps", ctx->cat->root);
    util_path(lib, sizeof lib, "GREEN_PRELOAD_LIB=%s", so ? so : "");
    util_path(progs, sizeof progs, "GREEN_PROG_DIR=%s", cs->plain_dir);
    const char *argv[] = {bin, "--run", t->name, NULL};
    const char *envp[8] = {"PATH=/usr/bin:/bin", "LC_ALL=C", tmp, home,
                           "HARNESS_RESULT_FD=3", book};
    int nenv = 6;
    if (so)
        envp[nenv++] = lib;
    if (cs->nplain)
        envp[nenv++] = progs;
    envp[nenv] = NULL;
    int limited = ctx->caps->root || ctx->caps->userns;
    struct sandbox_spec spec = {
        .argv = argv, .envp = envp, .scratch = scratch,
        .rules = {{"/usr", FENCE_READ}, {"/lib", FENCE_READ},
                  {"/lib64", FENCE_READ}, {"/etc", FENCE_READ},
                  {"/proc", FENCE_READ}, {"/dev/null", FENCE_DEVNULL},
                  {"/dev/urandom", FENCE_READ},
                  {"/sys/devices/system/cpu", FENCE_READ}, {bin, FENCE_EXEC},
                  /* The workbook's public starters and given data (the
                   * MUD's world.txt): what the compiler reads too. */
                  {steps, FENCE_READ}},
        .nrules = 10,
        .policy = {.stage = POLICY_TEST, .net = s->pts.net, .fork = t->pts.fork,
                   .threads = t->pts.threads, .step = cs->name},
        .limits = {.cpu = (rlim_t)ctx->timeout, .as = ctx->memory,
                   .fsize = 16 << 20, .nofile = 1024,
                   /* Without a user of its own the count would include
                    * the grader's user's every process: do not lower it. */
                   .nproc = !limited ? 4096 : t->pts.threads ? NPROC_THREADS
                            : t->pts.fork ? NPROC_FORK : NPROC_PLAIN},
        /* Twice the CPU limit: a busy loop meets its CPU limit first and
         * is reported as such; a sleeper meets the wall-clock deadline. */
        .wall = 2 * ctx->timeout, .out_cap = TEST_OUT_CAP, .want_record = 1,
    };
    if (so)
        spec.rules[spec.nrules++] = (struct fence_rule){so, FENCE_READ};
    /* `exec`: the step's plain programs, and only they, may be executed:
     * seccomp checks the path, Landlock grants execute on these alone. */
    const char *programs[CATALOG_MAX_PLAIN + 1] = {NULL};
    if (t->pts.exec) {
        for (int i = 0; i < cs->nplain; i++) {
            programs[i] = cs->plain[i];
            spec.rules[spec.nrules++] = (struct fence_rule){cs->plain[i], FENCE_EXEC};
        }
        spec.policy.programs = programs;
    }
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

