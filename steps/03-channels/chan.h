/*
 * chan.h - channels: unbuffered rendezvous points between tasklets, with
 * Stackless Python's semantics.
 *
 * A send blocks until a receiver takes the value; a receive blocks until a
 * sender brings one. The value is a pointer: whatever it points to passes
 * from sender to receiver with it.
 *
 * When a sender meets a blocked receiver (or the other way round), the
 * channel's preference decides who runs on:
 *   -1 (the default)  the receiver runs at once, the sender is queued
 *    1                the sender runs at once, the receiver is queued
 *    0                whoever arrived second runs on, the other is queued
 * "Queued" means appended to the end of the run queue.
 *
 * The handle is opaque: its wait queues must only change through these
 * functions.
 *
 * Errors: the blocking calls return 0, or -1 with errno set:
 *   EPIPE      the channel is closing (send) or closed (receive)
 *   ECANCELED  the tasklet was cancelled while it waited (tasklet_cancel)
 *   ETIMEDOUT  its deadline passed while it waited (step 04's deadlines)
 *   EDEADLK    nothing else could ever run (the main tasklet only)
 */
#ifndef CHAN_H
#define CHAN_H

#include <stdbool.h>

typedef struct chan chan;

/* Returns NULL with errno ENOMEM. */
chan *chan_create(void);

/* The channel must have no blocked tasklets; destroying one that has is an
 * error that ends the program with a message. */
void chan_destroy(chan *c);

int chan_send(chan *c, void *value);
int chan_receive(chan *c, void **value);

/* > 0: that many senders are blocked; < 0: minus that many receivers. */
int chan_balance(const chan *c);

/* -1, 0 or 1, as above; other values are clamped. */
void chan_set_preference(chan *c, int preference);
int chan_preference(const chan *c);

/* Closes the channel for new senders. Blocked receivers wake with EPIPE,
 * since no sender can come any more; blocked senders stay and can still
 * deliver. The channel is closed once it is closing and no sender waits. */
void chan_close(chan *c);
bool chan_closing(const chan *c);
bool chan_closed(const chan *c);

/* One way to finish a chan_select. */
enum chan_op { CHAN_SEND, CHAN_RECEIVE };
struct chan_case {
    chan *chan;
    enum chan_op op;
    void *value; /* CHAN_SEND: the value to send; CHAN_RECEIVE: the value
                    received, if this case was the one chosen */
};

/* Waits until one of the n cases can complete, completes it, and returns
 * its index. If several are ready at once, the first in the array wins.
 * Returns -1 with errno as above; EPIPE only if every case's channel is
 * closed for its operation. */
int chan_select(struct chan_case *cases, int n);

#endif
