/*
 * test_outq.c - step 08: the bounded output queue (outq.h), without
 * sockets.
 *
 * Bytes come out in the order they went in, across the ring's wrap and
 * its growth; a push takes all of its bytes or none; the bound holds
 * exactly; an empty queue costs no buffer; the buffer grows only as far
 * as the bytes queued need.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outq.h"

#define S_SLOW "The slow-reader problem and the bounded queue policy"

/* Takes up to n bytes out of q, in the pieces outq_peek shows. */
static size_t drain(struct outq *q, char *to, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t k = 0;
        const char *p = outq_peek(q, &k);
        if (k == 0)
            break;
        check(p != NULL, S_SLOW, "outq_peek: %zu bytes at NULL", k);
        if (k > n - got)
            k = n - got;
        memcpy(to + got, p, k);
        outq_consume(q, k);
        got += k;
    }
    return got;
}

static void push(struct outq *q, const char *text, size_t n)
{
    errno = 0;
    int rc = outq_push(q, text, n);
    check(rc == 0, S_SLOW,
          "outq_push of %zu bytes (with %zu queued, max %zu): expected 0, "
          "got %d with errno %d%s",
          n, outq_len(q), q->max, rc, errno,
          errno == ENOSYS ? " (ENOSYS: still the starter's TODO?)" : "");
}

static void test_outq_is_fifo(void **state)
{
    (void)state;
    struct outq q;
    outq_init(&q, 1000);
    check(outq_empty(&q) && outq_len(&q) == 0 && q.buf == NULL, S_SLOW,
          "a new queue is empty and has no buffer yet (len %zu, buf %p)",
          outq_len(&q), (void *)q.buf);
    push(&q, "one\n", 4);
    push(&q, "two\n", 4);
    push(&q, "", 0);
    push(&q, "three\n", 6);
    check(outq_len(&q) == 14 && !outq_empty(&q), S_SLOW,
          "after pushing 14 bytes, outq_len is %zu", outq_len(&q));
    char got[64] = "";
    size_t n = drain(&q, got, 5);
    n += drain(&q, got + n, sizeof got - n - 1);
    got[n] = '\0';
    check(n == 14 && strcmp(got, "one\ntwo\nthree\n") == 0, S_SLOW,
          "expected the bytes back in order, \"one\\ntwo\\nthree\\n\", got "
          "%zu bytes: \"%s\"",
          n, got);
    check(outq_empty(&q), S_SLOW, "drained, the queue should be empty");
    size_t k = 99;
    const char *p = outq_peek(&q, &k);
    check(k == 0, S_SLOW, "outq_peek on an empty queue: %zu bytes at %p", k,
          (const void *)p);
    outq_free(&q);
}

static void test_outq_wraps_and_grows_in_order(void **state)
{
    (void)state;
    struct outq q;
    outq_init(&q, 64 * 1024);
    /* Numbered lines, pushed and taken at different paces, so the ring
     * wraps many times and grows while wrapped. */
    int pushed = 0, taken = 0;
    char line[32], got[32];
    for (int round = 0; round < 2000; round++) {
        int npush = 1 + round % 7, ntake = round < 1000 ? round % 5 : 9;
        for (int i = 0; i < npush && pushed < 6000; i++) {
            int n = snprintf(line, sizeof line, "line %05d\n", pushed++);
            push(&q, line, (size_t)n);
        }
        for (int i = 0; i < ntake && taken < pushed; i++) {
            int n = snprintf(line, sizeof line, "line %05d\n", taken);
            size_t k = drain(&q, got, (size_t)n);
            check(k == (size_t)n && memcmp(got, line, k) == 0, S_SLOW,
                  "line %d came back as \"%.*s\" (%zu bytes); across the "
                  "ring's wrap and growth, bytes must come out in order",
                  taken, (int)k, got, k);
            taken++;
        }
    }
    check(taken == pushed && outq_empty(&q), S_SLOW,
          "pushed %d lines, took %d, and %zu bytes are left", pushed, taken,
          outq_len(&q));
    outq_free(&q);
}

static void test_outq_bound_is_exact(void **state)
{
    (void)state;
    struct outq q;
    outq_init(&q, 100);
    char text[200];
    memset(text, 'x', sizeof text);
    push(&q, text, 60);
    push(&q, text, 40); /* exactly 100: fits */
    errno = 0;
    int rc = outq_push(&q, text, 1);
    int err = errno;
    check(rc == -1 && err == ENOBUFS, S_SLOW,
          "pushing 1 byte into a full queue (100 of 100): expected -1 with "
          "ENOBUFS, got %d with errno %d",
          rc, err);
    check(outq_len(&q) == 100, S_SLOW,
          "a push that failed must change nothing: %zu bytes queued, not "
          "100",
          outq_len(&q));
    char got[100];
    drain(&q, got, 30);
    errno = 0;
    rc = outq_push(&q, text, 31); /* 70 + 31 > 100: all or nothing */
    err = errno;
    check(rc == -1 && err == ENOBUFS && outq_len(&q) == 70, S_SLOW,
          "pushing 31 bytes onto 70 of 100: expected -1 with ENOBUFS and "
          "the queue unchanged (70), got %d with errno %d and %zu queued",
          rc, err, outq_len(&q));
    push(&q, text, 30);
    check(outq_len(&q) == 100, S_SLOW, "70 + 30 bytes: %zu queued",
          outq_len(&q));
    rc = outq_push(&q, text, 200);
    check(rc == -1 && outq_len(&q) == 100, S_SLOW,
          "a push larger than max itself must fail too, and change nothing");
    outq_free(&q);
}

static void test_outq_grows_only_as_needed(void **state)
{
    (void)state;
    struct outq q;
    outq_init(&q, 1 << 20);
    push(&q, "hi\n", 3);
    check(q.size == OUTQ_FIRST, S_SLOW,
          "a queue with 3 bytes should have a buffer of OUTQ_FIRST (%d) "
          "bytes, not %zu",
          OUTQ_FIRST, q.size);
    static char big[5000];
    memset(big, 'y', sizeof big);
    push(&q, big, sizeof big);
    check(q.size >= 5003 && q.size <= 2 * 5003 &&
              (q.size & (q.size - 1)) == 0,
          S_SLOW,
          "holding 5003 bytes, the buffer should be the power of two that "
          "fits them (8192), not %zu",
          q.size);
    outq_clear(&q);
    check(outq_empty(&q), S_SLOW, "outq_clear leaves the queue empty");
    push(&q, "again\n", 6);
    char got[8];
    check(drain(&q, got, sizeof got) == 6 && memcmp(got, "again\n", 6) == 0,
          S_SLOW, "after outq_clear, the queue works as new");
    outq_free(&q);
}

HARNESS_TESTS("chapters/08-chat.md",
              cmocka_unit_test(test_outq_is_fifo),
              cmocka_unit_test(test_outq_wraps_and_grows_in_order),
              cmocka_unit_test(test_outq_bound_is_exact),
              cmocka_unit_test(test_outq_grows_only_as_needed))
