/*
 * test_select.c - step 03: chan_select, waiting on several channels at
 * once.
 *
 * The first ready case in array order wins; with none ready the select
 * blocks in every channel and completes exactly one case when a partner
 * comes, leaving no wait behind in the others; send and receive cases mix;
 * closed channels are skipped until every case is closed; a blocked select
 * shows up in deadlock reports and can be cancelled.
 *
 * Tasklets record what they saw into globals; the checks run on the main
 * tasklet once tasklet_run has returned.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "chantest.h"
#include "tasklet.h"

#define S_SELECT "Select"
#define S_CLOSE "Closing a channel"
#define S_DEADLOCK "Deadlock"
#define S_CANCEL "Cancelling a blocked tasklet"

/* ---- helpers ---- */

const char *const ct_spawn_section = S_SELECT;

/* Shows that c still pairs a sender with a receiver: a receiver tasklet
 * takes a value the main tasklet sends. A wait the select left behind
 * would swallow the value instead. */
static void *still_value;
static struct ct_call still_call;
static void still_receiver(void *arg)
{
    chan *ch = arg;
    still_call = ct_record(chan_receive(ch, &still_value));
}

static void check_still_works(chan *ch, const char *name, const char *section)
{
    static int token;
    still_value = NULL;
    still_call = (struct ct_call){0};
    ct_spawn(still_receiver, ch, "after");
    struct ct_call sent = ct_record(chan_send(ch, &token));
    ct_run_all(section);
    check_call(sent, 0, 0, section, "afterwards, a chan_send on a channel "
                                    "the select waited in");
    check_call(still_call, 0, 0, section,
               "afterwards, a chan_receive on a channel the select waited in");
    check(still_value == &token, section,
          "afterwards, a receiver on channel %s should get the value sent "
          "(%p), got %p: did the select leave a wait behind in it?",
          name, (void *)&token, still_value);
    check_eq(chan_balance(ch), 0, section, "the balance at the end");
}

/* Channels a to d, values to send, and a tasklet that only sends or only
 * receives once on a channel. */
static chan *a, *b, *c, *d;
static int va, vb, vc, vd;

struct one_op {
    chan **ch;
    void *value;
    struct ct_call call;
    void *got;
};

static void one_send(void *arg)
{
    struct one_op *op = arg;
    op->call = ct_record(chan_send(*op->ch, op->value));
}

static void one_receive(void *arg)
{
    struct one_op *op = arg;
    op->call = ct_record(chan_receive(*op->ch, &op->got));
}

static const char *case_text(const struct chan_case *k)
{
    return k->op == CHAN_SEND ? "send" : "receive";
}

static const char *chan_letter(const chan *ch)
{
    return ch == a ? "a" : ch == b ? "b" : ch == c ? "c" : ch == d ? "d" : "?";
}

/* "[receive a, send b]", for messages. */
static const char *cases_text(const struct chan_case *cases, int n, char *buf,
                              size_t size)
{
    size_t len = 0;
    len += (size_t)snprintf(buf + len, size - len, "[");
    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s %s",
                                i ? ", " : "", case_text(&cases[i]),
                                chan_letter(cases[i].chan));
    if (len < size)
        snprintf(buf + len, size - len, "]");
    return buf;
}

/* ---- the first ready case wins ---- */

struct select_run {
    struct chan_case cases[4];
    int n;
    struct ct_call call;
    int balance_after[4];
};

static void do_select(struct select_run *s)
{
    s->call = ct_record(chan_select(s->cases, s->n));
    for (int i = 0; i < s->n; i++)
        s->balance_after[i] = chan_balance(s->cases[i].chan);
}

static struct select_run sel[3];

static void three_selects(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        do_select(&sel[i]);
}

