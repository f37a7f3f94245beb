/*
 * proto.h - the words of the chat protocol (chat.h): what a client's line
 * means, and the fixed lines the server answers with.
 *
 * Nothing here reads, writes or remembers anything: a line goes in, a
 * command comes out. Both servers call it, so they cannot disagree about
 * the protocol, and the tests can check it without a socket.
 *
 * Given code: it is the same in steps/ and in the solutions.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "chat.h"

#define PROTO_STR_(x) #x
#define PROTO_STR(x) PROTO_STR_(x)

/* The server's fixed lines, each with its LF. */
#define PROTO_WELCOME \
    "* welcome; choose a nick (1-16 letters, digits, _ or -)\n"
#define PROTO_BAD_NICK "error: bad nick (1-16 letters, digits, _ or -)\n"
#define PROTO_NICK_TAKEN "error: nick taken\n"
#define PROTO_NICK_FIRST "error: choose a nick first\n"
#define PROTO_TOO_LONG \
    "error: line too long (max " PROTO_STR(CHAT_LINE_MAX) " bytes)\n"
#define PROTO_BYE "* bye\n"
#define PROTO_DROPPED "output queue full"

enum proto_kind {
    PROTO_EMPTY,   /* an empty line: nothing to do */
    PROTO_SAY,     /* a message: arg is its text */
    PROTO_NICK,    /* /nick: arg is the name asked for, spaces trimmed */
    PROTO_WHO,     /* /who */
    PROTO_QUIT,    /* /quit */
    PROTO_UNKNOWN, /* another /command: arg is the command, slash included */
};

struct proto_command {
    enum proto_kind kind;
    const char *arg; /* points into the line; not NUL-terminated */
    size_t len;
};

/* Replaces every control byte of line (0-31 except tab, and 127) with '?'.
 * Run it on each line before anything else looks at it. */
void proto_clean(char *line, size_t len);

/* What a (cleaned) line asks for. "//x" is PROTO_SAY with the text "/x";
 * arguments after /who and /quit are ignored. */
struct proto_command proto_parse(const char *line, size_t len);

/* The answer to an unknown command c ("error: unknown command /x\n") in
 * buf, which holds PROTO_REPLY_MAX bytes; returns its length. */
#define PROTO_REPLY_MAX (CHAT_LINE_MAX + 32)
size_t proto_unknown(char *buf, struct proto_command c);

/* Whether name is a nick the protocol allows: 1 to CHAT_NICK_MAX letters,
 * digits, '_' or '-'. */
bool proto_nick_ok(const char *name, size_t len);

/* Whether two nicks are the same nick: equal, ignoring ASCII case. */
bool proto_nick_same(const char *a, const char *b);

/* The last words to a dropped client, with its LF: *len bytes at the
 * result. It begins with an extra LF when the bytes sent so far end in
 * the middle of a line (mid_line), so that it arrives on a line of its
 * own. */
const char *proto_farewell(bool mid_line, size_t *len);

#endif
