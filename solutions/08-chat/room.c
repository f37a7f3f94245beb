/*
 * room.c - the table of nicks and the broadcast (room.h).
 *
 * Invariants:
 *   - The list first..last holds exactly the members with joined set, in
 *     the order they joined; count is its length. No two of their nicks
 *     are the same nick (proto_nick_same).
 *   - Nothing here blocks, yields or frees a member. A broadcast walks the
 *     list from first to last and calls only put(), which calls only the
 *     server's queued/drop callbacks, which may not change the list
 *     either. So the walk never meets a member that left under it.
 *   - A member with dropped set gets nothing more: its queue overflowed
 *     once, and drop() has been called for it, exactly once.
 */
#include "room.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

void room_init(struct room *r, void (*queued)(struct room_member *m),
               void (*drop)(struct room_member *m))
{
    *r = (struct room){.queued = queued, .drop = drop};
}

void room_member_init(struct room_member *m, size_t queue_max)
{
    *m = (struct room_member){0};
    outq_init(&m->out, queue_max);
}

void room_member_free(struct room_member *m)
{
    outq_free(&m->out);
}

/* book: put */
/* Queues text for m, or applies the policy: a line that does not fit is
 * neither waited for nor skipped; the member is dropped. */
static void put(struct room *r, struct room_member *m, const char *text,
                size_t n)
{
    if (m->dropped)
        return;
    if (outq_push(&m->out, text, n) < 0) {
        m->dropped = true;
        r->drop(m);
        return;
    }
    if (r->queued)
        r->queued(m);
}
/* book: end */

/* book: broadcast */
static void broadcast(struct room *r, const struct room_member *except,
                      const char *text, size_t n)
{
    for (struct room_member *m = r->first; m != NULL; m = m->next)
        if (m != except)
            put(r, m, text, n);
}
/* book: end */

void room_tell(struct room *r, struct room_member *m, const char *text,
               size_t n)
{
    put(r, m, text, n);
}

void room_say(struct room *r, struct room_member *from, const char *text,
              size_t n)
{
    char line[CHAT_NICK_MAX + CHAT_LINE_MAX + 8];
    if (n > CHAT_LINE_MAX)
        n = CHAT_LINE_MAX; /* the servers never pass more */
    int k = snprintf(line, sizeof line, "<%s> %.*s\n", from->nick, (int)n,
                     text);
    broadcast(r, from, line, (size_t)k);
}

struct room_member *room_find(const struct room *r, const char *nick,
                              size_t n)
{
    char name[CHAT_NICK_MAX + 1];
    if (n > CHAT_NICK_MAX)
        return NULL;
    memcpy(name, nick, n);
    name[n] = '\0';
    for (struct room_member *m = r->first; m != NULL; m = m->next)
        if (proto_nick_same(m->nick, name))
            return m;
    return NULL;
}

/* 0 if m may take nick: a valid nick that nobody else has. */
static int nick_free(const struct room *r, const struct room_member *m,
                     const char *nick, size_t n)
{
    if (!proto_nick_ok(nick, n)) {
        errno = EINVAL;
        return -1;
    }
    const struct room_member *other = room_find(r, nick, n);
    if (other != NULL && other != m) {
        errno = EEXIST;
        return -1;
    }
    return 0;
}

int room_join(struct room *r, struct room_member *m, const char *nick,
              size_t n)
{
    if (m->joined) {
        errno = EINVAL;
        return -1;
    }
    if (nick_free(r, m, nick, n) < 0)
        return -1;
    memcpy(m->nick, nick, n);
    m->nick[n] = '\0';
    m->prev = r->last;
    m->next = NULL;
    if (r->last)
        r->last->next = m;
    else
        r->first = m;
    r->last = m;
    r->count++;
    m->joined = true;

    char line[CHAT_NICK_MAX + 32];
    int k = snprintf(line, sizeof line, "* you are %s\n", m->nick);
    put(r, m, line, (size_t)k);
    k = snprintf(line, sizeof line, "* %s joined\n", m->nick);
    broadcast(r, m, line, (size_t)k);
    return 0;
}

int room_rename(struct room *r, struct room_member *m, const char *nick,
                size_t n)
{
    if (!m->joined) {
        errno = EINVAL;
        return -1;
    }
    if (nick_free(r, m, nick, n) < 0)
        return -1;
    char old[CHAT_NICK_MAX + 1];
    memcpy(old, m->nick, sizeof old);
    memcpy(m->nick, nick, n);
    m->nick[n] = '\0';

    char line[2 * CHAT_NICK_MAX + 32];
    int k = snprintf(line, sizeof line, "* you are %s\n", m->nick);
    put(r, m, line, (size_t)k);
    k = snprintf(line, sizeof line, "* %s is now %s\n", old, m->nick);
    broadcast(r, m, line, (size_t)k);
    return 0;
}

void room_who(struct room *r, struct room_member *m)
{
    /* At most CHAT_WHO_MAX names of CHAT_NICK_MAX bytes and a space each:
     * the line fits in CHAT_QUEUE_MIN, so it fits in any queue that is
     * empty enough. */
    char line[CHAT_QUEUE_MIN];
    size_t k = (size_t)snprintf(line, sizeof line, "* online (%zu):",
                                r->count);
    size_t listed = 0;
    for (struct room_member *o = r->first; o != NULL; o = o->next) {
        if (listed == CHAT_WHO_MAX) {
            k += (size_t)snprintf(line + k, sizeof line - k, " ...");
            break;
        }
        k += (size_t)snprintf(line + k, sizeof line - k, " %s", o->nick);
        listed++;
    }
    k += (size_t)snprintf(line + k, sizeof line - k, "\n");
    put(r, m, line, k);
}

void room_leave(struct room *r, struct room_member *m)
{
    if (!m->joined)
        return;
    if (m->prev)
        m->prev->next = m->next;
    else
        r->first = m->next;
    if (m->next)
        m->next->prev = m->prev;
    else
        r->last = m->prev;
    m->prev = m->next = NULL;
    m->joined = false;
    r->count--;

    char line[CHAT_NICK_MAX + 64];
    int k = m->dropped
                ? snprintf(line, sizeof line, "* %s dropped (%s)\n", m->nick,
                           PROTO_DROPPED)
                : snprintf(line, sizeof line, "* %s left\n", m->nick);
    broadcast(r, NULL, line, (size_t)k);
}

void room_close(struct room *r)
{
    struct room_member *m = r->first;
    while (m != NULL) {
        struct room_member *next = m->next;
        m->prev = m->next = NULL;
        m->joined = false;
        m = next;
    }
    r->first = r->last = NULL;
    r->count = 0;
}
