/*
 * build.c - compiling and linking in the sandbox (see build.h).
 *
 * Every tool runs with the compile stage's policy: it may fork and exec
 * (the driver runs cc1, as, collect2 and ld) but has no network, no
 * ptrace, no namespaces, and writes only its scratch folder. Its outputs
 * (archives, programs) are renamed out of scratch by the grader and given
 * to the grader's own user, so a later sandbox of the same slot cannot
 * rewrite them.
 */
#define _GNU_SOURCE
#include "build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox.h"

enum { MAX_ARGS = 128 };

int build_scratch(const struct build_env *e, char *out, size_t size)
{
    uid_t uid;
    gid_t gid;
    if (util_path(out, size, "%s/scratch.XXXXXX", e->work) < 0 || !mkdtemp(out))
        return -1;
    isolate_ids(e->caps, e->slot, &uid, &gid);
    if (e->caps->root && chown(out, uid, gid) < 0) {
        int err = errno;
        rmdir(out);
        errno = err;
        return -1;
    }
    return 0;
}

/* The fence every tool run shares: the system, and the workbook's steps/
 * (headers and given code). Returns the number of rules written. */
static int base_rules(const struct build_env *e, struct fence_rule *r,
                      char steps[4096])
{
    util_path(steps, 4096, "%s/steps", e->cat->root);
    struct fence_rule base[] = {
        {"/usr", FENCE_EXEC}, {"/lib", FENCE_EXEC}, {"/lib64", FENCE_EXEC},
        {"/etc", FENCE_READ}, {"/proc", FENCE_READ},
        {"/dev/null", FENCE_DEVNULL}, {"/dev/urandom", FENCE_READ},
        {steps, FENCE_READ},
    };
    memcpy(r, base, sizeof base);
    return (int)(sizeof base / sizeof base[0]);
}

/* Runs one tool; 0 if it exited 0, 1 if not (log says how), -1 if the
 * grader could not run it. */
static int run_tool(const struct build_env *e, const char *const *argv,
                    struct fence_rule *rules, int nrules, const char *scratch,
                    const char *step, struct util_buf *log)
{
    char tmp[4200], home[4200];
    util_path(tmp, sizeof tmp, "TMPDIR=%s", scratch);
    util_path(home, sizeof home, "HOME=%s", scratch);
    const char *envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", tmp, home, NULL};
    struct sandbox_spec s = {
        .argv = argv, .envp = envp, .scratch = scratch, .nrules = nrules,
        .policy = {.stage = POLICY_COMPILE, .step = step},
        .limits = {.cpu = (rlim_t)e->wall, .as = 4UL << 30,
                   .fsize = 256 << 20, .nofile = 256, .nproc = 64},
        .wall = e->wall, .out_cap = 16384,
    };
    memcpy(s.rules, rules, sizeof rules[0] * (size_t)nrules);
    isolate_ids(e->caps, e->slot, &s.uid, &s.gid);
    struct sandbox_result r;
    if (sandbox_run(&s, e->caps, &r) < 0)
        return -1;
    util_buf_puts(log, util_buf_str(&r.out));
    for (int i = 0; i < r.policy.nv; i++)
        util_buf_printf(log, "sandbox refused %s (%u times): %s\n",
                        r.policy.v[i].call, r.policy.v[i].count,
                        r.policy.v[i].reason);
    int ok = r.started && r.exited && r.status == 0;
    if (!ok) {
        char end[160];
        sandbox_describe_end(&r, s.wall, end, sizeof end);
        util_buf_printf(log, "%s: %s\n", strrchr(argv[0], '/') + 1, end);
    }
    sandbox_result_free(&r);
    return ok ? 0 : 1;
}

/* Moves a tool's output out of scratch and makes it the grader's. */
static int take_output(const char *from, const char *to, mode_t mode)
{
    if (rename(from, to) < 0)
        return -1;
    if (chown(to, geteuid(), getegid()) < 0 && geteuid() == 0)
        return -1;
    return chmod(to, mode);
}

/* The compiler's argv: cc, cflags, -I for each step up to `step`, more. */
static int cc_args(const struct build_env *e, int step, const char **argv,
                   char (*inc)[4200])
{
    int n = 0;
    argv[n++] = e->cc;
    for (int i = 0; i < e->ncflags; i++)
        argv[n++] = e->cflags[i];
    for (int i = 0; i <= step && n < MAX_ARGS - 40; i++) {
        util_path(inc[i], 4200, "-I%s/steps/%s", e->cat->root, e->cat->steps[i].name);
        argv[n++] = inc[i];
    }
    return n;
}

