/*
 * test_telnet.c - step 09: the telnet decoder and encoder alone, with no
 * socket: bytes in, lines and replies out.
 *
 * The decoder must not care how the network cut the stream: every test
 * of a stream feeds it whole, byte by byte, and cut in two at every
 * position, and wants the same lines and the same replies each time.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <string.h>

#include "mudtest.h"
#include "telnet.h"

/* ---- a decoder whose output is collected ---- */

struct run {
    struct telnet t;
    unsigned char out[8192];   /* everything sent */
    size_t nout;
    char lines[4096];          /* the lines, each followed by '|' */
    size_t nlines;
    int too_long;
};

static void collect(void *ctx, const void *bytes, size_t n)
{
    struct run *r = ctx;
    check(r->nout + n <= sizeof r->out, S_TELNET, "too much output");
    memcpy(r->out + r->nout, bytes, n);
    r->nout += n;
}

static void start(struct run *r, size_t line_max)
{
    memset(r, 0, sizeof *r);
    telnet_init(&r->t, line_max, collect, r);
}

/* Feeds n bytes as one read. */
static void feed(struct run *r, const void *bytes, size_t n)
{
    const unsigned char *p = bytes;
    size_t guard = 0;
    while (n > 0) {
        size_t used = 0;
        enum telnet_event ev = telnet_decode(&r->t, p, n, &used);
        check(used <= n, S_TELNET, "telnet_decode used %zu of %zu bytes",
              used, n);
        check(used > 0 || ev != TELNET_MORE, S_TELNET,
              "telnet_decode returned TELNET_MORE having used none of %zu "
              "bytes (still the starter's TODO?)", n);
        if (ev == TELNET_LINE) {
            size_t len;
            const char *line = telnet_line(&r->t, &len);
            check(line[len] == '\0', S_LINES,
                  "telnet_line's line is not NUL-terminated");
            check(r->nlines + len + 1 < sizeof r->lines, S_LINES,
                  "too many lines");
            memcpy(r->lines + r->nlines, line, len);
            r->nlines += len;
            r->lines[r->nlines++] = '|';
            r->lines[r->nlines] = '\0';
        } else if (ev == TELNET_TOO_LONG) {
            r->too_long++;
        }
        p += used;
        n -= used;
        check(++guard < 100000, S_TELNET, "telnet_decode makes no progress");
    }
}

static void feeds(struct run *r, const char *s)
{
    feed(r, s, strlen(s));
}

#define check_out(r, want, section)                                        \
    check((r)->nout == sizeof(want) - 1 &&                                 \
              memcmp((r)->out, want, sizeof(want) - 1) == 0,               \
          section, "expected the server to send \"%s\", it sent \"%s\"",   \
          mt_show(want, sizeof(want) - 1), mt_show((r)->out, (r)->nout))

#define check_lines(r, want, section)                                      \
    check(strcmp((r)->lines, want) == 0, section,                          \
          "expected the lines \"%s\" (each ended by |), got \"%s\"", want,  \
          mt_show((r)->lines, (r)->nlines))

/* Feeds the stream whole, byte by byte, and cut at every position; each
 * way must give want_lines and want_out. */
static void every_cut(const char *stream, size_t n, const char *want_lines,
                      const void *want_out, size_t nout, const char *section)
{
    static struct run r;
    for (size_t cut = 0; cut <= n + 1; cut++) {
        start(&r, 64);
        const char *how;
        if (cut == n + 1) { /* byte by byte */
            for (size_t i = 0; i < n; i++)
                feed(&r, stream + i, 1);
            how = "one byte at a time";
        } else {
            feed(&r, stream, cut);
            feed(&r, stream + cut, n - cut);
            how = "cut in two";
        }
        check(strcmp(r.lines, want_lines) == 0, section,
              "the stream \"%s\", fed %s (at byte %zu): expected the lines "
              "\"%s\", got \"%s\"",
              mt_show(stream, n), how, cut, want_lines,
              mt_show(r.lines, r.nlines));
        check(r.nout == nout && memcmp(r.out, want_out, nout) == 0, section,
              "the stream \"%s\", fed %s (at byte %zu): expected the "
              "replies \"%s\", got \"%s\"",
              mt_show(stream, n), how, cut, mt_show(want_out, nout),
              mt_show(r.out, r.nout));
    }
}

/* ---- lines ---- */

static void test_plain_lines(void **state)
{
    (void)state;
    static struct run r;
    start(&r, 64);
    feeds(&r, "look\r\nsay hi\r\n");
    check_lines(&r, "look|say hi|", S_LINES);
    check_out(&r, "", S_OPTIONS);
}

