/*
 * proto.c - parsing the chat protocol's lines (proto.h).
 *
 * Lines arrive as bytes with a length, never as C strings: a client may
 * send a NUL, and a NUL must not end a line early. So everything here
 * takes (pointer, length) and nothing calls strlen on client data.
 *
 * Given code: it is the same in steps/ and in the solutions.
 */
#include "proto.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void proto_clean(char *line, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 32 && c != '\t') || c == 127)
            line[i] = '?';
    }
}

/* Whether line starts with the command word `word` (such as "/who"),
 * followed by the end of the line or a space. */
static bool is_command(const char *line, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && memcmp(line, word, n) == 0 &&
           (len == n || line[n] == ' ');
}

/* The argument after a command word of n bytes: spaces trimmed. */
static struct proto_command with_arg(enum proto_kind kind, const char *line,
                                      size_t len, size_t n)
{
    size_t start = n, end = len;
    while (start < end && line[start] == ' ')
        start++;
    while (end > start && line[end - 1] == ' ')
        end--;
    return (struct proto_command){kind, line + start, end - start};
}

/* book: parse */
struct proto_command proto_parse(const char *line, size_t len)
{
    if (len == 0)
        return (struct proto_command){PROTO_EMPTY, line, 0};
    if (line[0] != '/')
        return (struct proto_command){PROTO_SAY, line, len};
    if (len >= 2 && line[1] == '/') /* "//x": the message "/x" */
        return (struct proto_command){PROTO_SAY, line + 1, len - 1};
    if (is_command(line, len, "/nick"))
        return with_arg(PROTO_NICK, line, len, strlen("/nick"));
    if (is_command(line, len, "/who"))
        return (struct proto_command){PROTO_WHO, line, 0};
    if (is_command(line, len, "/quit"))
        return (struct proto_command){PROTO_QUIT, line, 0};
    size_t word = 0;
    while (word < len && line[word] != ' ')
        word++;
    return (struct proto_command){PROTO_UNKNOWN, line, word};
}
/* book: end */

size_t proto_unknown(char *buf, struct proto_command c)
{
    int n = snprintf(buf, PROTO_REPLY_MAX, "error: unknown command %.*s\n",
                     (int)c.len, c.arg);
    return (size_t)n;
}

bool proto_nick_ok(const char *name, size_t len)
{
    if (len == 0 || len > CHAT_NICK_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

bool proto_nick_same(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

const char *proto_farewell(bool mid_line, size_t *len)
{
    static const char text[] = "\nerror: output queue full, disconnecting\n";
    const char *start = mid_line ? text : text + 1;
    *len = strlen(start);
    return start;
}
