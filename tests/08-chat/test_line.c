/*
 * test_line.c - step 08: the line reader (line.h), without sockets.
 *
 * Bytes go in as a socket would deliver them (all at once, one by one, in
 * odd pieces); lines come out. Lines end at LF, CR LF loses its CR, any
 * other byte stays. A line longer than the limit is reported once, as soon
 * as the limit is passed, and the rest of it is thrown away as it comes,
 * however long it is, without the reader's buffer growing.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "line.h"

#define S_PROTOCOL "The protocol"

/* What came out of the reader, as text: "[line]" for each line, "!" for
 * each LINE_TOO_LONG; a NUL shows as "\0". */
static char out[64 * 1024];
static size_t out_len;

static void emit(const char *s, size_t n)
{
    for (size_t i = 0; i < n && out_len < sizeof out - 3; i++) {
        if (s[i] == '\0') {
            out[out_len++] = '\\';
            out[out_len++] = '0';
        } else {
            out[out_len++] = s[i];
        }
    }
    out[out_len] = '\0';
}

/* Takes every line the reader has. */
static void take(struct line_reader *lr)
{
    for (;;) {
        char *line = NULL;
        size_t len = 0;
        enum line_status st = line_next(lr, &line, &len);
        if (st == LINE_MORE)
            return;
        if (st == LINE_TOO_LONG) {
            emit("!", 1);
            continue;
        }
        check(st == LINE_OK, S_PROTOCOL,
              "line_next returned %d, which is none of LINE_MORE, LINE_OK "
              "and LINE_TOO_LONG",
              (int)st);
        emit("[", 1);
        emit(line, len);
        emit("]", 1);
    }
}

/* Feeds data in pieces of `piece` bytes (0: as much as fits), taking the
 * lines after each, as a server does after each recv. */
static void feed(struct line_reader *lr, const char *data, size_t n,
                 size_t piece)
{
    while (n > 0) {
        size_t room = 0;
        char *p = line_space(lr, &room);
        check(p != NULL && room >= 1, S_PROTOCOL,
              "line_space: expected room for at least one byte, got %zu "
              "(at %p)",
              room, (void *)p);
        size_t k = piece && piece < room ? piece : room;
        if (k > n)
            k = n;
        memcpy(p, data, k);
        line_fill(lr, k);
        data += k;
        n -= k;
        take(lr);
    }
}

static void start(struct line_reader *lr, size_t max)
{
    out_len = 0;
    out[0] = '\0';
    errno = 0;
    int rc = line_init(lr, max);
    check(rc == 0, S_PROTOCOL,
          "line_init(lr, %zu): expected 0, got %d with errno %d%s", max, rc,
          errno, errno == ENOSYS ? " (ENOSYS: still the starter's TODO?)"
                                 : "");
}

static void expect_out(const char *want, const char *what)
{
    check(strcmp(out, want) == 0, S_PROTOCOL,
          "%s: expected the lines %s, got %s (\"[x]\" is a line, \"!\" is "
          "LINE_TOO_LONG)",
          what, want, out);
}

static void test_line_splits_lines(void **state)
{
    (void)state;
    static const char text[] = "hello\nworld\n\nthree\n";
    static const size_t pieces[] = {0, 1, 2, 3, 7};
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        struct line_reader lr;
        start(&lr, 16);
        feed(&lr, text, strlen(text), pieces[i]);
        char what[80];
        snprintf(what, sizeof what, "fed in pieces of %zu bytes", pieces[i]);
        expect_out("[hello][world][][three]", what);
        line_free(&lr);
    }
}

static void test_line_keeps_a_partial_line(void **state)
{
    (void)state;
    struct line_reader lr;
    start(&lr, 16);
    feed(&lr, "no end yet", 10, 0);
    expect_out("", "a line without its LF");
    check(line_pending(&lr) == 10, S_PROTOCOL,
          "line_pending: the 10 bytes of a line without its end, got %zu",
          line_pending(&lr));
    feed(&lr, " - now\nnext", 11, 0);
    expect_out("[no end yet - now]", "once its LF came");
    check(line_pending(&lr) == 4, S_PROTOCOL,
          "line_pending after \"...\\nnext\": expected 4, got %zu",
          line_pending(&lr));
    line_free(&lr);
}

