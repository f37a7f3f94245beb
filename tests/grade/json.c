/*
 * json.c - report.json and results.json (see json.h).
 *
 * Everything a submission printed reaches these files, so the escaping
 * is strict: control characters as \u00XX, and any byte sequence that is
 * not valid UTF-8 replaced, since one bad byte would make Gradescope
 * reject the whole results.json.
 */
#include "json.h"

#include <stdio.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at s, or 0. */
static int utf8_len(const unsigned char *s)
{
    int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3
          : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

void json_string(struct util_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    util_buf_add(b, "\"", 1);
    while (*p) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p++};
            util_buf_add(b, esc, 2);
        } else if (*p == '\n') {
            util_buf_add(b, "\\n", 2), p++;
        } else if (*p == '\t') {
            util_buf_add(b, "\\t", 2), p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            util_buf_printf(b, "\\u%04x", *p++);
        } else if (*p < 0x80) {
            util_buf_add(b, (const char *)p++, 1);
        } else {
            int n = utf8_len(p);
            if (n == 0)
                util_buf_puts(b, "\\ufffd"), p++;
            else
                util_buf_add(b, (const char *)p, (size_t)n), p += n;
        }
    }
    util_buf_add(b, "\"", 1);
}

static const char *result_name(int r)
{
    static const char *const names[] = {"not built", "pass", "fail", "skip",
                                        "not graded"};
    return names[r >= 0 && r < 5 ? r : 0];
}

static void test_json(struct util_buf *b, const struct assess_test *t,
                      double points)
{
    util_buf_puts(b, "{\"program\":");
    json_string(b, t->prog ? t->prog->name : "");
    util_buf_puts(b, ",\"name\":");
    json_string(b, t->name);
    util_buf_printf(b, ",\"result\":\"%s\",\"points\":%.4f,\"seconds\":%.3f",
                    result_name(t->result), points, t->seconds);
    util_buf_puts(b, ",\"why\":");
    json_string(b, t->why);
    util_buf_puts(b, ",\"violations\":");
    json_string(b, t->violations);
    util_buf_puts(b, ",\"output\":");
    json_string(b, t->output);
    util_buf_puts(b, "}");
}

/* The points one test is worth in its step. */
static double worth(const struct assess_step *s, const struct assess_mode *m,
                    const struct assess_test *t)
{
    double total = 0;
    for (size_t i = 0; i < m->ntests; i++)
        total += m->tests[i].pts.weight;
    return total > 0 ? s->pts.points * t->pts.weight / total : 0;
}

void json_report(struct util_buf *b, const struct assess_student *st,
                 const char *sandbox)
{
    util_buf_puts(b, "{\"student\":");
    json_string(b, st->name);
    util_buf_printf(b, ",\"score\":%.4f,\"max_score\":%.4f,\"seconds\":%.3f",
                    st->total, st->max, st->seconds);
    util_buf_puts(b, ",\"sandbox\":");
    json_string(b, sandbox);
    util_buf_puts(b, ",\"note\":");
    json_string(b, st->note);
    util_buf_puts(b, ",\"steps\":[");
    int first = 1;
    for (int i = 0; i < st->nsteps; i++) {
        const struct assess_step *s = &st->steps[i];
        if (!s->graded)
            continue;
        util_buf_puts(b, first ? "\n{" : ",\n{");
        first = 0;
        util_buf_puts(b, "\"step\":");
        json_string(b, s->cat->name);
        util_buf_printf(b, ",\"counts\":\"%s\",\"points\":%.4f,\"max\":%.4f,"
                        "\"compiled\":%s,\"compile_log\":",
                        points_mode_name(s->pts.mode),
                        s->mode[s->pts.mode].points, s->max,
                        s->compiled ? "true" : "false");
        json_string(b, s->compile_log);
        for (int m = 0; m < 2; m++) {
            const struct assess_mode *md = &s->mode[m];
            util_buf_printf(b, ",\"%s\":{\"built\":%s,\"why\":",
                            points_mode_name(m), md->built ? "true" : "false");
            json_string(b, md->why);
            util_buf_printf(b, ",\"passed\":%d,\"skipped\":%d,\"total\":%zu,"
                            "\"ungraded\":%d,\"points\":%.4f,\"tests\":[",
                            md->passed, md->skipped,
                            md->ntests - (size_t)md->ungraded, md->ungraded,
                            md->points);
            for (size_t k = 0; k < md->ntests; k++) {
                const struct assess_test *t = &md->tests[k];
                if (k)
                    util_buf_puts(b, ",");
                test_json(b, t, t->result == ASSESS_PASS ? worth(s, md, t) : 0);
            }
            util_buf_puts(b, "]}");
        }
        util_buf_puts(b, "}");
    }
    util_buf_puts(b, "]}\n");
}

void json_gradescope(struct util_buf *b, const struct assess_student *st,
                     const char *summary)
{
    util_buf_printf(b, "{\"score\":%.4f,\"max_score\":%.4f,"
                    "\"execution_time\":%.3f,\"visibility\":\"visible\","
                    "\"stdout_visibility\":\"hidden\",\"output\":",
                    st->total, st->max, st->seconds);
    json_string(b, summary);
    util_buf_puts(b, ",\"tests\":[");
    int n = 0;
    for (int i = 0; i < st->nsteps; i++) {
        const struct assess_step *s = &st->steps[i];
        if (!s->graded)
            continue;
        const struct assess_mode *m = &s->mode[s->pts.mode];
        for (size_t k = 0; k < m->ntests; k++) {
            const struct assess_test *t = &m->tests[k];
            struct util_buf name, out;
            util_buf_init(&name);
            util_buf_init(&out);
            util_buf_printf(&name, "%s %s/%s (%s)", s->cat->name, t->prog->name,
                            t->name, points_mode_name(s->pts.mode));
            if (t->result != ASSESS_PASS)
                util_buf_printf(&out, "%s\n", t->why);
            if (t->violations)
                util_buf_printf(&out, "The sandbox refused:\n%s", t->violations);
            if (t->output)
                util_buf_printf(&out, "Output (the end):\n%s", t->output);
            if (!s->compiled && s->compile_log && k == 0)
                util_buf_printf(&out, "Compiler:\n%s", s->compile_log);
            double max = worth(s, m, t);
            util_buf_printf(b, "%s\n{\"number\":\"%d.%zu\",\"name\":", n++ ? "," : "",
                            i + 1, k + 1);
            json_string(b, util_buf_str(&name));
            util_buf_printf(b, ",\"score\":%.4f,\"max_score\":%.4f,"
                            "\"visibility\":\"%s\",\"tags\":[",
                            t->result == ASSESS_PASS ? max : 0, max,
                            points_vis_name(t->pts.vis));
            json_string(b, s->cat->name);
            util_buf_puts(b, "],\"output\":");
            json_string(b, util_buf_str(&out));
            util_buf_puts(b, "}");
            util_buf_free(&name);
            util_buf_free(&out);
        }
    }
    util_buf_puts(b, "]}\n");
}
