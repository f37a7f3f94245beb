/*
 * grade.c - the grader's command line: grades students' steps/ trees in
 * sandboxes, in parallel, and writes their reports and the gradebook.
 * `grade --help` documents every option; tests/grade/README.md the rest.
 *
 * The main process never runs student code: it forks one grading process
 * per student (at most -j at once, each on a slot of its own, hence its
 * own sandbox user), waits for them, and assembles the gradebook from the
 * files they wrote. A grading process that dies is reported as a grader
 * error for that student, and the batch goes on.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "assess.h"
#include "build.h"
#include "catalog.h"
#include "fence.h"
#include "isolate.h"
#include "points.h"
#include "report.h"
#include "unpack.h"

enum { MAX_STUDENTS = 4096, MAX_JOBS = 64 };

static const char usage_text[] =
"usage: grade [options] (--self | SUBMISSIONS_DIR)\n"
"       grade --probe          say what the sandbox enforces on this machine\n"
"\n"
"Grades students' steps/ trees of the workbook, each run of student code\n"
"(compilation included) in a sandbox, and writes per student, in OUT/NAME/:\n"
"report.txt, report.json, Gradescope's results.json and summary.tsv; and\n"
"OUT/gradebook.csv (student, points per step, total). It prints a summary\n"
"table, or with --self the student's report.\n"
"\n"
"  SUBMISSIONS_DIR      each entry is one student's steps/ tree: a folder,\n"
"                       or a .tar.gz, .tgz, .tar or .zip of one (extracted\n"
"                       safely, in the sandbox); the student's name is the\n"
"                       entry's name. A tree may also be wrapped in one\n"
"                       folder, or hold steps/ (a whole clone).\n"
"  --self               grade the workbook's own steps/ (`make grade`)\n"
"  -j N                 grade N students at once (default: the CPUs)\n"
"  --extra-tests DIR    instructor-only tests: DIR/NN-name/test_*.c, cmocka\n"
"                       files like tests/NN-name/, graded with the rest\n"
"  --points FILE        points, modes, visibility and sandbox permissions\n"
"                       (default tests/grade/points.txt, which documents\n"
"                       the format)\n"
"  --out DIR            where reports go (default build/grade)\n"
"  --root DIR           the workbook (default .)\n"
"  --build DIR          its trusted build: test objects, harness, reference\n"
"                       archives (default ROOT/build/default; `make grade`\n"
"                       builds it)\n"
"  --timeout S          CPU seconds per test (default 10); the wall-clock\n"
"                       deadline is twice that\n"
"  --memory MIB         address space per test, in MiB (default 4096; one\n"
"                       test of step 02 reserves 2.6 GiB of stacks)\n"
"  --cc CC, --ar AR     the toolchain (default cc, ar)\n"
"  --cflags FLAGS       compiler flags (default those of tests/mk/build.mk)\n"
"  --uid-base UID       as root, the sandbox users are UID + slot\n"
"                       (default 2140000000; no account is needed)\n"
"  --keep               keep each student's objects and test programs\n"
"  -q, --quiet          no progress lines\n"
"\n"
"Modes: cumulative (the student's steps 01..N) and isolated (reference\n"
"01..N-1 with the student's N); both are reported, points.txt says which\n"
"counts. A test passes only on the harness's own record (\"pass NAME\" on\n"
"descriptor 3, a pipe only the grader reads) followed by exit status 0;\n"
"what a program prints never counts. The sandbox: seccomp allowlists per\n"
"stage and step (refused calls are named in the report and, by default,\n"
"fail the test), Landlock, a private network namespace, rlimits, a\n"
"wall-clock deadline; `grade --probe` says which of these this machine has.\n";

struct options {
    const char *root, *build, *points, *out, *extra, *cc, *ar, *cflags, *subs;
    int jobs, self, keep, quiet;
    double timeout, memory;
    uid_t uid_base;
};

static int parse(int argc, char **argv, struct options *o)
{
    static const struct option longs[] = {
        {"self", no_argument, 0, 's'}, {"extra-tests", required_argument, 0, 'x'},
        {"points", required_argument, 0, 'p'}, {"out", required_argument, 0, 'o'},
        {"root", required_argument, 0, 'r'}, {"build", required_argument, 0, 'b'},
        {"timeout", required_argument, 0, 't'}, {"cc", required_argument, 0, 'c'},
        {"ar", required_argument, 0, 'a'}, {"cflags", required_argument, 0, 'f'},
        {"uid-base", required_argument, 0, 'u'},
        {"memory", required_argument, 0, 'm'}, {"keep", no_argument, 0, 'k'},
        {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *o = (struct options){.root = ".", .cc = "cc", .ar = "ar", .timeout = 10,
                          .memory = 4096,
                          .cflags = "-std=gnu11 -Wall -Wextra -Werror "
                                    "-fno-strict-aliasing -O2 -g",
                          .jobs = cpus > 0 ? (int)cpus : 2, .uid_base = 2140000000};
    int c;
    while ((c = getopt_long(argc, argv, "j:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'j': o->jobs = atoi(optarg); break;
        case 's': o->self = 1; break;
        case 'x': o->extra = optarg; break;
        case 'p': o->points = optarg; break;
        case 'o': o->out = optarg; break;
        case 'r': o->root = optarg; break;
        case 'b': o->build = optarg; break;
        case 't': o->timeout = atof(optarg); break;
        case 'm': o->memory = atof(optarg); break;
        case 'c': o->cc = optarg; break;
        case 'a': o->ar = optarg; break;
        case 'f': o->cflags = optarg; break;
        case 'u': o->uid_base = (uid_t)strtoul(optarg, NULL, 10); break;
        case 'k': o->keep = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': fputs(usage_text, stdout); exit(0);
        default: return -1;
        }
    }
    if (o->jobs < 1 || o->jobs > MAX_JOBS || o->timeout < 1 || o->memory < 64 ||
        o->self == (optind < argc) || optind + 1 < argc + o->self)
        return -1;
    o->subs = o->self ? NULL : argv[optind];
    return 0;
}

static int taken(char (*names)[128], int n, const char *name)
{
    for (int k = 0; k < n; k++)
        if (strcmp(names[k], name) == 0)
            return 1;
    return 0;
}

/* The submissions: entries of the folder that are folders or archives,
 * sorted, under unique student names. */
