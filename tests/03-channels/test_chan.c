/*
 * test_chan.c - step 03: channels as rendezvous points.
 *
 * A send waits for a receiver and a receive for a sender; values arrive
 * intact and in order; the balance counts who is blocked; the preference
 * decides who runs on after a rendezvous and who goes to the end of the
 * run queue; closing; deadlock reports; destroying; and cancelling a
 * tasklet blocked in a channel. chan_select has test_select.c.
 *
 * Tasklets record what they saw into globals and the trace; the checks run
 * on the main tasklet once tasklet_run has returned.
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

#define S_RENDEZVOUS "Rendezvous: send and receive"
#define S_BALANCE "The balance"
#define S_PREFERENCE "Preference"
#define S_CLOSE "Closing a channel"
#define S_DEADLOCK "Deadlock"
#define S_CANCEL "Cancelling a blocked tasklet"

/* ---- helpers ---- */

const char *const ct_spawn_section = S_RENDEZVOUS;

/* Shows that c still pairs a sender with a receiver, after whatever the
 * test did to it: a receiver tasklet takes a value the main tasklet sends. */
static void *still_value;
static struct ct_call still_call;
static void still_receiver(void *arg)
{
    chan *c = arg;
    still_call = ct_record(chan_receive(c, &still_value));
}

static void check_still_works(chan *c, const char *section)
{
    static int token;
    still_value = NULL;
    still_call = (struct ct_call){0};
    ct_spawn(still_receiver, c, "after");
    struct ct_call sent = ct_record(chan_send(c, &token));
    ct_run_all(section);
    check_call(sent, 0, 0, section,
               "afterwards, a chan_send on the same channel");
    check_call(still_call, 0, 0, section,
               "afterwards, a chan_receive on the same channel");
    check(still_value == &token, section,
          "afterwards, a receiver should get the value sent (%p), got %p",
          (void *)&token, still_value);
    check_eq(chan_balance(c), 0, section, "the balance at the end");
}

/* ---- rendezvous ---- */

static chan *rc;
static int token_a, token_b;
static tasklet *first;
static const char *first_waits_for;
static bool first_parked;
static struct ct_call send_call, recv_call;
static void *recv_value;

static void sender_a(void *arg)
{
    (void)arg;
    trace("s0");
    send_call = ct_record(chan_send(rc, &token_a));
    trace("s1");
}

static void receiver_a(void *arg)
{
    (void)arg;
    trace("r0");
    recv_call = ct_record(chan_receive(rc, &recv_value));
    trace("r1");
}

/* Yields three times while `first` waits, then becomes its partner. */
static void wait_then(void (*partner)(void *))
{
    first_parked = tasklet_is_parked(first);
    first_waits_for = tasklet_waiting_for(first);
    for (int i = 0; i < 3; i++) {
        trace("w%d", i);
        tasklet_yield();
    }
    partner(NULL);
}

static void watcher_then_receive(void *arg)
{
    (void)arg;
    wait_then(receiver_a);
}

static void watcher_then_send(void *arg)
{
    (void)arg;
    wait_then(sender_a);
}

static void test_send_waits_for_a_receiver(void **state)
{
    (void)state;
    rc = ct_new_chan();
    trace_reset();
    first = ct_spawn(sender_a, NULL, "sender");
    ct_spawn(watcher_then_receive, NULL, "watcher");
    ct_run_all(S_RENDEZVOUS);

    check(first_parked, S_RENDEZVOUS,
          "a sender with no receiver should be parked (tasklet_is_parked "
          "was false): chan_send must block until a receiver comes");
    check(first_waits_for != NULL && strcmp(first_waits_for, "chan_send") == 0,
          S_RENDEZVOUS,
          "a tasklet blocked in chan_send should wait for \"chan_send\" "
          "(tasklet_waiting_for), got \"%s\"",
          first_waits_for ? first_waits_for : "(null)");
    check_call(send_call, 0, 0, S_RENDEZVOUS, "chan_send");
    check_call(recv_call, 0, 0, S_RENDEZVOUS, "chan_receive");
    check(recv_value == &token_a, S_RENDEZVOUS,
          "the receiver should get the pointer sent (%p), got %p",
          (void *)&token_a, recv_value);
    /* s = the sender, w0-w2 = another tasklet yielding while the sender
     * waits, r = that tasklet receiving. */
    check_trace("s0 w0 w1 w2 r0 r1 s1", S_RENDEZVOUS);
    check_eq(chan_balance(rc), 0, S_BALANCE, "the balance at the end");
    chan_destroy(rc);
}