static void check_select_result(const struct select_run *s, int want,
                                void *want_value, const char *why)
{
    char text[128];
    cases_text(s->cases, s->n, text, sizeof text);
    check(s->call.done && s->call.ret == want, S_SELECT,
          "chan_select on %s, %s: expected index %d, got %s", text, why,
          want, ct_describe_got(s->call, (char[160]){0}, 160));
    if (s->cases[want].op == CHAN_RECEIVE)
        check(s->cases[want].value == want_value, S_SELECT,
              "chan_select on %s returned %d; cases[%d].value should hold "
              "the value received (%p), got %p",
              text, want, want, want_value, s->cases[want].value);
}

static void test_select_first_ready_case_wins(void **state)
{
    (void)state;
    a = ct_new_chan();
    b = ct_new_chan();
    c = ct_new_chan();
    d = ct_new_chan();
    /* Senders wait on c (first) and b (second); a receiver waits on d. */
    struct one_op on_c = {.ch = &c, .value = &vc};
    struct one_op on_b = {.ch = &b, .value = &vb};
    struct one_op on_d = {.ch = &d};
    ct_spawn(one_send, &on_c, "sender c");
    ct_spawn(one_send, &on_b, "sender b");
    ct_spawn(one_receive, &on_d, "receiver d");

    sel[0] = (struct select_run){
        .cases = {{a, CHAN_RECEIVE, NULL}, {b, CHAN_RECEIVE, NULL},
                  {c, CHAN_RECEIVE, NULL}},
        .n = 3};
    sel[1] = (struct select_run){
        .cases = {{a, CHAN_RECEIVE, NULL}, {d, CHAN_SEND, &vd},
                  {c, CHAN_RECEIVE, NULL}},
        .n = 3};
    sel[2] = (struct select_run){
        .cases = {{a, CHAN_RECEIVE, NULL}, {c, CHAN_RECEIVE, NULL}}, .n = 2};
    ct_spawn(three_selects, NULL, "selector");
    ct_run_all(S_SELECT);

    check_select_result(&sel[0], 1, &vb,
                        "with senders waiting on b and c (c's came first): "
                        "the first ready case in the array wins");
    check_eq(sel[0].balance_after[2], 1, S_SELECT,
             "the balance of c after the select took b (c's sender still "
             "waits)");
    check_select_result(&sel[1], 1, NULL,
                        "with a receiver waiting on d and a sender on c: "
                        "the send case comes first in the array");
    check(on_d.call.done && on_d.call.ret == 0 && on_d.got == &vd, S_SELECT,
          "the receiver on d should get the value of the select's send case "
          "(%p), got %p", (void *)&vd, on_d.got);
    check_select_result(&sel[2], 1, &vc, "with only c ready");
    check_call(on_c.call, 0, 0, S_SELECT, "the sender on c");
    check_call(on_b.call, 0, 0, S_SELECT, "the sender on b");
    chan *all[] = {a, b, c, d};
    for (int i = 0; i < 4; i++)
        check(chan_balance(all[i]) == 0, S_SELECT,
              "the balance of %s at the end: expected 0, got %d",
              chan_letter(all[i]), chan_balance(all[i]));
    for (int i = 0; i < 4; i++)
        chan_destroy(all[i]);
}

/* ---- blocking until a partner comes ---- */

static tasklet *selector;
static bool selector_parked;
static const char *selector_why;
static int balance_while[4], balance_right_after[4];

static void select_once(void *arg)
{
    do_select(arg);
}

/* Notes what the blocked select looks like, does op on partner_chan, and
 * notes the balances right after the rendezvous. */
struct partner {
    chan **ch;
    enum chan_op op;
    void *value;
    struct ct_call call;
    void *got;
};

static void partner_fn(void *arg)
{
    struct partner *p = arg;
    chan *all[] = {a, b, c};
    selector_parked = tasklet_is_parked(selector);
    selector_why = tasklet_waiting_for(selector);
    for (int i = 0; i < 3; i++)
        balance_while[i] = chan_balance(all[i]);
    if (p->op == CHAN_SEND)
        p->call = ct_record(chan_send(*p->ch, p->value));
    else
        p->call = ct_record(chan_receive(*p->ch, &p->got));
    for (int i = 0; i < 3; i++)
        balance_right_after[i] = chan_balance(all[i]);
}

