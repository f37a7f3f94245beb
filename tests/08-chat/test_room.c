/*
 * test_room.c - step 08: the room (room.h) and the protocol's words
 * (proto.h), without sockets.
 *
 * Members are structs of the test; what the room puts into their queues is
 * read straight out of the queues. The callbacks record what they were
 * asked: queued after each line put into a queue, drop once for a member
 * whose queue overflowed, and neither may find the room changed under it.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "room.h"

#define S_PROTOCOL "The protocol"
#define S_SLOW "The slow-reader problem and the bounded queue policy"
#define S_BROADCAST "Why broadcast must never block"

enum { N = 8 };

static struct room room;
static struct room_member members[N];
static int queued_calls[N], drop_calls[N];
static size_t count_at_drop;

static int index_of(struct room_member *m)
{
    int i = (int)(m - members);
    check(i >= 0 && i < N, S_BROADCAST,
          "a callback got a member that is not one of the room's");
    return i;
}

static void on_queued(struct room_member *m)
{
    queued_calls[index_of(m)]++;
}

static void on_drop(struct room_member *m)
{
    int i = index_of(m);
    drop_calls[i]++;
    check(m->dropped, S_SLOW,
          "drop(m) is called with m->dropped already set (member %d)", i);
    count_at_drop = room.count;
}

static void setup(size_t queue_max)
{
    room_init(&room, on_queued, on_drop);
    for (int i = 0; i < N; i++) {
        room_member_init(&members[i], queue_max);
        queued_calls[i] = drop_calls[i] = 0;
    }
}

static void teardown(void)
{
    for (int i = 0; i < N; i++) {
        room_leave(&room, &members[i]);
        room_member_free(&members[i]);
    }
}

/* Everything queued for member i, as a string; the queue is emptied. */
static const char *got(int i)
{
    static char bufs[2][8192];
    static int next;
    char *b = bufs[next++ % 2];
    size_t n = 0, k;
    const char *p;
    while ((p = outq_peek(&members[i].out, &k)) != NULL && k > 0 &&
           n + k < sizeof bufs[0]) {
        memcpy(b + n, p, k);
        outq_consume(&members[i].out, k);
        n += k;
    }
    b[n] = '\0';
    return b;
}

static void expect(int i, const char *want, const char *what)
{
    const char *g = got(i);
    check(strcmp(g, want) == 0, S_PROTOCOL,
          "%s: member %d should have received \"%s\", got \"%s\"", what, i,
          want, g);
}

static void join(int i, const char *nick)
{
    errno = 0;
    int rc = room_join(&room, &members[i], nick, strlen(nick));
    check(rc == 0, S_PROTOCOL,
          "room_join as \"%s\": expected 0, got %d with errno %d%s", nick, rc,
          errno, errno == ENOSYS ? " (ENOSYS: still the starter's TODO?)"
                                 : "");
}

static void test_room_join_and_nick_rules(void **state)
{
    (void)state;
    setup(CHAT_QUEUE_MAX);
    join(0, "alice");
    expect(0, "* you are alice\n", "alice joining");
    join(1, "bob");
    expect(1, "* you are bob\n", "bob joining");
    expect(0, "* bob joined\n", "bob joining");
    static const struct {
        const char *nick;
        int err;
    } refused[] = {
        {"alice", EEXIST}, {"ALICE", EEXIST}, {"Bob", EEXIST},
        {"", EINVAL}, {"a b", EINVAL}, {"12345678901234567", EINVAL},
        {"x/y", EINVAL}, {"caf\xc3\xa9", EINVAL},
    };
    for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++) {
        errno = 0;
        int rc = room_join(&room, &members[2], refused[k].nick,
                           strlen(refused[k].nick));
        check(rc == -1 && errno == refused[k].err, S_PROTOCOL,
              "room_join as \"%s\" with alice and bob in: expected -1 with "
              "errno %d (%s), got %d with errno %d",
              refused[k].nick, refused[k].err,
              refused[k].err == EEXIST ? "EEXIST" : "EINVAL", rc, errno);
    }
    check(room.count == 2 && !members[2].joined, S_PROTOCOL,
          "after refused joins, 2 members and member 2 not joined (count "
          "%zu)",
          room.count);
    expect(0, "", "refused joins tell nobody");
    join(2, "A-b_9");
    expect(2, "* you are A-b_9\n", "a nick with - and _");
    check(room_find(&room, "a-B_9", 5) == &members[2] &&
              room_find(&room, "nobody", 6) == NULL,
          S_PROTOCOL, "room_find ignores case, and finds only members");
    teardown();
}

static void test_room_say_goes_to_everyone_else(void **state)
{
    (void)state;
    setup(CHAT_QUEUE_MAX);
    join(0, "a");
    join(1, "b");
    join(2, "c");
    for (int i = 0; i < 3; i++)
        got(i);
    int before[N];
    memcpy(before, queued_calls, sizeof before);
    room_say(&room, &members[1], "hello there", 11);
    expect(0, "<b> hello there\n", "b says hello");
    expect(2, "<b> hello there\n", "b says hello");
    expect(1, "", "the sender hears nothing of its own message");
    check(queued_calls[0] == before[0] + 1 &&
              queued_calls[2] == before[2] + 1 && queued_calls[1] == before[1],
          S_BROADCAST,
          "queued(m) once for each member a line was put into: a %d, b %d, "
          "c %d more calls",
          queued_calls[0] - before[0], queued_calls[1] - before[1],
          queued_calls[2] - before[2]);
    /* Not a member yet: hears nothing. */
    room_say(&room, &members[0], "x", 1);
    expect(3, "", "someone who has not joined");
    teardown();
}