static void test_receive_waits_for_a_sender(void **state)
{
    (void)state;
    rc = ct_new_chan();
    trace_reset();
    first = ct_spawn(receiver_a, NULL, "receiver");
    ct_spawn(watcher_then_send, NULL, "watcher");
    ct_run_all(S_RENDEZVOUS);

    check(first_parked, S_RENDEZVOUS,
          "a receiver with no sender should be parked (tasklet_is_parked "
          "was false): chan_receive must block until a sender comes");
    check(first_waits_for != NULL &&
              strcmp(first_waits_for, "chan_receive") == 0,
          S_RENDEZVOUS,
          "a tasklet blocked in chan_receive should wait for "
          "\"chan_receive\" (tasklet_waiting_for), got \"%s\"",
          first_waits_for ? first_waits_for : "(null)");
    check_call(send_call, 0, 0, S_RENDEZVOUS, "chan_send");
    check_call(recv_call, 0, 0, S_RENDEZVOUS, "chan_receive");
    check(recv_value == &token_a, S_RENDEZVOUS,
          "the receiver should get the pointer sent (%p), got %p",
          (void *)&token_a, recv_value);
    /* r = the receiver, w0-w2 = another tasklet yielding while it waits,
     * s = that tasklet sending; the receiver is preferred (-1). */
    check_trace("r0 w0 w1 w2 s0 r1 s1", S_RENDEZVOUS);
    check_eq(chan_balance(rc), 0, S_BALANCE, "the balance at the end");
    chan_destroy(rc);
}

enum { NVALUES = 1000 };
static int value_store[NVALUES];
static void *values_got[NVALUES];
static int values_received;
static struct ct_call values_bad;

static void *value_of(int i)
{
    return i == 0 ? NULL : &value_store[i]; /* NULL is a value too */
}

static void many_sender(void *arg)
{
    (void)arg;
    for (int i = 0; i < NVALUES; i++) {
        struct ct_call c = ct_record(chan_send(rc, value_of(i)));
        if (c.ret != 0) {
            values_bad = c;
            return;
        }
    }
}

static void many_receiver(void *arg)
{
    (void)arg;
    for (int i = 0; i < NVALUES; i++) {
        void *v = &token_b; /* something a receive must overwrite */
        struct ct_call c = ct_record(chan_receive(rc, &v));
        if (c.ret != 0) {
            values_bad = c;
            return;
        }
        values_got[values_received++] = v;
    }
}

static void test_values_arrive_intact_and_in_order(void **state)
{
    (void)state;
    rc = ct_new_chan();
    values_bad = (struct ct_call){.done = true};
    ct_spawn(many_sender, NULL, "sender");
    ct_spawn(many_receiver, NULL, "receiver");
    ct_run_all(S_RENDEZVOUS);

    check_call(values_bad, 0, 0, S_RENDEZVOUS,
               "every chan_send and chan_receive of a stream of values");
    check_eq(values_received, NVALUES, S_RENDEZVOUS,
             "values received from one sender sending one after another");
    for (int i = 0; i < NVALUES; i++)
        check(values_got[i] == value_of(i), S_RENDEZVOUS,
              "value %d of %d should arrive as %p (values arrive intact "
              "and in the order sent), got %p",
              i, NVALUES, value_of(i), values_got[i]);
    chan_destroy(rc);
}

/* ---- balance ---- */

enum { NBLOCKED = 3 };
static int blocked_token[NBLOCKED];
static int balance_seen[NBLOCKED + 1];
static void *blocked_got[NBLOCKED];
static struct ct_call blocked_call[NBLOCKED];

static void blocked_receiver(void *arg)
{
    int i = (int)(intptr_t)arg;
    blocked_call[i] = ct_record(chan_receive(rc, &blocked_got[i]));
}

static void blocked_sender(void *arg)
{
    int i = (int)(intptr_t)arg;
    blocked_call[i] = ct_record(chan_send(rc, &blocked_token[i]));
}

/* Runs after the blocked tasklets: notes the balance, then serves them one
 * by one, noting the balance after each. */
