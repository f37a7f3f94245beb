/*
 * room.h - the people in the chat: a table of nicks, and the broadcast
 * that puts one line into many output queues.
 *
 * A member is a struct the server embeds in its own per-connection state,
 * as a dispatcher is (reactor.h): a nick, a bounded output queue (outq.h)
 * and the links of the room's list. The room never allocates, reads or
 * writes a socket, and never waits. It puts lines into queues; the server
 * gets them out to the sockets, its own way:
 *
 *   queued(m)   called after a line was put into m's queue: the blocking
 *               server wakes m's writer tasklet here; the callback server
 *               needs nothing (its writable predicate sees the queue).
 *   drop(m)     called, once, when a line does not fit into m's queue
 *               (the policy of chat.h: the client is dropped). m->dropped
 *               is already set, and nothing more is queued for m.
 *
 * Both are called in the middle of a broadcast, while the room walks its
 * list. So they must not block, must not switch to another tasklet, and
 * must not change the room (join, leave, free a member): they only
 * arrange for the server to act soon. The server then calls room_leave
 * for a dropped member (with dropped set, others are told why).
 *
 * Names and texts follow the protocol of chat.h; the fixed lines are in
 * proto.h.
 *
 * Errors: room_join and room_rename return -1 with errno EINVAL (not a
 * nick the protocol allows) or EEXIST (taken by someone else).
 */
#ifndef ROOM_H
#define ROOM_H

#include <stdbool.h>
#include <stddef.h>

#include "chat.h"
#include "outq.h"

struct room_member {
    char nick[CHAT_NICK_MAX + 1]; /* NUL-terminated; "" until joined */
    struct outq out;              /* what the client has yet to receive */
    bool joined;                  /* in the room's list */
    bool dropped;                 /* its queue overflowed: being dropped */
    struct room_member *prev, *next;
};

struct room {
    struct room_member *first, *last; /* in the order they joined */
    size_t count;
    void (*queued)(struct room_member *m); /* may be NULL */
    void (*drop)(struct room_member *m);
};

void room_init(struct room *r, void (*queued)(struct room_member *m),
               void (*drop)(struct room_member *m));

/* A member that is not in the room yet, whose queue holds at most
 * queue_max bytes. */
void room_member_init(struct room_member *m, size_t queue_max);
/* Frees what the member holds; it must have left the room. */
void room_member_free(struct room_member *m);

/* Puts text (n bytes, whole lines) into m's queue alone; m need not be in
 * the room. If it does not fit, m is dropped (drop is called). */
void room_tell(struct room *r, struct room_member *m, const char *text,
               size_t n);

/* Puts the line "<NICK> text" into every member's queue but from's. */
void room_say(struct room *r, struct room_member *from, const char *text,
              size_t n);

/* m joins under nick (n bytes): it is told "* you are NICK", everyone
 * else "* NICK joined". */
int room_join(struct room *r, struct room_member *m, const char *nick,
              size_t n);

/* m, in the room, changes its nick: "* you are NEW" to m, "* OLD is now
 * NEW" to everyone else. Its own nick in another case is not taken. */
int room_rename(struct room *r, struct room_member *m, const char *nick,
                size_t n);

/* Tells m who is in the room: "* online (N): NICK1 NICK2 ...". */
void room_who(struct room *r, struct room_member *m);

/* m leaves the room; everyone else is told "* NICK left", or, if m was
 * dropped, "* NICK dropped (output queue full)". Harmless for a member
 * that is not in the room. */
void room_leave(struct room *r, struct room_member *m);

/* Empties the room without telling anyone: for a server that stops and
 * is about to close every connection. The members stay valid. */
void room_close(struct room *r);

/* The member called nick (any case), or NULL. */
struct room_member *room_find(const struct room *r, const char *nick,
                              size_t n);

#endif