static void test_room_rename(void **state)
{
    (void)state;
    setup(CHAT_QUEUE_MAX);
    join(0, "alice");
    join(1, "bob");
    got(0);
    got(1);
    errno = 0;
    int rc = room_rename(&room, &members[1], "Alice", 5);
    check(rc == -1 && errno == EEXIST, S_PROTOCOL,
          "renaming bob to Alice: expected -1 with EEXIST, got %d, errno %d",
          rc, errno);
    check(room_rename(&room, &members[1], "BOB", 3) == 0, S_PROTOCOL,
          "renaming bob to BOB (his own nick, another case) must work");
    expect(1, "* you are BOB\n", "bob renames himself BOB");
    expect(0, "* bob is now BOB\n", "bob renames himself BOB");
    check(room_rename(&room, &members[1], "carol", 5) == 0 &&
              strcmp(members[1].nick, "carol") == 0,
          S_PROTOCOL, "renaming BOB to carol");
    expect(0, "* BOB is now carol\n", "BOB renames himself carol");
    join(2, "bob");
    expect(2, "* you are bob\n", "bob is free again");
    teardown();
}

static void test_room_who_lists_in_join_order(void **state)
{
    (void)state;
    setup(CHAT_QUEUE_MAX);
    join(3, "dee");
    join(0, "ann");
    join(5, "cy");
    got(3);
    got(0);
    room_who(&room, &members[5]);
    expect(5, "* you are cy\n* online (3): dee ann cy\n", "cy asks /who");
    room_leave(&room, &members[0]);
    room_who(&room, &members[3]);
    expect(3, "* ann left\n* online (2): dee cy\n", "after ann left");
    teardown();

    /* More than CHAT_WHO_MAX: the line is cut, and still fits the
     * smallest queue. */
    enum { MANY = CHAT_WHO_MAX + 5 };
    static struct room_member crowd[MANY];
    struct room big;
    room_init(&big, NULL, on_drop);
    char nick[CHAT_NICK_MAX + 1];
    for (int i = 0; i < MANY; i++) {
        room_member_init(&crowd[i], CHAT_QUEUE_MAX);
        snprintf(nick, sizeof nick, "n%015d", i);
        check(room_join(&big, &crowd[i], nick, strlen(nick)) == 0,
              S_PROTOCOL, "joining %s", nick);
    }
    struct room_member asker;
    room_member_init(&asker, CHAT_QUEUE_MIN);
    room_who(&big, &asker);
    char want[CHAT_QUEUE_MIN];
    size_t k = (size_t)snprintf(want, sizeof want, "* online (%d):", MANY);
    for (int i = 0; i < CHAT_WHO_MAX; i++)
        k += (size_t)snprintf(want + k, sizeof want - k, " n%015d", i);
    snprintf(want + k, sizeof want - k, " ...\n");
    size_t n = 0;
    const char *p = outq_peek(&asker.out, &n);
    check(!asker.dropped && n == strlen(want) && memcmp(p, want, n) == 0,
          S_PROTOCOL,
          "/who with %d members: expected the first %d names and \" ...\" "
          "(%zu bytes), got %zu bytes%s",
          MANY, CHAT_WHO_MAX, strlen(want), n,
          asker.dropped ? " (the asker was dropped)" : "");
    room_member_free(&asker);
    room_close(&big);
    check(big.count == 0 && big.first == NULL && !crowd[0].joined,
          S_PROTOCOL, "room_close empties the room");
    for (int i = 0; i < MANY; i++)
        room_member_free(&crowd[i]);
}

static void test_room_leave_is_announced(void **state)
{
    (void)state;
    setup(CHAT_QUEUE_MAX);
    join(0, "a");
    join(1, "b");
    join(2, "c");
    for (int i = 0; i < 3; i++)
        got(i);
    room_leave(&room, &members[1]);
    expect(0, "* b left\n", "b leaves");
    expect(2, "* b left\n", "b leaves");
    expect(1, "", "b, who left, hears nothing of it");
    check(room.count == 2 && !members[1].joined &&
              room.first == &members[0] && room.last == &members[2] &&
              members[0].next == &members[2] &&
              members[2].prev == &members[0],
          S_PROTOCOL, "after the middle member leaves, the list is a <-> c");
    room_leave(&room, &members[1]); /* harmless */
    room_leave(&room, &members[0]);
    room_leave(&room, &members[2]);
    check(room.count == 0 && room.first == NULL && room.last == NULL,
          S_PROTOCOL, "everyone left: the room is empty");
    teardown();
}