static void balance_probe_send(void *arg)
{
    (void)arg;
    for (int i = 0; i < NBLOCKED; i++) {
        balance_seen[i] = chan_balance(rc);
        chan_send(rc, &blocked_token[i]);
    }
    balance_seen[NBLOCKED] = chan_balance(rc);
}

static void balance_probe_receive(void *arg)
{
    (void)arg;
    for (int i = 0; i < NBLOCKED; i++) {
        balance_seen[i] = chan_balance(rc);
        chan_receive(rc, &blocked_got[i]);
    }
    balance_seen[NBLOCKED] = chan_balance(rc);
}

static void test_balance_counts_blocked_receivers(void **state)
{
    (void)state;
    rc = ct_new_chan();
    check_eq(chan_balance(rc), 0, S_BALANCE, "the balance of a new channel");
    for (int i = 0; i < NBLOCKED; i++)
        ct_spawn(blocked_receiver, (void *)(intptr_t)i, NULL);
    ct_spawn(balance_probe_send, NULL, "probe");
    ct_run_all(S_BALANCE);

    for (int i = 0; i <= NBLOCKED; i++)
        check(balance_seen[i] == i - NBLOCKED, S_BALANCE,
              "with %d receivers blocked, the balance should be %d (minus "
              "the number of blocked receivers), got %d",
              NBLOCKED - i, i - NBLOCKED, balance_seen[i]);
    for (int i = 0; i < NBLOCKED; i++) {
        check_call(blocked_call[i], 0, 0, S_RENDEZVOUS, "chan_receive");
        check(blocked_got[i] == &blocked_token[i], S_RENDEZVOUS,
              "blocked receivers are served first come, first served: "
              "receiver %d should get value %d, got %s",
              i, i, blocked_got[i] == NULL ? "NULL" : "another value");
    }
    chan_destroy(rc);
}

static void test_balance_counts_blocked_senders(void **state)
{
    (void)state;
    rc = ct_new_chan();
    for (int i = 0; i < NBLOCKED; i++)
        ct_spawn(blocked_sender, (void *)(intptr_t)i, NULL);
    ct_spawn(balance_probe_receive, NULL, "probe");
    ct_run_all(S_BALANCE);

    for (int i = 0; i <= NBLOCKED; i++)
        check(balance_seen[i] == NBLOCKED - i, S_BALANCE,
              "with %d senders blocked, the balance should be %d (the "
              "number of blocked senders), got %d",
              NBLOCKED - i, NBLOCKED - i, balance_seen[i]);
    for (int i = 0; i < NBLOCKED; i++) {
        check_call(blocked_call[i], 0, 0, S_RENDEZVOUS, "chan_send");
        check(blocked_got[i] == &blocked_token[i], S_RENDEZVOUS,
              "blocked senders are served first come, first served: "
              "receive %d should get sender %d's value, got %s",
              i, i, blocked_got[i] == NULL ? "NULL" : "another value");
    }
    chan_destroy(rc);
}

/* ---- preference ---- */

static void bystander(void *arg)
{
    (void)arg;
    trace("x0");
    tasklet_yield();
    trace("x1");
}

/* r = the receiver, s = the sender (r0/s0 before the channel call, r1/s1
 * after it), x = a bystander that yields once, to show who went to the end
 * of the run queue. */
static void run_preference(int preference, bool receiver_first,
                           const char *want)
{
    rc = ct_new_chan();
    chan_set_preference(rc, preference);
    check_eq(chan_preference(rc), preference, S_PREFERENCE,
             "chan_preference after chan_set_preference");
    trace_reset();
    if (receiver_first) {
        ct_spawn(receiver_a, NULL, "receiver");
        ct_spawn(sender_a, NULL, "sender");
    } else {
        ct_spawn(sender_a, NULL, "sender");
        ct_spawn(receiver_a, NULL, "receiver");
    }
    ct_spawn(bystander, NULL, "bystander");
    ct_run_all(S_PREFERENCE);

    check_call(send_call, 0, 0, S_RENDEZVOUS, "chan_send");
    check_call(recv_call, 0, 0, S_RENDEZVOUS, "chan_receive");
    check(recv_value == &token_a, S_RENDEZVOUS,
          "the receiver should get the pointer sent (%p), got %p",
          (void *)&token_a, recv_value);
    check(harness_streq(trace_text(), want), S_PREFERENCE,
          "with preference %d, when a %s comes to a blocked %s, expected "
          "the order \"%s\"\n  but the tasklets ran \"%s\"\n  (r = receiver, "
          "s = sender, 0 before and 1 after the channel call; x = a "
          "bystander that yields once: whoever is queued goes behind it)",
          preference, receiver_first ? "sender" : "receiver",
          receiver_first ? "receiver" : "sender", want, trace_text());
    chan_destroy(rc);
}