/* Compiles names (already in scratch) with the step's flags, plus -fPIC
 * when pic, and archives the objects as scratch/archive. 0, 1 or -1. */
static int compile_archive(const struct build_env *e, int step, const char *scratch,
                           char (*names)[64], int n, int pic, const char *archive,
                           struct util_buf *log)
{
    const struct catalog_step *s = &e->cat->steps[step];
    char inc[CATALOG_MAX_STEPS][4200], steps[4096];
    char objs[CATALOG_MAX_FILES * 2][80];
    const char *argv[MAX_ARGS];
    struct fence_rule rules[SANDBOX_MAX_RULES];
    int nrules = base_rules(e, rules, steps), rc;
    int k = cc_args(e, step, argv, inc);
    if (pic)
        argv[k++] = "-fPIC";
    argv[k++] = "-c";
    for (int i = 0; i < n; i++)
        argv[k++] = names[i];
    argv[k] = NULL;
    if ((rc = run_tool(e, argv, rules, nrules, scratch, s->name, log)) != 0)
        return rc;
    k = 0;
    argv[k++] = e->ar;
    argv[k++] = "rcs";
    argv[k++] = archive;
    for (int i = 0; i < n; i++) {
        snprintf(objs[i], sizeof objs[i], "%.*s.o", (int)strlen(names[i]) - 2,
                 names[i]);
        argv[k++] = objs[i];
    }
    argv[k] = NULL;
    return run_tool(e, argv, rules, nrules, scratch, s->name, log);
}

int build_step(const struct build_env *e, int step, const char *src,
               const char *lib, const char *pic, struct util_buf *log)
{
    const struct catalog_step *s = &e->cat->steps[step];
    char scratch[4096], from[4200], to[4200];
    char all[CATALOG_MAX_FILES * 2][64], archived[CATALOG_MAX_FILES * 2][64];
    int rc = -1, nall = 0, narchived = 0;
    if (build_scratch(e, scratch, sizeof scratch) < 0)
        return -1;
    for (int i = 0; i < s->nfiles + s->ngiven; i++) {
        int given = i >= s->nfiles;
        const char *f = given ? s->given[i - s->nfiles] : s->files[i];
        if (given)
            util_path(from, sizeof from, "%s/steps/%s/%s", e->cat->root, s->name, f);
        else if (!src || util_path(from, sizeof from, "%s/%s", src, f) < 0)
            from[0] = '\0';
        util_path(to, sizeof to, "%s/%s", scratch, f);
        if (!from[0] || util_copy_file(from, to, BUILD_MAX_SOURCE, 0644) < 0) {
            util_buf_printf(log, "%s/%s: %s\n", s->name, f,
                            !from[0] || errno == ENOENT ? "missing from the submission"
                            : errno == EFBIG ? "larger than 1 MiB"
                            : errno == ELOOP ? "a symbolic link, not a file"
                                             : strerror(errno));
            rc = 1;
            goto done;
        }
        strcpy(all[nall++], f);
        /* The preload files are the shared library's alone: in the
         * archive, their pthread_create would take over every program's. */
        if (!catalog_is_preload(f))
            strcpy(archived[narchived++], f);
    }
    rc = compile_archive(e, step, scratch, archived, narchived, 0, "step.a", log);
    if (rc == 0) {
        util_path(from, sizeof from, "%s/step.a", scratch);
        rc = take_output(from, lib, 0644) < 0 ? -1 : 0;
    }
    /* The same again -fPIC, for a shared library (tests/mk/build.mk's
     * pic/ objects); a file that compiles only one way fails the step. */
    if (rc == 0 && pic) {
        rc = compile_archive(e, step, scratch, all, nall, 1, "pic.a", log);
        util_path(from, sizeof from, "%s/pic.a", scratch);
        if (rc == 0 && take_output(from, pic, 0644) < 0)
            rc = -1;
    }
done:
    util_rmtree(scratch);
    return rc;
}