static int list_submissions(const struct options *o, const char *root,
                            char (*paths)[4096], char (*names)[128])
{
    if (o->self) {
        util_path(paths[0], 4096, "%s/steps", root);
        snprintf(names[0], 128, "self");
        return 1;
    }
    struct dirent **list;
    int n = scandir(o->subs, &list, NULL, alphasort), count = 0;
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        const char *e = list[i]->d_name;
        char path[4096];
        struct stat st;
        /* A real folder, or a regular file named like an archive: never a
         * symbolic link, which could point the grader anywhere. */
        if (e[0] != '.' && count < MAX_STUDENTS &&
            util_path(path, sizeof path, "%s/%s", o->subs, e) == 0 &&
            lstat(path, &st) == 0 &&
            (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && unpack_is_archive(e)))) {
            char base[128];
            strcpy(paths[count], path);
            unpack_student_name(e, base, sizeof base);
            snprintf(names[count], 128, "%s", base);
            for (int dup = 2; taken(names, count, names[count]); dup++)
                snprintf(names[count], 128, "%.100s-%d", base, dup);
            count++;
        } else if (e[0] != '.') {
            fprintf(stderr, "grade: skipping %s/%s (neither a folder nor an "
                    "archive, or a symbolic link)\n", o->subs, e);
        }
        free(list[i]);
    }
    free(list);
    return count;
}

/* One student, in a process of its own. Exit status 0 or 1. */
static int grade_one(const struct assess_ctx *ctx, const char *path,
                     const char *name, int slot, const char *sandbox)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    struct assess_student *st = calloc(1, sizeof *st);
    if (!st)
        return 1;
    int rc = assess_student(ctx, name, path, slot, st) == 0 &&
             report_write(ctx->out, st, sandbox) == 0 ? 0 : 1;
    if (rc)
        fprintf(stderr, "grade: grading %s failed: %s\n", name, strerror(errno));
    assess_free(st);
    free(st);
    return rc;
}