static void check_balances(const int *got, const int *want, const char *when)
{
    static const char *names[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++)
        check(got[i] == want[i], S_SELECT,
              "%s, the balance of %s should be %d, got %d", when, names[i],
              want[i], got[i]);
}

static void test_select_blocks_until_a_partner_comes(void **state)
{
    (void)state;
    a = ct_new_chan();
    b = ct_new_chan();
    c = ct_new_chan();
    struct select_run s = {
        .cases = {{a, CHAN_RECEIVE, NULL}, {b, CHAN_RECEIVE, NULL},
                  {c, CHAN_RECEIVE, NULL}},
        .n = 3};
    struct partner p = {.ch = &b, .op = CHAN_SEND, .value = &vb};
    selector = ct_spawn(select_once, &s, "selector");
    ct_spawn(partner_fn, &p, "partner");
    ct_run_all(S_SELECT);

    check(selector_parked, S_SELECT,
          "with no case ready, chan_select should block (the selecting "
          "tasklet was not parked when its partner ran)");
    check(selector_why != NULL && strcmp(selector_why, "chan_select") == 0,
          S_SELECT,
          "a tasklet blocked in chan_select should wait for \"chan_select\" "
          "(tasklet_waiting_for), got \"%s\"",
          selector_why ? selector_why : "(null)");
    check_balances(balance_while, (int[]){-1, -1, -1},
                   "while a select waits to receive on a, b and c");
    check_call(p.call, 0, 0, S_SELECT, "the partner's chan_send on b");
    check_select_result(&s, 1, &vb, "when a sender comes to b");
    check_balances(balance_right_after, (int[]){0, 0, 0},
                   "right after the select completed on b (its waits in a "
                   "and c must go at once)");
    check_still_works(a, "a", S_SELECT);
    check_still_works(c, "c", S_SELECT);
    chan_destroy(a);
    chan_destroy(b);
    chan_destroy(c);
}

static void run_mixed(struct partner *p, int want, void *want_value)
{
    a = ct_new_chan();
    b = ct_new_chan();
    c = ct_new_chan();
    struct select_run s = {
        .cases = {{a, CHAN_SEND, &va}, {b, CHAN_RECEIVE, NULL}}, .n = 2};
    selector = ct_spawn(select_once, &s, "selector");
    ct_spawn(partner_fn, p, "partner");
    ct_run_all(S_SELECT);

    check(selector_parked, S_SELECT,
          "with no case ready, chan_select should block (the selecting "
          "tasklet was not parked when its partner ran)");
    check_balances(balance_while, (int[]){1, -1, 0},
                   "while a select waits to send on a and receive on b");
    check_select_result(&s, want, want_value,
                        p->op == CHAN_SEND ? "when a sender comes to b"
                                           : "when a receiver comes to a");
    check_balances(balance_right_after, (int[]){0, 0, 0},
                   "right after the select completed (its other wait must "
                   "go at once)");
    check_still_works(a, "a", S_SELECT);
    check_still_works(b, "b", S_SELECT);
    chan_destroy(a);
    chan_destroy(b);
    chan_destroy(c);
}

static void test_select_mixed_completes_send_case(void **state)
{
    (void)state;
    struct partner p = {.ch = &a, .op = CHAN_RECEIVE};
    run_mixed(&p, 0, NULL);
    check_call(p.call, 0, 0, S_SELECT, "the partner's chan_receive on a");
    check(p.got == &va, S_SELECT,
          "a receiver on a should get the select's send value (%p), got %p",
          (void *)&va, p.got);
}