static void test_line_crlf_and_other_bytes(void **state)
{
    (void)state;
    struct line_reader lr;
    start(&lr, 16);
    static const char text[] = "crlf\r\nbare\rcr\n\r\n\0nul\0\n\xff\xfe\n";
    feed(&lr, text, sizeof text - 1, 1);
    expect_out("[crlf][bare\rcr][][\\0nul\\0][\xff\xfe]",
               "CR LF ends a line; a lone CR, NUL and other bytes are data");
    line_free(&lr);
}

static void test_line_exactly_the_limit(void **state)
{
    (void)state;
    char text[40], want[64];
    struct line_reader lr;
    start(&lr, 16);
    memset(text, 'a', 16);
    memcpy(text + 16, "\n", 1);
    feed(&lr, text, 17, 0);
    snprintf(want, sizeof want, "[%.16s]", text);
    expect_out(want, "a line of exactly max bytes, with LF");
    out_len = 0;
    out[0] = '\0';
    memcpy(text + 16, "\r\n", 2);
    feed(&lr, text, 18, 5);
    expect_out(want, "a line of exactly max bytes, with CR LF");
    line_free(&lr);
}

static void test_line_too_long_is_reported_once(void **state)
{
    (void)state;
    char text[64];
    struct line_reader lr;
    start(&lr, 16);
    /* 17 bytes and no end: too long already. */
    memset(text, 'b', 17);
    feed(&lr, text, 17, 0);
    expect_out("!", "17 bytes without an end, with max 16 (report it as "
                    "soon as the limit is passed)");
    /* The rest of it is discarded, then the reader goes on. */
    feed(&lr, text, 17, 3);
    feed(&lr, "bbb\nok\n", 7, 0);
    expect_out("![ok]", "the rest of the long line, then \"ok\"");
    /* 17 bytes and CR LF: too long too, reported once. */
    out_len = 0;
    out[0] = '\0';
    memset(text, 'c', 17);
    memcpy(text + 17, "\r\nfine\n", 7);
    feed(&lr, text, 24, 0);
    expect_out("![fine]", "17 bytes then CR LF, then \"fine\"");
    /* 16 bytes and a CR: not known yet; the LF makes it fine. */
    out_len = 0;
    out[0] = '\0';
    memset(text, 'd', 16);
    text[16] = '\r';
    feed(&lr, text, 17, 0);
    expect_out("", "16 bytes and a CR with max 16 (the LF may follow)");
    feed(&lr, "\n", 1, 0);
    check(out_len == 18 && out[0] == '[', S_PROTOCOL,
          "16 bytes, CR, LF with max 16: expected the line, got %s", out);
    line_free(&lr);
}

static void test_line_memory_stays_bounded(void **state)
{
    (void)state;
    static char flood[200 * 1000];
    memset(flood, 'z', sizeof flood);
    struct line_reader lr;
    start(&lr, 512);
    /* Up to everything at once that fits, then in odd pieces. */
    feed(&lr, flood, sizeof flood, 0);
    feed(&lr, flood, sizeof flood, 999);
    check(lr.len <= lr.max + 2, S_PROTOCOL,
          "the reader holds %zu bytes with max %zu: its buffer is max + 2",
          lr.len, lr.max);
    feed(&lr, "\nafter\n", 7, 0);
    expect_out("![after]", "400,000 bytes without an end, then \"after\"");
    line_free(&lr);
}

HARNESS_TESTS("chapters/08-chat.md",
              cmocka_unit_test(test_line_splits_lines),
              cmocka_unit_test(test_line_keeps_a_partial_line),
              cmocka_unit_test(test_line_crlf_and_other_bytes),
              cmocka_unit_test(test_line_exactly_the_limit),
              cmocka_unit_test(test_line_too_long_is_reported_once),
              cmocka_unit_test(test_line_memory_stays_bounded))
