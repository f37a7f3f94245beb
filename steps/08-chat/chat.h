/*
 * chat.h - a chat server with a line protocol, written twice: in blocking
 * style, one tasklet per connection on the sockets of step 06
 * (chat_tasklets.c), and in callback style on the reactor of step 05
 * (chat_reactor.c). Both speak this protocol with the same answers; the
 * tests run every scenario against each.
 *
 * ---- The protocol ----
 *
 * Lines, both ways. A line ends in LF; the server also accepts CR LF from
 * clients (the CR is dropped) and always sends LF alone. A client's line
 * holds at most CHAT_LINE_MAX bytes before its end.
 *
 * On connecting, the client is greeted and asked for a nick:
 *
 *     * welcome; choose a nick (1-16 letters, digits, _ or -)
 *
 * Its next line is the nick it wants ("/nick NAME" works too). A nick is
 * 1 to CHAT_NICK_MAX letters, digits, '_' or '-', and nicks compare
 * without regard to case ("Bob" is taken when "bob" is). The answers:
 *
 *     * you are NAME                  to the client: it is in the room
 *     * NAME joined                   to everyone else in the room
 *     error: bad nick (1-16 letters, digits, _ or -)
 *     error: nick taken
 *     error: choose a nick first      /who before choosing a nick
 *
 * In the room, a line is a command if it starts with '/', else a message:
 *
 *     text          everyone else gets "<NAME> text"; an empty line does
 *                   nothing. "//text" sends "/text".
 *     /nick NEW     "* you are NEW" to the client, "* NAME is now NEW" to
 *                   everyone else; or one of the nick errors above
 *     /who          "* online (N): NAME1 NAME2 ..." in the order they
 *                   joined; past CHAT_WHO_MAX names the line ends " ..."
 *     /quit         "* bye" to the client; the server sends what is
 *                   still queued for it, then closes the connection
 *     /other        "error: unknown command /other"
 *
 * Anyone who leaves, by /quit, by closing or by a reset, is announced to
 * everyone else as "* NAME left". A partial line (no LF before the end
 * of the connection) is discarded. /quit, and the end of the connection,
 * work before a nick is chosen too (then nobody is told).
 *
 * Limits, each with a clear message and none fatal to the server:
 *   - A line longer than CHAT_LINE_MAX bytes is answered, as soon as the
 *     limit is passed, with "error: line too long (max 512 bytes)"; the
 *     rest of that line, up to its LF, is discarded. The connection goes
 *     on with the next line.
 *   - Control bytes (0 to 31 except tab, and 127), NUL included, become
 *     '?' in whatever the server does with a line: what one client sends
 *     can never move another's cursor or ring its bell. Other bytes pass
 *     unchanged, so UTF-8 text works.
 *
 * The slow reader. Every client has a bounded output queue: what the
 * server has for it and has not yet handed to the kernel, at most
 * cfg->queue_max bytes (CHAT_QUEUE_MAX unless configured). A message for
 * a client whose queue cannot take it is never waited for, and never
 * silently lost: the server drops that client. It discards its queue,
 * tries once, without waiting, to send it
 *
 *     error: output queue full, disconnecting
 *
 * (after an LF, if the bytes already sent stop in the middle of a line;
 * it arrives only if the socket has room for it then, which for a client
 * that stopped reading it rarely has), and closes the connection. Everyone
 * else gets "* NAME dropped (output queue full)". Why this policy, and not
 * waiting or skipping messages: see chapters/08-chat.md, "The slow-reader
 * problem and the bounded queue policy". IRC servers do the same ("SendQ
 * exceeded"), and the MUD of step 09 will too.
 *
 * Errors: functions return -1 (or NULL) and set errno.
 */
#ifndef CHAT_H
#define CHAT_H

#include <stddef.h>

#include "reactor.h"

#define CHAT_LINE_MAX 512           /* bytes in a client's line, before LF */
#define CHAT_NICK_MAX 16            /* bytes in a nick */
#define CHAT_WHO_MAX 100            /* names one /who line lists */
#define CHAT_QUEUE_MAX (16 * 1024)  /* an output queue's bound, by default */
#define CHAT_QUEUE_MIN 2048         /* the least bound: a /who line fits */

struct chat_config {
    size_t queue_max; /* bytes an output queue may hold; 0: CHAT_QUEUE_MAX.
                         Less than CHAT_QUEUE_MIN is EINVAL. */
};

/* ---- the blocking server (chat_tasklets.c) ---- */

/* Serves listen_fd, a listening socket, from the calling tasklet: accepts
 * connections and runs each in tasklets of its own, until the calling
 * tasklet is cancelled (tasklet_cancel). Then it closes every connection,
 * waits until their tasklets have ended, frees everything, and returns 0.
 * listen_fd stays open: the caller closes it (sock_close). cfg may be NULL
 * for the defaults. Returns -1 with errno for a bad cfg (EINVAL), no
 * memory (ENOMEM), or an accept that failed for good. */
int chat_tasklets_serve(int listen_fd, const struct chat_config *cfg);

/* ---- the callback server (chat_reactor.c) ---- */

typedef struct chat_reactor chat_reactor;

/* Starts serving listen_fd on r and returns at once: the work happens in
 * r's handlers, while the caller runs r's loop (reactor_loop). Returns
 * NULL with errno EINVAL (bad cfg), ENOMEM, or what reactor_add set. */
chat_reactor *chat_reactor_start(reactor *r, int listen_fd,
                                 const struct chat_config *cfg);

/* Closes every connection, stops watching listen_fd (which stays open:
 * the caller closes it) and frees the server. Safe from inside one of r's
 * handlers, as long as it is not one of the server's own. */
void chat_reactor_stop(chat_reactor *s);

#endif