static void test_room_overflow_drops_the_member(void **state)
{
    (void)state;
    setup(CHAT_QUEUE_MIN);
    join(0, "talker");
    join(1, "reader");
    join(2, "sleeper");
    got(0);
    got(1);
    /* sleeper never reads; reader reads after every line. */
    char text[100];
    memset(text, 'z', sizeof text);
    int said = 0;
    while (!members[2].dropped && said < 1000) {
        room_say(&room, &members[0], text, sizeof text);
        said++;
        const char *g = got(1);
        check(strncmp(g, "<talker> zzz", 12) == 0, S_BROADCAST,
              "reader should get every message while sleeper's queue "
              "fills; message %d was \"%.40s\"",
              said, g);
    }
    check(members[2].dropped, S_SLOW,
          "%d messages of 110 bytes went to a member that never reads, with "
          "a bound of %d bytes, and it was not dropped",
          said, CHAT_QUEUE_MIN);
    check(drop_calls[2] == 1 && outq_len(&members[2].out) <= CHAT_QUEUE_MIN,
          S_SLOW,
          "drop should be called once, with the queue within its bound "
          "(drop called %d times, %zu bytes queued)",
          drop_calls[2], outq_len(&members[2].out));
    check(count_at_drop == 3 && members[2].joined, S_BROADCAST,
          "the room must not change during the broadcast: drop saw %zu "
          "members (expected 3), and the dropped member is still joined "
          "until the server makes it leave",
          count_at_drop);
    size_t held = outq_len(&members[2].out);
    room_say(&room, &members[0], text, 10);
    check(drop_calls[2] == 1 && outq_len(&members[2].out) == held, S_SLOW,
          "a dropped member gets nothing more, and drop is not called again "
          "(drop called %d times, queue %zu bytes, was %zu)",
          drop_calls[2], outq_len(&members[2].out), held);
    got(1);
    room_leave(&room, &members[2]);
    expect(0, "* sleeper dropped (output queue full)\n",
           "the dropped member leaves");
    expect(1, "* sleeper dropped (output queue full)\n",
           "the dropped member leaves");
    /* A reply that does not fit drops the one it was for, too. */
    for (int i = 0; i < 100 && !members[1].dropped; i++)
        room_tell(&room, &members[1], text, sizeof text);
    check(members[1].dropped && drop_calls[1] == 1, S_SLOW,
          "room_tell into a full queue drops the member (dropped %d, drop "
          "called %d times)",
          members[1].dropped, drop_calls[1]);
    teardown();
}

static void test_proto_parse_and_clean(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        enum proto_kind kind;
        const char *arg;
    } cases[] = {
        {"", PROTO_EMPTY, ""},
        {"hello", PROTO_SAY, "hello"},
        {" /who", PROTO_SAY, " /who"},
        {"//who", PROTO_SAY, "/who"},
        {"/nick bob", PROTO_NICK, "bob"},
        {"/nick   bob  ", PROTO_NICK, "bob"},
        {"/nick", PROTO_NICK, ""},
        {"/nickname", PROTO_UNKNOWN, "/nickname"},
        {"/who", PROTO_WHO, ""},
        {"/who is there", PROTO_WHO, ""},
        {"/quit", PROTO_QUIT, ""},
        {"/quit now", PROTO_QUIT, ""},
        {"/shout hey", PROTO_UNKNOWN, "/shout"},
        {"/", PROTO_UNKNOWN, "/"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct proto_command c =
            proto_parse(cases[i].line, strlen(cases[i].line));
        check(c.kind == cases[i].kind && c.len == strlen(cases[i].arg) &&
                  memcmp(c.arg, cases[i].arg, c.len) == 0,
              S_PROTOCOL,
              "proto_parse(\"%s\"): expected kind %d with \"%s\", got kind "
              "%d with \"%.*s\"",
              cases[i].line, (int)cases[i].kind, cases[i].arg, (int)c.kind,
              (int)c.len, c.arg);
    }
    char dirty[] = "a\0b\x1b[1m\tc\x7f\r\xc3\xa9";
    proto_clean(dirty, sizeof dirty - 1);
    check(memcmp(dirty, "a?b?[1m\tc??\xc3\xa9", sizeof dirty - 1) == 0,
          S_PROTOCOL,
          "proto_clean: control bytes but tab become '?', UTF-8 stays");
    size_t n;
    const char *f = proto_farewell(false, &n);
    check(n == strlen(f) && strcmp(f, "error: output queue full, "
                                      "disconnecting\n") == 0,
          S_SLOW, "proto_farewell(false)");
    f = proto_farewell(true, &n);
    check(f[0] == '\n' && n == strlen(f), S_SLOW,
          "proto_farewell(true) starts a line of its own");
}

HARNESS_TESTS("chapters/08-chat.md",
              cmocka_unit_test(test_room_join_and_nick_rules),
              cmocka_unit_test(test_room_say_goes_to_everyone_else),
              cmocka_unit_test(test_room_rename),
              cmocka_unit_test(test_room_who_lists_in_join_order),
              cmocka_unit_test(test_room_leave_is_announced),
              cmocka_unit_test(test_room_overflow_drops_the_member),
              cmocka_unit_test(test_proto_parse_and_clean))