static void test_preference_default_and_clamped(void **state)
{
    (void)state;
    chan *c = ct_new_chan();
    check_eq(chan_preference(c), -1, S_PREFERENCE,
             "the preference of a new channel (the receiver is preferred)");
    chan_set_preference(c, 1);
    check_eq(chan_preference(c), 1, S_PREFERENCE, "preference after setting 1");
    chan_set_preference(c, 0);
    check_eq(chan_preference(c), 0, S_PREFERENCE, "preference after setting 0");
    chan_set_preference(c, 7);
    check_eq(chan_preference(c), 1, S_PREFERENCE,
             "preference after setting 7 (clamped)");
    chan_set_preference(c, -42);
    check_eq(chan_preference(c), -1, S_PREFERENCE,
             "preference after setting -42 (clamped)");
    chan_destroy(c);
}

static void test_preference_receiver_send_to_waiting_receiver(void **state)
{
    (void)state;
    /* The receiver runs at once; the sender goes behind the bystander. */
    run_preference(-1, true, "r0 s0 r1 x0 s1 x1");
}

static void test_preference_receiver_receive_from_waiting_sender(void **state)
{
    (void)state;
    /* The receiver runs on; the woken sender goes behind the bystander. */
    run_preference(-1, false, "s0 r0 r1 x0 s1 x1");
}

static void test_preference_sender_send_to_waiting_receiver(void **state)
{
    (void)state;
    /* The sender runs on; the woken receiver goes behind the bystander. */
    run_preference(1, true, "r0 s0 s1 x0 r1 x1");
}

static void test_preference_sender_receive_from_waiting_sender(void **state)
{
    (void)state;
    /* The sender runs at once; the receiver goes behind the bystander. */
    run_preference(1, false, "s0 r0 s1 x0 r1 x1");
}

static void test_preference_neither_send_to_waiting_receiver(void **state)
{
    (void)state;
    /* The sender arrived second and runs on; the receiver is queued. */
    run_preference(0, true, "r0 s0 s1 x0 r1 x1");
}

static void test_preference_neither_receive_from_waiting_sender(void **state)
{
    (void)state;
    /* The receiver arrived second and runs on; the sender is queued. */
    run_preference(0, false, "s0 r0 r1 x0 s1 x1");
}

/* ---- closing ---- */

static bool closing_seen, closed_seen;

static void closer(void *arg)
{
    (void)arg;
    chan_close(rc);
    closing_seen = chan_closing(rc);
    closed_seen = chan_closed(rc);
}

static void test_close_idle_channel(void **state)
{
    (void)state;
    chan *c = ct_new_chan();
    check(!chan_closing(c) && !chan_closed(c), S_CLOSE,
          "a new channel should be neither closing nor closed "
          "(closing %d, closed %d)", chan_closing(c), chan_closed(c));
    chan_close(c);
    check(chan_closing(c), S_CLOSE,
          "chan_closing should be true as soon as chan_close returns");
    check(chan_closed(c), S_CLOSE,
          "a closing channel with no sender waiting should be closed at "
          "once (chan_closed was false)");
    static int token;
    struct ct_call s = ct_record(chan_send(c, &token));
    check_call(s, -1, EPIPE, S_CLOSE,
               "chan_send on a closed channel (it must fail at once)");
    void *v = &token;
    struct ct_call r = ct_record(chan_receive(c, &v));
    check_call(r, -1, EPIPE, S_CLOSE,
               "chan_receive on a closed channel (it must fail at once)");
    check_eq(chan_balance(c), 0, S_CLOSE,
             "the balance after failed calls on a closed channel");
    chan_destroy(c);
}