static void test_every_line_end(void **state)
{
    (void)state;
    /* CR LF, CR NUL, bare LF, and a bare CR before more text. */
    const char s[] = "one\r\ntwo\r\0three\nfour\rfive\n\n";
    every_cut(s, sizeof s - 1, "one|two|three|four|five||", "", 0, S_LINES);
}

static void test_iac_iac_is_255(void **state)
{
    (void)state;
    const char s[] = "caf\xff\xff!\r\n";
    every_cut(s, sizeof s - 1, "caf\xff!|", "", 0, S_LINES);
}

static void test_controls_and_erasing(void **state)
{
    (void)state;
    /* TAB is a space, BEL is dropped, BS and DEL erase, IAC EC erases,
     * IAC EL erases the line so far. */
    const char s[] = "a\tb\ac\bd\x7f" "e\xff\xf7" "f\r\nxyz\xff\xf8ok\r\n";
    every_cut(s, sizeof s - 1, "a bf|ok|", "", 0, S_LINES);
}

static void test_line_too_long(void **state)
{
    (void)state;
    static struct run r;
    start(&r, 8);
    feeds(&r, "12345678\r\n");          /* exactly the limit: fine */
    feeds(&r, "123456789abcdef");        /* one past it: reported */
    check_eq(r.too_long, 1, S_LINE_MAX,
             "TELNET_TOO_LONG events once a line passes line_max");
    feeds(&r, "ghijklmnopqrstuvwxyz\r\n"); /* the rest is dropped */
    check_eq(r.too_long, 1, S_LINE_MAX,
             "TELNET_TOO_LONG events for one line too long (once only)");
    feeds(&r, "next\r\n");
    check_lines(&r, "12345678|next|", S_LINE_MAX);
}

/* ---- commands and options ---- */

static void test_commands_split_everywhere(void **state)
{
    (void)state;
    /* Negotiation, a subnegotiation with IAC IAC inside, NOP and GA, all
     * inside a line: none of it is data. */
    const char s[] = "lo\xff\xfb\x1f" "o\xff\xfa\x18\x00xt\xff\xff" "erm\xff\xf0"
                     "k\xff\xf1\xff\xf9\r\n";
    /* WILL NAWS (31) is refused: DONT NAWS. */
    every_cut(s, sizeof s - 1, "look|", "\xff\xfe\x1f", 3, S_TELNET);
}

static void test_unknown_options_refused(void **state)
{
    (void)state;
    /* DO TTYPE (24) -> WONT; WILL NAWS -> DONT; DO SGA -> WONT. */
    const char s[] = "\xff\xfd\x18\xff\xfb\x1f\xff\xfd\x03";
    every_cut(s, sizeof s - 1, "", "\xff\xfc\x18\xff\xfe\x1f\xff\xfc\x03", 9,
              S_OPTIONS);
}

static void test_off_options_need_no_answer(void **state)
{
    (void)state;
    /* WONT and DONT of options that are off are answered with nothing. */
    const char s[] = "\xff\xfc\x18\xff\xfe\x01\xff\xfe\x19";
    every_cut(s, sizeof s - 1, "", "", 0, S_OPTIONS);
}

static void test_replies_are_not_answered(void **state)
{
    (void)state;
    static struct run r;
    start(&r, 64);
    telnet_will(&r.t, TELNET_OPT_ECHO);
    check_out(&r, "\xff\xfb\x01", S_OPTIONS);
    r.nout = 0;
    feeds(&r, "\xff\xfd\x01"); /* DO ECHO: the reply */
    check_out(&r, "", S_OPTIONS);
    check(telnet_enabled(&r.t, TELNET_OPT_ECHO), S_OPTIONS,
          "after WILL ECHO and the client's DO ECHO, echo should be on");
    feeds(&r, "\xff\xfd\x01"); /* again: a request for what is on */
    check_out(&r, "", S_OPTIONS);
    telnet_wont(&r.t, TELNET_OPT_ECHO);
    check_out(&r, "\xff\xfc\x01", S_OPTIONS);
    r.nout = 0;
    feeds(&r, "\xff\xfe\x01"); /* DONT ECHO: the reply */
    check_out(&r, "", S_OPTIONS);
    check(!telnet_enabled(&r.t, TELNET_OPT_ECHO), S_OPTIONS,
          "after WONT ECHO and DONT ECHO, echo should be off");
    feeds(&r, "\xff\xfd\x01"); /* DO ECHO now: a request, refused */
    check_out(&r, "\xff\xfc\x01", S_OPTIONS);
}