static void test_select_mixed_completes_receive_case(void **state)
{
    (void)state;
    struct partner p = {.ch = &b, .op = CHAN_SEND, .value = &vb};
    run_mixed(&p, 1, &vb);
    check_call(p.call, 0, 0, S_SELECT, "the partner's chan_send on b");
}

/* ---- closed channels ---- */

static struct ct_call closer_send;
static bool still_parked_after_one_close;
static struct select_run closing_sel[3];

static void closing_partner(void *arg)
{
    (void)arg;
    /* closing_sel[0] waits on a and b: closing a alone must not end it. */
    chan_close(a);
    still_parked_after_one_close = tasklet_is_parked(selector);
    closer_send = ct_record(chan_send(b, &vb));
}

static void selects_on_closed(void *arg)
{
    (void)arg;
    do_select(&closing_sel[0]); /* blocks; ends by b */
    do_select(&closing_sel[1]); /* a closed: waits on b alone */
    do_select(&closing_sel[2]); /* every case closed */
}

static struct ct_call late_send;

static void late_b_sender(void *arg)
{
    (void)arg;
    late_send = ct_record(chan_send(b, &vd));
}

static void test_select_skips_closed_channels(void **state)
{
    (void)state;
    a = ct_new_chan();
    b = ct_new_chan();
    c = ct_new_chan();
    closing_sel[0] = (struct select_run){
        .cases = {{a, CHAN_RECEIVE, NULL}, {b, CHAN_RECEIVE, NULL}}, .n = 2};
    closing_sel[1] = (struct select_run){
        .cases = {{a, CHAN_RECEIVE, NULL}, {b, CHAN_RECEIVE, NULL}}, .n = 2};
    closing_sel[2] = (struct select_run){
        .cases = {{a, CHAN_RECEIVE, NULL}, {c, CHAN_SEND, &vc}}, .n = 2};
    chan_close(c);
    selector = ct_spawn(selects_on_closed, NULL, "selector");
    ct_spawn(closing_partner, NULL, "closer");
    ct_spawn(late_b_sender, NULL, "sender b");
    ct_run_all(S_SELECT);

    check(still_parked_after_one_close, S_CLOSE,
          "a select waiting on a and b should keep waiting when only a is "
          "closed (EPIPE only once every case's channel is closed)");
    check_call(closer_send, 0, 0, S_SELECT, "the chan_send on b");
    check_call(late_send, 0, 0, S_SELECT, "the second chan_send on b");
    check_select_result(&closing_sel[0], 1, &vb,
                        "when a closes and then a sender comes to b");
    check_select_result(&closing_sel[1], 1, &vd,
                        "with a closed, when a sender comes to b");
    check_call(closing_sel[2].call, -1, EPIPE, S_CLOSE,
               "chan_select when every case's channel is closed");
    chan_destroy(a);
    chan_destroy(b);
    chan_destroy(c);
}

static void close_b(void *arg)
{
    (void)arg;
    chan_close(b);
}

static void test_select_fails_when_its_last_channel_closes(void **state)
{
    (void)state;
    a = ct_new_chan();
    b = ct_new_chan();
    chan_close(a);
    /* The select starts with a closed, so it waits on b alone; closing b
     * too leaves it nothing to wait for. */
    struct select_run s = {
        .cases = {{a, CHAN_RECEIVE, NULL}, {b, CHAN_RECEIVE, NULL}}, .n = 2};
    selector = ct_spawn(select_once, &s, "selector");
    ct_spawn(close_b, NULL, "closer");
    ct_run_all(S_CLOSE);
    check_call(s.call, -1, EPIPE, S_CLOSE,
               "chan_select waiting on b (a was closed) when b closes too");
    check_eq(chan_balance(b), 0, S_CLOSE, "the balance of b at the end");
    chan_destroy(a);
    chan_destroy(b);
}

/* ---- deadlock and cancelling ---- */