static void test_close_wakes_blocked_receivers(void **state)
{
    (void)state;
    rc = ct_new_chan();
    for (int i = 0; i < 2; i++)
        ct_spawn(blocked_receiver, (void *)(intptr_t)i, NULL);
    ct_spawn(closer, NULL, "closer");
    ct_run_all(S_CLOSE);

    check(closing_seen, S_CLOSE,
          "chan_closing should be true as soon as chan_close returns");
    for (int i = 0; i < 2; i++)
        check_call(blocked_call[i], -1, EPIPE, S_CLOSE,
                   "a receiver blocked when the channel is closed (no "
                   "sender can come any more)");
    check(chan_closed(rc), S_CLOSE,
          "a closing channel with no sender waiting should be closed");
    check_eq(chan_balance(rc), 0, S_BALANCE,
             "the balance once the woken receivers are gone");
    chan_destroy(rc);
}

static struct ct_call close_recv[NBLOCKED + 1];
static bool closed_between[NBLOCKED];
static int balance_after_close;

/* Closes a channel with senders blocked in it, then drains them. */
static void close_then_drain(void *arg)
{
    (void)arg;
    chan_close(rc);
    closing_seen = chan_closing(rc);
    closed_seen = chan_closed(rc);
    balance_after_close = chan_balance(rc);
    for (int i = 0; i < NBLOCKED; i++) {
        close_recv[i] = ct_record(chan_receive(rc, &blocked_got[i]));
        closed_between[i] = chan_closed(rc);
    }
    void *v = NULL;
    close_recv[NBLOCKED] = ct_record(chan_receive(rc, &v));
}

static void test_close_lets_blocked_senders_deliver(void **state)
{
    (void)state;
    rc = ct_new_chan();
    for (int i = 0; i < NBLOCKED; i++)
        ct_spawn(blocked_sender, (void *)(intptr_t)i, NULL);
    ct_spawn(close_then_drain, NULL, "closer");
    ct_run_all(S_CLOSE);

    check(closing_seen, S_CLOSE,
          "chan_closing should be true as soon as chan_close returns");
    check(!closed_seen, S_CLOSE,
          "with %d senders still waiting, the channel should be closing "
          "but not yet closed (chan_closed was true)", NBLOCKED);
    check_eq(balance_after_close, NBLOCKED, S_CLOSE,
             "the balance right after closing (blocked senders stay)");
    for (int i = 0; i < NBLOCKED; i++) {
        check_call(close_recv[i], 0, 0, S_CLOSE,
                   "a receive from a sender that was waiting when the "
                   "channel closed");
        check(blocked_got[i] == &blocked_token[i], S_CLOSE,
              "receive %d after closing should get the value of blocked "
              "sender %d, got %s", i, i,
              blocked_got[i] == NULL ? "NULL" : "another value");
        check_call(blocked_call[i], 0, 0, S_CLOSE,
                   "a chan_send that was waiting when the channel closed "
                   "(it still delivers)");
        bool last = i == NBLOCKED - 1;
        check(closed_between[i] == last, S_CLOSE,
              "after %d of %d waiting senders delivered, chan_closed should "
              "be %s, was %s", i + 1, NBLOCKED, last ? "true" : "false",
              closed_between[i] ? "true" : "false");
    }
    check_call(close_recv[NBLOCKED], -1, EPIPE, S_CLOSE,
               "chan_receive once the closed channel is empty");
    chan_destroy(rc);
}

static int balance_after_late_send;
static struct ct_call drain_call;
static void *drained;
static bool closed_after_drain;

static void late_sender(void *arg)
{
    (void)arg;
    send_call = ct_record(chan_send(rc, &token_a));
    balance_after_late_send = chan_balance(rc);
}

static void drainer(void *arg)
{
    (void)arg;
    drain_call = ct_record(chan_receive(rc, &drained));
    closed_after_drain = chan_closed(rc);
}

static void test_send_on_closing_channel_fails(void **state)
{
    (void)state;
    rc = ct_new_chan();
    /* A sender blocked before the close keeps the channel closing but not
     * closed; a sender that comes after the close must not join it. */
    ct_spawn(blocked_sender, (void *)(intptr_t)0, NULL);
    ct_spawn(closer, NULL, "closer");
    ct_spawn(late_sender, NULL, "late");
    ct_spawn(drainer, NULL, "drainer");
    ct_run_all(S_CLOSE);

    check(closing_seen && !closed_seen, S_CLOSE,
          "with a sender waiting, a closed channel should be closing "
          "(%s) but not closed (%s)", closing_seen ? "true" : "false",
          closed_seen ? "true" : "false");
    check_call(send_call, -1, EPIPE, S_CLOSE,
               "chan_send on a closing channel (it must fail at once)");
    check_eq(balance_after_late_send, 1, S_CLOSE,
             "the balance after the late send failed (only the sender "
             "that waited before the close)");
    check_call(drain_call, 0, 0, S_CLOSE,
               "receiving from the sender that waited before the close");
    check(drained == &blocked_token[0], S_CLOSE,
          "the receive should get the value of the sender that waited "
          "before the close, not the late sender's");
    check_call(blocked_call[0], 0, 0, S_CLOSE,
               "the sender that waited before the close");
    check(closed_after_drain, S_CLOSE,
          "once the last waiting sender has delivered, the channel should "
          "be closed");
    chan_destroy(rc);
}

