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
 */
#include "chan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tasklet.h"

#define CHAN_SELECT_MAX 64

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
    struct queue *q = queue_of(w->chan, w->op);
    w->next = NULL;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    q->length++;
    w->linked = true;
    w->sel->live++;
}

static void dequeue(struct waiter *w)
{
    struct queue *q = queue_of(w->chan, w->op);
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    q->length--;
    w->linked = false;
    w->sel->live--;
}

/* book: withdraw */
/* Takes every waiter of a selection off its queue. Also the tasklet_park
 * unlink function, for cancellation and deadlines. */
static void withdraw(tasklet *t, void *data)
{
    (void)t;
    struct selection *sel = data;
    for (int i = 0; i < sel->n; i++)
        if (sel->waiters[i].linked)
            dequeue(&sel->waiters[i]);
}
/* book: end */

/* ---- the channel's life ---- */

chan *chan_create(void)
{
    chan *c = calloc(1, sizeof *c);
    if (c == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    c->preference = -1;
    return c;
}

void chan_destroy(chan *c)
{
    if (c == NULL)
        return;
    if (c->senders.length || c->receivers.length)
        broken("a channel is destroyed only when no tasklet waits on it");
    free(c);
}

int chan_balance(const chan *c)
{
    return c->senders.length - c->receivers.length;
}

void chan_set_preference(chan *c, int preference)
{
    c->preference = preference < 0 ? -1 : preference > 0 ? 1 : 0;
}

int chan_preference(const chan *c)
{
    return c->preference;
}

bool chan_closing(const chan *c)
{
    return c->closing;
}

bool chan_closed(const chan *c)
{
    return c->closing && c->senders.length == 0;
}

/* book: close */
void chan_close(chan *c)
{
    c->closing = true;
    /* No sender can come any more: blocked receivers give up. A select
     * gives up only when none of its other cases can still happen. */
    while (c->receivers.head) {
        struct waiter *w = c->receivers.head;
        dequeue(w);
        if (w->sel->live == 0)
            tasklet_wake(w->sel->tasklet, EPIPE);
    }
}
/* book: end */

/* ---- rendezvous ---- */

/* book: readiness */
/* Whether case k can never complete: sends to a closing channel, receives
 * from a closed one. */
static bool dead(const struct chan_case *k)
{
    return k->op == CHAN_SEND ? k->chan->closing : chan_closed(k->chan);
}

/* The waiter that case k would meet right now, if any. */
static struct waiter *partner(const struct chan_case *k)
{
    if (k->op == CHAN_SEND)
        return k->chan->closing ? NULL : k->chan->receivers.head;
    return k->chan->senders.head;
}
/* book: end */

/* book: rendezvous */
/* Completes case k of the running tasklet with the waiter w that it met,
 * and decides by the channel's preference who runs on. */
static void rendezvous(struct chan_case *k, struct waiter *w)
{
    if (k->op == CHAN_SEND)
        w->value = k->value;
    else
        k->value = w->value;

    struct selection *sel = w->sel;
    sel->chosen = w->index;
    withdraw(sel->tasklet, sel);

    /* Preference -1 favours receivers, 1 senders, 0 neither: then the
     * tasklet that arrived second (the running one) goes on. */
    int p = k->chan->preference;
    bool partner_first = (p < 0 && w->op == CHAN_RECEIVE) ||
                         (p > 0 && w->op == CHAN_SEND);
    if (partner_first)
        tasklet_wake_now(sel->tasklet, 0);
    else
        tasklet_wake(sel->tasklet, 0);
}
/* book: end */

/* book: select */
static int select_why(struct chan_case *cases, int n, const char *why)
{
    if (n < 1 || n > CHAN_SELECT_MAX) {
        errno = EINVAL;
        return -1;
    }

    /* Ready now? The first ready case in array order wins. */
    int ndead = 0;
    for (int i = 0; i < n; i++) {
        struct waiter *w = partner(&cases[i]);
        if (w) {
            rendezvous(&cases[i], w);
            return i;
        }
        ndead += dead(&cases[i]);
    }
    if (ndead == n) {
        errno = EPIPE;
        return -1;
    }

    /* Wait on every case that can still happen. */
    struct waiter waiters[CHAN_SELECT_MAX];
    struct selection sel = {.tasklet = tasklet_current(), .waiters = waiters,
                            .n = n, .chosen = -1};
    for (int i = 0; i < n; i++) {
        waiters[i] = (struct waiter){.sel = &sel, .chan = cases[i].chan,
                                     .op = cases[i].op,
                                     .value = cases[i].value, .index = i};
        if (!dead(&cases[i]))
            enqueue(&waiters[i]);
    }
    int err = tasklet_park(why, withdraw, &sel);
    if (err) {
        withdraw(sel.tasklet, &sel); /* if it never parked, nothing did */
        errno = err;
        return -1;
    }
    if (sel.chosen < 0)
        broken("a woken selection has a chosen case");
    if (cases[sel.chosen].op == CHAN_RECEIVE)
        cases[sel.chosen].value = waiters[sel.chosen].value;
    return sel.chosen;
}
/* book: end */

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