static void test_select_in_deadlock_report(void **state)
{
    (void)state;
    a = ct_new_chan();
    b = ct_new_chan();
    char *report = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&report, &len);
    check(f != NULL, S_DEADLOCK, "open_memstream failed");
    tasklet_set_report_stream(f);

    struct select_run s = {
        .cases = {{a, CHAN_RECEIVE, NULL}, {b, CHAN_SEND, &vb}}, .n = 2};
    ct_spawn(select_once, &s, "carol");
    errno = 0;
    int r = tasklet_run();
    int e = errno;
    fflush(f);
    check(r == -1 && e == EDEADLK, S_DEADLOCK,
          "tasklet_run with a tasklet blocked in chan_select that nobody "
          "serves: expected -1 with errno EDEADLK, got %d with errno %s",
          r, ct_err_name(e, (char[64]){0}, 64));
    check(report && strstr(report, "carol") != NULL, S_DEADLOCK,
          "the deadlock report should name the blocked tasklet \"carol\"; "
          "it was:\n%s", report ? report : "");
    check(strstr(report, "chan_select") != NULL, S_DEADLOCK,
          "the deadlock report should say carol waits in \"chan_select\"; "
          "it was:\n%s", report);

    struct ct_call sent = ct_record(chan_send(a, &va));
    ct_run_all(S_DEADLOCK);
    check_call(sent, 0, 0, S_SELECT, "main's chan_send to the select");
    check_select_result(&s, 0, &va, "served by main after the deadlock");
    tasklet_set_report_stream(stderr);
    fclose(f);
    free(report);
    chan_destroy(a);
    chan_destroy(b);
}

static int balance_before_cancel[2], balance_after_cancel[2];

static void canceller(void *arg)
{
    (void)arg;
    balance_before_cancel[0] = chan_balance(a);
    balance_before_cancel[1] = chan_balance(b);
    tasklet_cancel(selector);
    balance_after_cancel[0] = chan_balance(a);
    balance_after_cancel[1] = chan_balance(b);
}

static void test_cancel_blocked_select(void **state)
{
    (void)state;
    a = ct_new_chan();
    b = ct_new_chan();
    struct select_run s = {
        .cases = {{a, CHAN_RECEIVE, NULL}, {b, CHAN_SEND, &vb}}, .n = 2};
    selector = ct_spawn(select_once, &s, "victim");
    ct_spawn(canceller, NULL, "canceller");
    ct_run_all(S_CANCEL);

    check(balance_before_cancel[0] == -1 && balance_before_cancel[1] == 1,
          S_SELECT,
          "while a select waits to receive on a and send on b, the "
          "balances should be -1 and 1, got %d and %d",
          balance_before_cancel[0], balance_before_cancel[1]);
    check_call(s.call, -1, ECANCELED, S_CANCEL,
               "chan_select of a cancelled tasklet");
    check(balance_after_cancel[0] == 0 && balance_after_cancel[1] == 0,
          S_CANCEL,
          "right after tasklet_cancel, the cancelled select should be out "
          "of both wait queues (balances 0 and 0), got %d and %d",
          balance_after_cancel[0], balance_after_cancel[1]);
    check_still_works(a, "a", S_CANCEL);
    check_still_works(b, "b", S_CANCEL);
    chan_destroy(a);
    chan_destroy(b);
}

HARNESS_TESTS("chapters/03-channels.md",
              cmocka_unit_test(test_select_first_ready_case_wins),
              cmocka_unit_test(test_select_blocks_until_a_partner_comes),
              cmocka_unit_test(test_select_mixed_completes_send_case),
              cmocka_unit_test(test_select_mixed_completes_receive_case),
              cmocka_unit_test(test_select_skips_closed_channels),
              cmocka_unit_test(test_select_fails_when_its_last_channel_closes),
              cmocka_unit_test(test_select_in_deadlock_report),
              cmocka_unit_test(test_cancel_blocked_select))
