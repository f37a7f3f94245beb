/*
 * telnet.h - the telnet protocol, as much of it as a MUD needs: a decoder
 * that turns the bytes a client sends into lines, and an encoder for what
 * the server sends back.
 *
 * The module is pure: it never reads or writes a socket. Bytes go in
 * through telnet_decode, in whatever pieces the network delivered them;
 * everything the module has to send (answers to the client's option
 * requests, encoded text, prompts) goes out through the `out` function
 * given to telnet_init. So the tests drive it byte by byte, with no
 * server at all.
 *
 * ---- Input ----
 *
 * A byte 255 (IAC, "interpret as command") starts a command:
 *
 *   IAC IAC              a data byte 255
 *   IAC WILL|WONT|DO|DONT opt   option negotiation (below)
 *   IAC SB ... IAC SE    a subnegotiation: skipped whole
 *   IAC EC, IAC EL       erase the last byte, or the whole line so far
 *   IAC other            (NOP, GA, AYT, ...) ignored
 *
 * Any of these may be split across reads at any byte: the decoder's state
 * (struct telnet) remembers where it was.
 *
 * Data bytes make lines. CR LF, CR NUL and a bare LF each end a line; so
 * does a CR followed by anything else (which then starts the next line).
 * BS (8) and DEL (127) erase the last byte of the line; TAB becomes a
 * space; other control bytes and NUL are dropped. Every other byte, 255
 * (from IAC IAC) and UTF-8 included, is kept. A line holds at most
 * `line_max` bytes: past that, telnet_decode reports TELNET_TOO_LONG once
 * and discards the rest of the line through its end.
 *
 * ---- Options ----
 *
 * The server side of an option (ECHO: the server echoes; EOR: the server
 * marks prompts with IAC EOR) is "ours"; the client's side is "his".
 *
 *   - Requests the client makes are answered once: DO EOR is accepted
 *     (WILL EOR); DO of any other option is refused (WONT); WILL of any
 *     option is refused (DONT). The server wants nothing of the client.
 *   - A DO or DONT that answers what we asked (telnet_will, telnet_wont)
 *     is a reply, and a reply is never answered: that is what keeps two
 *     programs from answering each other forever (RFC 854, RFC 1143).
 *     The decoder counts the replies it is owed per option: asking WONT
 *     then WILL again before the first answer came owes two replies, and
 *     only the last one decides whether the option is on.
 *   - A request for the state an option is already in is not answered
 *     either; WONT and DONT of an option that is off need no answer.
 *
 * ---- Output ----
 *
 * telnet_send encodes text: LF becomes CR LF, a byte 255 becomes IAC IAC.
 * telnet_prompt sends a prompt, which has no line end, followed by IAC EOR
 * if the client agreed to EOR, else IAC GA, so a client knows the prompt
 * is complete.
 *
 * Errors: none. The functions cannot fail; what they send goes through
 * `out`, whose own failures are its caller's business.
 */
#ifndef TELNET_H
#define TELNET_H

#include <stdbool.h>
#include <stddef.h>

/* Commands (RFC 854, and EOR from RFC 885). */
#define TELNET_IAC 255
#define TELNET_DONT 254
#define TELNET_DO 253
#define TELNET_WONT 252
#define TELNET_WILL 251
#define TELNET_SB 250
#define TELNET_GA 249
#define TELNET_EL 248
#define TELNET_EC 247
#define TELNET_NOP 241
#define TELNET_SE 240
#define TELNET_EOR 239

/* Options. */
#define TELNET_OPT_ECHO 1
#define TELNET_OPT_SGA 3
#define TELNET_OPT_EOR 25

#define TELNET_LINE_MAX 1024 /* the most line_max may be */

/* What telnet_decode stopped for. */
enum telnet_event {
    TELNET_MORE,     /* every byte given was used: read more */
    TELNET_LINE,     /* a line ended: telnet_line has it */
    TELNET_TOO_LONG, /* a line passed line_max: it is being discarded */
};

/* The decoder's states: where inside a command the last byte left it. */
enum telnet_state {
    TELNET_S_DATA,   /* between commands */
    TELNET_S_IAC,    /* after IAC */
    TELNET_S_OPT,    /* after IAC WILL/WONT/DO/DONT: the option is next */
    TELNET_S_SB,     /* inside a subnegotiation */
    TELNET_S_SB_IAC, /* after IAC inside a subnegotiation */
};

struct telnet {
    enum telnet_state state;
    unsigned char verb;      /* WILL/WONT/DO/DONT, in TELNET_S_OPT */
    bool cr;                 /* the last data byte was a CR */
    bool discarding;         /* inside a line too long, until its end */
    bool line_ready;         /* the last call returned TELNET_LINE */
    size_t len;              /* bytes in line */
    size_t line_max;         /* 1 to TELNET_LINE_MAX */
    char line[TELNET_LINE_MAX + 1];
    bool ours[256];          /* per option of ours: we want it on */
    unsigned char owed[256]; /* replies owed for our WILLs and WONTs */
    void (*out)(void *ctx, const void *bytes, size_t n);
    void *ctx;
};

/* Starts a decoder for lines of at most line_max bytes (clamped to 1 ..
 * TELNET_LINE_MAX); out(ctx, ...) receives every byte to send. Sends
 * nothing. */
void telnet_init(struct telnet *t, size_t line_max,
                 void (*out)(void *ctx, const void *bytes, size_t n),
                 void *ctx);

/* What a server says first: IAC WILL EOR, the offer to mark prompts. */
void telnet_start(struct telnet *t);

/* Decodes bytes from in[0 .. n) until a line ends, a line is found too
 * long, or the bytes run out; *used says how many were taken. Call again
 * with the rest. Answers to option requests go out as they are decoded. */
enum telnet_event telnet_decode(struct telnet *t, const void *in, size_t n,
                                size_t *used);

/* The line of the last TELNET_LINE: NUL-terminated, *len bytes (it may
 * hold byte 255 but never a NUL). Valid until the next telnet_decode. */
const char *telnet_line(const struct telnet *t, size_t *len);

/* Sends n bytes of text: LF as CR LF, 255 as IAC IAC. */
void telnet_send(struct telnet *t, const void *text, size_t n);

/* Sends a prompt: its text, encoded, then IAC EOR or IAC GA. */
void telnet_prompt(struct telnet *t, const char *text);

/* Asks to turn one of our options on (IAC WILL opt) or off (IAC WONT
 * opt). Nothing is sent if we already asked for that state. */
void telnet_will(struct telnet *t, unsigned char opt);
void telnet_wont(struct telnet *t, unsigned char opt);

/* Whether our option is on: we want it, and the client agreed. */
bool telnet_enabled(const struct telnet *t, unsigned char opt);

#endif