static void test_will_is_sent_once(void **state)
{
    (void)state;
    static struct run r;
    start(&r, 64);
    telnet_will(&r.t, TELNET_OPT_ECHO);
    telnet_will(&r.t, TELNET_OPT_ECHO); /* asked already: nothing */
    check_out(&r, "\xff\xfb\x01", S_OPTIONS);
    r.nout = 0;
    telnet_wont(&r.t, TELNET_OPT_ECHO);
    telnet_wont(&r.t, TELNET_OPT_ECHO);
    check_out(&r, "\xff\xfc\x01", S_OPTIONS);
    r.nout = 0;
    telnet_will(&r.t, TELNET_OPT_ECHO); /* no reply came: ask again */
    check_out(&r, "\xff\xfb\x01", S_OPTIONS);
}

static void test_refused_will_turns_off(void **state)
{
    (void)state;
    static struct run r;
    start(&r, 64);
    telnet_start(&r.t);
    check_out(&r, "\xff\xfb\x19", S_PROMPTS); /* WILL EOR */
    r.nout = 0;
    feeds(&r, "\xff\xfe\x19"); /* DONT EOR: refused, and not answered */
    check_out(&r, "", S_OPTIONS);
    check(!telnet_enabled(&r.t, TELNET_OPT_EOR), S_OPTIONS,
          "after WILL EOR and DONT EOR, EOR should be off");
    telnet_prompt(&r.t, "> ");
    check_out(&r, "> \xff\xf9", S_PROMPTS);
}

/* ---- output ---- */

static void test_send_encodes(void **state)
{
    (void)state;
    static struct run r;
    start(&r, 64);
    telnet_send(&r.t, "one\ntwo \xff!\n", strlen("one\ntwo \xff!\n"));
    check_out(&r, "one\r\ntwo \xff\xff!\r\n", S_LINES);
    /* Long text goes out whole, however it is cut into calls of out. */
    static char big[3000], want[6000];
    size_t k = 0;
    for (size_t i = 0; i < sizeof big; i++) {
        big[i] = i % 3 == 0 ? '\xff' : i % 3 == 1 ? '\n' : 'x';
        if (big[i] == '\xff') {
            want[k++] = '\xff';
            want[k++] = '\xff';
        } else if (big[i] == '\n') {
            want[k++] = '\r';
            want[k++] = '\n';
        } else {
            want[k++] = 'x';
        }
    }
    r.nout = 0;
    telnet_send(&r.t, big, sizeof big);
    check(r.nout == k && memcmp(r.out, want, k) == 0, S_LINES,
          "telnet_send of 3000 bytes of LF, 255 and x: expected %zu bytes "
          "out, got %zu (or different ones)", k, r.nout);
}

static void test_prompts_end_in_ga_or_eor(void **state)
{
    (void)state;
    static struct run r;
    start(&r, 64);
    telnet_prompt(&r.t, "Name? ");
    check_out(&r, "Name? \xff\xf9", S_PROMPTS);
    r.nout = 0;
    telnet_start(&r.t);
    feeds(&r, "\xff\xfd\x19"); /* DO EOR: the client agrees */
    check(telnet_enabled(&r.t, TELNET_OPT_EOR), S_PROMPTS,
          "after WILL EOR and DO EOR, EOR should be on");
    telnet_prompt(&r.t, "> ");
    check_out(&r, "\xff\xfb\x19> \xff\xef", S_PROMPTS);
    /* A client may ask for EOR itself: DO EOR is then accepted. */
    start(&r, 64);
    feeds(&r, "\xff\xfd\x19");
    telnet_prompt(&r.t, "> ");
    check_out(&r, "\xff\xfb\x19> \xff\xef", S_PROMPTS);
}

HARNESS_TESTS("chapters/09-mud.md",
              cmocka_unit_test(test_plain_lines),
              cmocka_unit_test(test_every_line_end),
              cmocka_unit_test(test_iac_iac_is_255),
              cmocka_unit_test(test_controls_and_erasing),
              cmocka_unit_test(test_line_too_long),
              cmocka_unit_test(test_commands_split_everywhere),
              cmocka_unit_test(test_unknown_options_refused),
              cmocka_unit_test(test_off_options_need_no_answer),
              cmocka_unit_test(test_replies_are_not_answered),
              cmocka_unit_test(test_will_is_sent_once),
              cmocka_unit_test(test_refused_will_turns_off),
              cmocka_unit_test(test_send_encodes),
              cmocka_unit_test(test_prompts_end_in_ga_or_eor))