int build_extra(const struct build_env *e, int step,
                const struct catalog_prog *p, struct util_buf *log)
{
    char scratch[4096], inc[CATALOG_MAX_STEPS][4200], steps[4096];
    char harness_dir[4200], harness_inc[4200], out[4200], dir[4200];
    const char *argv[MAX_ARGS];
    struct fence_rule rules[SANDBOX_MAX_RULES];
    if (build_scratch(e, scratch, sizeof scratch) < 0)
        return -1;
    util_path(harness_dir, sizeof harness_dir, "%s/tests/harness", e->cat->root);
    util_path(harness_inc, sizeof harness_inc, "-I%s", harness_dir);
    util_path(out, sizeof out, "%s/test.o", scratch);
    int n = cc_args(e, step, argv, inc);
    const char *more[] = {harness_inc, "-c", p->source, "-o", out, NULL};
    for (int i = 0; more[i]; i++)
        argv[n++] = more[i];
    argv[n] = NULL;
    int nrules = base_rules(e, rules, steps);
    rules[nrules++] = (struct fence_rule){harness_dir, FENCE_READ};
    rules[nrules++] = (struct fence_rule){p->source, FENCE_READ};
    int rc = run_tool(e, argv, rules, nrules, scratch, e->cat->steps[step].name, log);
    snprintf(dir, sizeof dir, "%s", p->object);
    *strrchr(dir, '/') = '\0';
    if (rc == 0 && (util_mkdirs(dir, 0755) < 0 || take_output(out, p->object, 0644) < 0))
        rc = -1;
    util_rmtree(scratch);
    return rc;
}

int build_link(const struct build_env *e, const struct catalog_step *step,
               const struct catalog_prog *p, const char *const *libs, int nlibs,
               const char *bin, struct util_buf *log)
{
    char scratch[4096], out[4200], steps[4096];
    const char *argv[MAX_ARGS];
    struct fence_rule rules[SANDBOX_MAX_RULES];
    if (build_scratch(e, scratch, sizeof scratch) < 0)
        return -1;
    util_path(out, sizeof out, "%s/prog", scratch);
    int n = 0, nrules = base_rules(e, rules, steps);
    const char *head[] = {e->cc, "-o", out, p->object, e->cat->harness[0],
                          e->cat->harness[1], NULL};
    for (int i = 0; head[i]; i++)
        argv[n++] = head[i];
    for (int i = 0; i < step->nhelpers; i++) {
        argv[n++] = step->helpers[i];
        rules[nrules++] = (struct fence_rule){step->helpers[i], FENCE_READ};
    }
    argv[n++] = "-Wl,--start-group";
    for (int i = 0; i < nlibs && n < MAX_ARGS - 8; i++) {
        argv[n++] = libs[i];
        rules[nrules++] = (struct fence_rule){libs[i], FENCE_READ};
    }
    const char *tail[] = {"-Wl,--end-group", "-lcmocka", "-lm", "-ldl", NULL};
    for (int i = 0; tail[i]; i++)
        argv[n++] = tail[i];
    for (int i = 0; i < step->nlibs; i++)
        argv[n++] = step->libs[i];
    argv[n] = NULL;
    rules[nrules++] = (struct fence_rule){p->object, FENCE_READ};
    rules[nrules++] = (struct fence_rule){e->cat->harness[0], FENCE_READ};
    rules[nrules++] = (struct fence_rule){e->cat->harness[1], FENCE_READ};
    int rc = run_tool(e, argv, rules, nrules, scratch, "(linking)", log);
    if (rc == 0 && take_output(out, bin, 0755) < 0)
        rc = -1;
    util_rmtree(scratch);
    return rc;
}

int build_shared(const struct build_env *e, const struct catalog_step *step,
                 const char *const *pics, int npics, const char *so,
                 struct util_buf *log)
{
    char scratch[4096], out[4200], steps[4096];
    const char *argv[MAX_ARGS];
    struct fence_rule rules[SANDBOX_MAX_RULES];
    if (build_scratch(e, scratch, sizeof scratch) < 0)
        return -1;
    util_path(out, sizeof out, "%s/libgreen.so", scratch);
    int n = 0, nrules = base_rules(e, rules, steps);
    /* As tests/mk/build.mk links it: -z defs makes a symbol left undefined
     * an error now rather than when a program loads the library, and
     * -Bsymbolic binds the library's calls to its own functions. Whole
     * archives: every object, as build.mk links every pic/ object. */
    const char *head[] = {e->cc, "-shared", "-Wl,-z,defs", "-Wl,-Bsymbolic",
                          "-o", out, "-Wl,--whole-archive", NULL};
    for (int i = 0; head[i]; i++)
        argv[n++] = head[i];
    for (int i = 0; i < npics && n < MAX_ARGS - 16; i++) {
        argv[n++] = pics[i];
        rules[nrules++] = (struct fence_rule){pics[i], FENCE_READ};
    }
    argv[n++] = "-Wl,--no-whole-archive";
    for (int i = 0; i < step->nlibs; i++)
        argv[n++] = step->libs[i];
    argv[n++] = "-ldl";
    argv[n++] = "-lpthread";
    argv[n] = NULL;
    int rc = run_tool(e, argv, rules, nrules, scratch, "(linking libgreen.so)", log);
    if (rc == 0 && take_output(out, so, 0644) < 0)
        rc = -1;
    util_rmtree(scratch);
    return rc;
}