/* Grades every submission, -j at a time. Returns the number that failed. */
static int grade_all(const struct options *o, const struct assess_ctx *ctx,
                     char (*paths)[4096], char (*names)[128], int n,
                     const char *sandbox)
{
    pid_t slots[MAX_JOBS] = {0};
    int slot_of[MAX_STUDENTS], next = 0, running = 0, failed = 0;
    while (next < n || running > 0) {
        while (next < n && running < o->jobs) {
            int slot = 0;
            while (slots[slot])
                slot++;
            char dir[4200];
            util_path(dir, sizeof dir, "%s/%s", ctx->out, names[next]);
            util_rmtree(dir); /* no stale report may stand for a new one */
            fflush(NULL);
            pid_t pid = fork();
            if (pid == 0)
                _exit(grade_one(ctx, paths[next], names[next], slot, sandbox));
            if (pid < 0) {
                perror("grade: fork");
                return failed + n - next;
            }
            slots[slot] = pid;
            slot_of[next++] = slot;
            running++;
        }
        int status;
        pid_t pid = wait(&status);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0)
            break;
        for (int s = 0; s < o->jobs; s++)
            if (slots[s] == pid) {
                slots[s] = 0;
                running--;
                int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
                failed += !ok;
                for (int k = 0; k < next && !o->quiet; k++)
                    if (slot_of[k] == s && slot_of[k] >= 0) {
                        fprintf(stderr, "graded %s%s\n", names[k],
                                ok ? "" : " (GRADER ERROR)");
                        slot_of[k] = -1;
                    }
            }
    }
    return failed;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--unpack") == 0)
        return unpack_main(argv[2], argv[3]);
    struct isolate_caps caps;
    if (argc == 2 && strcmp(argv[1], "--probe") == 0) {
        isolate_probe(&caps, 2140000000);
        printf("Landlock ABI %d: %s\n%s\nseccomp: allowlists with user "
               "notification (refused calls named)\n", fence_abi(),
               fence_describe(fence_abi()), isolate_describe(&caps));
        return 0;
    }
    struct options o;
    if (parse(argc, argv, &o) < 0) {
        fputs(usage_text, stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    static char root[PATH_MAX], build[4200], points_path[4200], out[4200],
        extra_obj[4300], self[PATH_MAX], cc[4096], ar[4096], sandbox[1024];
    static char paths[MAX_STUDENTS][4096], names[MAX_STUDENTS][128];
    struct util_buf err;
    util_buf_init(&err);
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len < 0 || !realpath(o.root, root) || util_which(o.cc, cc, sizeof cc) < 0 ||
        util_which(o.ar, ar, sizeof ar) < 0) {
        fprintf(stderr, "grade: %s: %s\n", len < 0 ? "/proc/self/exe" : o.root,
                strerror(errno));
        return 1;
    }
    self[len] = '\0';
    util_path(build, sizeof build, "%s", o.build ? o.build : "");
    if (!o.build)
        util_path(build, sizeof build, "%s/build/default", root);
    util_path(points_path, sizeof points_path, "%s",
              o.points ? o.points : "tests/grade/points.txt");
    if (!o.points)
        util_path(points_path, sizeof points_path, "%s/tests/grade/points.txt", root);
    util_path(out, sizeof out, "%s", o.out ? o.out : "");
    if (!o.out)
        util_path(out, sizeof out, "%s/build/grade", root);
    char made[4200];
    if (util_mkdirs(out, 0755) < 0 || !realpath(out, made) ||
        util_path(out, sizeof out, "%s", made) < 0) {
        fprintf(stderr, "grade: %s: %s\n", out, strerror(errno));
        return 1;
    }
    util_path(extra_obj, sizeof extra_obj, "%s/_extra", out);

    isolate_probe(&caps, o.uid_base);
    snprintf(sandbox, sizeof sandbox, "seccomp allowlists (refused calls named); "
             "%s; %s", fence_describe(fence_abi()), isolate_describe(&caps));
    struct points pts;
    struct catalog cat;
    if (points_load(&pts, points_path, &err) < 0 ||
        catalog_load(&cat, &pts, root, build, o.extra, extra_obj, &err) < 0) {
        fprintf(stderr, "grade: %s", util_buf_str(&err));
        return 1;
    }
    struct assess_ctx ctx = {.cat = &cat, .pts = &pts, .caps = &caps,
                             .self = self, .cc = cc, .ar = ar, .cflags = o.cflags,
                             .out = out, .timeout = o.timeout, .keep = o.keep,
                             .memory = (rlim_t)(o.memory * 1024 * 1024)};
    struct build_env be = {.cat = &cat, .caps = &caps, .wall = 120};
    snprintf(be.cc, sizeof be.cc, "%s", cc);
    util_path(be.work, sizeof be.work, "%s", extra_obj);
    char *flags = strdup(o.cflags);
    be.ncflags = flags ? util_split(flags, be.cflags, 0, BUILD_MAX_CFLAGS) : -1;
    for (int i = 0; i < cat.nsteps && be.ncflags >= 0; i++)
        for (int k = 0; k < cat.steps[i].nprogs; k++)
            if (cat.steps[i].progs[k].extra &&
                (util_mkdirs(extra_obj, 0755) < 0 ||
                 build_extra(&be, i, &cat.steps[i].progs[k], &err) != 0)) {
                fprintf(stderr, "grade: extra test %s does not compile:\n%s",
                        cat.steps[i].progs[k].source, util_buf_str(&err));
                return 1;
            }
    free(flags);

    int n = list_submissions(&o, root, paths, names);
    if (n < 0) {
        fprintf(stderr, "grade: %s: %s\n", o.subs, strerror(errno));
        return 1;
    }
    o.quiet |= o.self;
    int failed = grade_all(&o, &ctx, paths, names, n, sandbox);
    if (o.self) {
        char path[4200];
        util_path(path, sizeof path, "%s/self/brief.txt", out);
        char *text = util_read_file(path, 1 << 24, NULL);
        fputs(text ? text : "grade: no report was written\n", stdout);
        printf("Every failure, with what the test printed: %s/self/report.txt\n",
               out);
        free(text);
    } else {
        report_gradebook(out, &cat, names, n, stdout);
        printf("%d graded into %s (gradebook.csv, and NAME/report.txt, "
               "report.json, results.json)\n", n - failed, out);
    }
    catalog_free(&cat);
    points_free(&pts);
    util_buf_free(&err);
    return failed ? 1 : 0;
}