/* ---- deadlock ---- */

static chan *dc;
static char *report;
static size_t report_len;
static FILE *report_stream;

static void capture_reports(void)
{
    report_stream = open_memstream(&report, &report_len);
    check(report_stream != NULL, S_DEADLOCK, "open_memstream failed");
    tasklet_set_report_stream(report_stream);
}

static const char *captured(void)
{
    fflush(report_stream);
    return report ? report : "";
}

static void release_reports(void)
{
    tasklet_set_report_stream(stderr);
    fclose(report_stream);
    free(report);
    report = NULL;
}

#define check_report_says(word, why)                                       \
    check(strstr(captured(), word) != NULL, S_DEADLOCK,                    \
          "the deadlock report should mention \"%s\" (%s); it was:\n%s",   \
          word, why, captured())

static void stuck_sender(void *arg)
{
    (void)arg;
    send_call = ct_record(chan_send(dc, &token_b));
}

static void stuck_receiver(void *arg)
{
    (void)arg;
    recv_call = ct_record(chan_receive(rc, &recv_value));
}

static void test_deadlock_main_receive(void **state)
{
    (void)state;
    rc = ct_new_chan();
    dc = ct_new_chan();
    capture_reports();
    ct_spawn(stuck_sender, NULL, "writer");

    /* Nobody will ever send on rc: the writer blocks on another channel. */
    void *v = NULL;
    struct ct_call got = ct_record(chan_receive(rc, &v));
    check_call(got, -1, EDEADLK, S_DEADLOCK,
               "chan_receive on the main tasklet, when no other tasklet "
               "can ever run");
    check_report_says("writer", "the name of the blocked tasklet");
    check_report_says("chan_send", "what the writer waits in");
    check_report_says("chan_receive", "what the main tasklet waits in");
    check_eq(chan_balance(rc), 0, S_DEADLOCK,
             "the balance of the channel main gave up on");

    /* Unblock the writer so that everything ends cleanly. */
    got = ct_record(chan_receive(dc, &v));
    check_call(got, 0, 0, S_RENDEZVOUS, "chan_receive from the writer");
    ct_run_all(S_DEADLOCK);
    check_call(send_call, 0, 0, S_RENDEZVOUS, "the writer's chan_send");
    release_reports();
    chan_destroy(rc);
    chan_destroy(dc);
}

static void test_deadlock_from_run(void **state)
{
    (void)state;
    rc = ct_new_chan();
    dc = ct_new_chan();
    capture_reports();
    ct_spawn(stuck_receiver, NULL, "alice");
    ct_spawn(stuck_sender, NULL, "bob");

    errno = 0;
    int r = tasklet_run();
    int e = errno;
    check(r == -1 && e == EDEADLK, S_DEADLOCK,
          "tasklet_run with tasklets blocked in channels nobody else uses: "
          "expected -1 with errno EDEADLK, got %d with errno %s",
          r, ct_err_name(e, (char[64]){0}, 64));
    check_report_says("alice", "a tasklet named with tasklet_set_name");
    check_report_says("bob", "a tasklet named with tasklet_set_name");
    check_report_says("chan_receive", "what alice waits in");
    check_report_says("chan_send", "what bob waits in");

    /* Serve both from main, then let them finish. */
    struct ct_call s = ct_record(chan_send(rc, &token_a));
    void *v = NULL;
    struct ct_call g = ct_record(chan_receive(dc, &v));
    ct_run_all(S_DEADLOCK);
    check_call(s, 0, 0, S_RENDEZVOUS, "main's chan_send to alice");
    check_call(g, 0, 0, S_RENDEZVOUS, "main's chan_receive from bob");
    check_call(recv_call, 0, 0, S_RENDEZVOUS, "alice's chan_receive");
    check_call(send_call, 0, 0, S_RENDEZVOUS, "bob's chan_send");
    release_reports();
    chan_destroy(rc);
    chan_destroy(dc);
}

