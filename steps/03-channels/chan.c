/*
 * chan.c - unbuffered channels with Stackless preferences, and select.
 *
 * A channel holds two queues of waiters: blocked senders and blocked
 * receivers. A waiter lives on the blocked tasklet's own stack, so
 * blocking allocates nothing. Every blocking call is a select: chan_send
 * and chan_receive are selects of one case. A select that blocks puts one
 * waiter on each of its channels; whichever partner comes first completes
 * that waiter and takes the others off their queues.
 *
 * Invariants:
 *   - A waiter is on its channel's queue exactly while `linked` is true.
 *   - A selection's `live` counts its linked waiters; its tasklet is parked
 *     while live > 0, and is woken exactly once.
 *   - A tasklet never waits on both ends of the same rendezvous with
 *     itself: readiness is checked before it parks.
 *
 * Your task (chapters/03-channels.md): every function marked TODO.
 */
#include "chan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tasklet.h"

#define CHAN_SELECT_MAX 64

/* book: types */
struct waiter {
    struct waiter *prev, *next;
    struct selection *sel;
    chan *chan;
    enum chan_op op;
    void *value; /* the value to send, or the value received */
    int index;   /* the case it stands for */
    bool linked;
};

struct queue {
    struct waiter *head, *tail;
    int length;
};

struct chan {
    struct queue senders, receivers;
    int preference;
    bool closing;
};

/* The waits of one blocked call. */
struct selection {
    tasklet *tasklet;
    struct waiter *waiters;
    int n;
    int live;
    int chosen;
};
/* book: end */

static _Noreturn void broken(const char *invariant)
{
    fprintf(stderr, "chan: broken invariant: %s\n", invariant);
    abort();
}

/* ---- queues of waiters ---- */

static struct queue *queue_of(chan *c, enum chan_op op)
{
    return op == CHAN_SEND ? &c->senders : &c->receivers;
}

static void enqueue(struct waiter *w)
{
    /* TODO(step 03): append w to the tail of its channel's queue for its
     * operation (queue_of), mark it linked, count it in its selection. */
    (void)w, (void)queue_of;
}

static void dequeue(struct waiter *w)
{
    /* TODO(step 03): the reverse of enqueue, from anywhere in the queue. */
    (void)w;
}

/* Takes every waiter of a selection off its queue. Also the tasklet_park
 * unlink function, for cancellation and deadlines. */
static void withdraw(tasklet *t, void *data)
{
    /* TODO(step 03): dequeue every linked waiter of the selection. */
    (void)t, (void)data, (void)dequeue;
}

/* ---- the channel's life ---- */

chan *chan_create(void)
{
    /* TODO(step 03): allocate a zeroed channel with preference -1. */
    errno = ENOSYS;
    return NULL;
}

void chan_destroy(chan *c)
{
    /* TODO(step 03): refuse (broken) to free a channel that still has
     * waiters; free it. */
    (void)c, (void)broken;
}

int chan_balance(const chan *c)
{
    /* TODO(step 03): blocked senders minus blocked receivers. */
    (void)c;
    return 0;
}

void chan_set_preference(chan *c, int preference)
{
    /* TODO(step 03): store -1, 0 or 1, clamping other values. */
    (void)c, (void)preference;
}

int chan_preference(const chan *c)
{
    (void)c;
    return 0; /* TODO(step 03) */
}

bool chan_closing(const chan *c)
{
    (void)c;
    return false; /* TODO(step 03, "Closing a channel") */
}

bool chan_closed(const chan *c)
{
    /* TODO(step 03): closing, and no sender waits any more. */
    (void)c;
    return false;
}

void chan_close(chan *c)
{
    /* TODO(step 03, "Closing a channel"): mark it closing, then take
     * every blocked receiver off the queue; a selection with no waiter
     * left is woken with EPIPE. */
    (void)c;
}

/* ---- rendezvous ---- */

/* Whether case k can never complete: sends to a closing channel, receives
 * from a closed one. */
static bool dead(const struct chan_case *k)
{
    /* TODO(step 03): a send to a closing channel, or a receive from a
     * closed one, can never complete. */
    (void)k;
    return false;
}

/* The waiter that case k would meet right now, if any. */
static struct waiter *partner(const struct chan_case *k)
{
    /* TODO(step 03): the waiter case k would meet now: the first blocked
     * receiver for a send (unless closing), the first blocked sender for
     * a receive; or NULL. */
    (void)k;
    return NULL;
}

/* Completes case k of the running tasklet with the waiter w that it met,
 * and decides by the channel's preference who runs on. */
static void rendezvous(struct chan_case *k, struct waiter *w)
{
    /* TODO(step 03, "Preference"): pass the value between k and w, record
     * w's case as its selection's choice, withdraw the selection's other
     * waiters, and wake its tasklet: at once (tasklet_wake_now) if the
     * channel's preference favours the partner's side, else at the end of
     * the run queue (tasklet_wake). */
    (void)k, (void)w, (void)withdraw;
}

static int select_why(struct chan_case *cases, int n, const char *why)
{
    /* TODO(step 03, "Select"): reject n outside 1..CHAN_SELECT_MAX with
     * EINVAL. If some case has a partner now, the first such case
     * completes (rendezvous) and its index is returned. If every case is
     * dead, fail with EPIPE. Otherwise put a waiter for each live case on
     * its queue (waiters on this stack, one selection), park with why and
     * withdraw as the unlink function. Woken with an error: withdraw,
     * set errno, return -1. Woken with 0: copy a received value into its
     * case and return the chosen index. */
    (void)cases, (void)n, (void)why, (void)rendezvous, (void)dead;
    (void)partner, (void)enqueue;
    errno = ENOSYS;
    return -1;
}

int chan_select(struct chan_case *cases, int n)
{
    return select_why(cases, n, "chan_select");
}

/* book: send-receive */
int chan_send(chan *c, void *value)
{
    struct chan_case k = {.chan = c, .op = CHAN_SEND, .value = value};
    return select_why(&k, 1, "chan_send") < 0 ? -1 : 0;
}

int chan_receive(chan *c, void **value)
{
    struct chan_case k = {.chan = c, .op = CHAN_RECEIVE};
    if (select_why(&k, 1, "chan_receive") < 0)
        return -1;
    if (value)
        *value = k.value;
    return 0;
}
/* book: end */