/* ---- destroying ---- */

static void test_destroy_idle_channels(void **state)
{
    (void)state;
    /* Valgrind and AddressSanitizer check that nothing leaks here. */
    chan_destroy(ct_new_chan());

    rc = ct_new_chan();
    ct_spawn(receiver_a, NULL, "receiver");
    ct_spawn(sender_a, NULL, "sender");
    ct_run_all(S_DESTROY);
    check_call(recv_call, 0, 0, S_RENDEZVOUS, "chan_receive");
    chan_destroy(rc);

    chan *c = ct_new_chan();
    chan_close(c);
    chan_destroy(c);

    for (int i = 0; i < 1000; i++)
        chan_destroy(ct_new_chan());
}

/* ---- cancelling ---- */

static tasklet *victim;
static int balance_before_cancel, balance_after_cancel;

static void canceller(void *arg)
{
    (void)arg;
    balance_before_cancel = chan_balance(rc);
    tasklet_cancel(victim);
    balance_after_cancel = chan_balance(rc);
}

static void check_cancelled(struct ct_call got, int blocked_balance,
                            const char *what)
{
    check_eq(balance_before_cancel, blocked_balance, S_BALANCE,
             "the balance while the victim is blocked");
    check_call(got, -1, ECANCELED, S_CANCEL, what);
    check(balance_after_cancel == 0, S_CANCEL,
          "right after tasklet_cancel, the cancelled tasklet should be out "
          "of the channel's wait queue (balance 0), got balance %d: the "
          "unlink function given to tasklet_park must remove it",
          balance_after_cancel);
    check_eq(chan_balance(rc), 0, S_CANCEL,
             "the balance once the cancelled tasklet has returned");
}

static void test_cancel_blocked_receive(void **state)
{
    (void)state;
    rc = ct_new_chan();
    victim = ct_spawn(receiver_a, NULL, "victim");
    ct_spawn(canceller, NULL, "canceller");
    ct_run_all(S_CANCEL);
    check_cancelled(recv_call, -1, "chan_receive of a cancelled tasklet");
    check_still_works(rc, S_CANCEL);
    chan_destroy(rc);
}

static void test_cancel_blocked_send(void **state)
{
    (void)state;
    rc = ct_new_chan();
    victim = ct_spawn(sender_a, NULL, "victim");
    ct_spawn(canceller, NULL, "canceller");
    ct_run_all(S_CANCEL);
    check_cancelled(send_call, 1, "chan_send of a cancelled tasklet");
    check_still_works(rc, S_CANCEL);
    chan_destroy(rc);
}

HARNESS_TESTS("chapters/03-channels.md",
              cmocka_unit_test(test_send_waits_for_a_receiver),
              cmocka_unit_test(test_receive_waits_for_a_sender),
              cmocka_unit_test(test_values_arrive_intact_and_in_order),
              cmocka_unit_test(test_balance_counts_blocked_receivers),
              cmocka_unit_test(test_balance_counts_blocked_senders),
              cmocka_unit_test(test_preference_default_and_clamped),
              cmocka_unit_test(test_preference_receiver_send_to_waiting_receiver),
              cmocka_unit_test(test_preference_receiver_receive_from_waiting_sender),
              cmocka_unit_test(test_preference_sender_send_to_waiting_receiver),
              cmocka_unit_test(test_preference_sender_receive_from_waiting_sender),
              cmocka_unit_test(test_preference_neither_send_to_waiting_receiver),
              cmocka_unit_test(test_preference_neither_receive_from_waiting_sender),
              cmocka_unit_test(test_close_idle_channel),
              cmocka_unit_test(test_close_wakes_blocked_receivers),
              cmocka_unit_test(test_close_lets_blocked_senders_deliver),
              cmocka_unit_test(test_send_on_closing_channel_fails),
              cmocka_unit_test(test_deadlock_main_receive),
              cmocka_unit_test(test_deadlock_from_run),
              cmocka_unit_test(test_destroy_idle_channels),
              cmocka_unit_test(test_cancel_blocked_receive),
              cmocka_unit_test(test_cancel_blocked_send))
