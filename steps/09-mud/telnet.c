/*
 * telnet.c - the telnet decoder and encoder (telnet.h).
 *
 * The decoder is a state machine over single bytes: telnet_decode feeds
 * it one byte at a time, so a command split across two reads is simply a
 * state left over from the first. Data bytes go through a second, smaller
 * machine, the line assembler, whose only state is `cr` (a CR was the
 * last data byte) and `discarding` (inside a line too long).
 *
 * Invariants:
 *   - state is TELNET_S_OPT exactly while verb holds WILL, WONT, DO or
 *     DONT, waiting for its option byte.
 *   - len <= line_max, and line[len] is NUL whenever a line is handed out.
 *   - Per option of ours, owed counts the WILLs and WONTs we sent that
 *     the client has not answered yet. A DO or DONT that finds owed above
 *     zero is a reply, and is never answered; the last reply owed
 *     decides. An option is on when we want it and nothing is owed.
 *   - Nothing is ever sent except through out: the module never blocks.
 *
 * Your task (chapters/09-mud.md): every function marked TODO. The
 * initialisation, the sending of one command, and the small accessors
 * are written for you.
 */
#include "telnet.h"

#include <string.h>

void telnet_init(struct telnet *t, size_t line_max,
                 void (*out)(void *ctx, const void *bytes, size_t n),
                 void *ctx)
{
    memset(t, 0, sizeof *t);
    if (line_max < 1)
        line_max = 1;
    if (line_max > TELNET_LINE_MAX)
        line_max = TELNET_LINE_MAX;
    t->line_max = line_max;
    t->out = out;
    t->ctx = ctx;
}

/* Sends IAC verb opt. */
static void send_cmd(struct telnet *t, unsigned char verb, unsigned char opt)
{
    unsigned char b[3] = {TELNET_IAC, verb, opt};
    t->out(t->ctx, b, sizeof b);
}

void telnet_start(struct telnet *t)
{
    telnet_will(t, TELNET_OPT_EOR);
}

/* ---- options ---- */

void telnet_will(struct telnet *t, unsigned char opt)
{
    /* TODO(step 09, "Options: refusing, and never answering a reply"):
     * if we want opt on already (ours[opt]), do nothing. Otherwise want
     * it, count one more reply owed (owed[opt], never past 255), and
     * send IAC WILL opt. */
    (void)t, (void)opt, (void)send_cmd;
}

void telnet_wont(struct telnet *t, unsigned char opt)
{
    /* TODO(step 09, "Options: refusing, and never answering a reply"):
     * the mirror image: if we do not want opt, do nothing; otherwise stop
     * wanting it, count one more reply owed, send IAC WONT opt. */
    (void)t, (void)opt;
}

bool telnet_enabled(const struct telnet *t, unsigned char opt)
{
    return t->ours[opt] && t->owed[opt] == 0;
}

/* The options of ours a client may ask for. */
static bool supported(unsigned char opt)
{
    return opt == TELNET_OPT_EOR;
}

/* The client sent IAC verb opt. */
static void negotiate(struct telnet *t, unsigned char verb, unsigned char opt)
{
    /* TODO(step 09, "Options: refusing, and never answering a reply"):
     *   DO or DONT while owed[opt] > 0: a reply. Never answer it. Count it
     *     (owed[opt]--); if it was the last one owed and it is a DONT,
     *     the option is off (ours[opt] = false).
     *   DO of an option we do not want: a request. If supported(opt),
     *     want it and answer WILL; otherwise answer WONT (refused).
     *   DONT of an option we want: stop wanting it, answer WONT.
     *   DO of an option we want, DONT of one we do not: nothing.
     *   WILL: answer DONT (we want none of the client's options).
     *   WONT: nothing. */
    (void)t, (void)verb, (void)opt, (void)supported;
}

/* ---- the line assembler ---- */

/* One data byte. Returns the event it makes, or TELNET_MORE. */
static enum telnet_event data_byte(struct telnet *t, unsigned char c)
{
    /* TODO(step 09, "Lines, line ends and the byte 255"):
     *   - A LF or NUL right after a CR (t->cr) is the rest of that line
     *     end: skip it. Clear t->cr on every byte; set it on a CR.
     *   - CR or LF ends the line: if discarding, stop discarding and
     *     empty the line (TELNET_MORE); else NUL-terminate line, set
     *     line_ready, and return TELNET_LINE.
     *   - While discarding, every other byte is dropped.
     *   - BS (8) and DEL (127) erase the last byte; TAB becomes a space;
     *     other bytes below 32 are dropped.
     *   - A byte that would make len pass line_max: start discarding,
     *     empty the line, return TELNET_TOO_LONG.
     *   - Otherwise append it. */
    (void)t, (void)c;
    return TELNET_MORE;
}

/* ---- the decoder ---- */

enum telnet_event telnet_decode(struct telnet *t, const void *in, size_t n,
                                size_t *used)
{
    /* TODO(step 09, "Telnet, and its IAC state machine"): if line_ready,
     * the last line was handed out: clear it (line_ready false, len 0).
     * Then, for each byte, by t->state:
     *   DATA    IAC -> IAC state; anything else is data_byte's
     *   IAC     back to DATA, then: IAC is a data byte 255; WILL, WONT,
     *           DO, DONT -> remember the verb, OPT state; SB -> SB state;
     *           EC erases the last byte, EL the whole line (unless
     *           discarding); anything else is ignored
     *   OPT     back to DATA; negotiate(verb, byte)
     *   SB      IAC -> SB_IAC; anything else is skipped
     *   SB_IAC  SE -> DATA; anything else -> SB
     * Stop at the first event that is not TELNET_MORE, with *used the
     * bytes taken including this one; at the end, *used = n. */
    (void)t, (void)in, (void)data_byte, (void)negotiate;
    *used = n; /* the starter throws everything away */
    return TELNET_MORE;
}

const char *telnet_line(const struct telnet *t, size_t *len)
{
    *len = t->len;
    return t->line;
}

/* ---- the encoder ---- */

void telnet_send(struct telnet *t, const void *text, size_t n)
{
    /* TODO(step 09, "Lines, line ends and the byte 255"): send the text
     * through t->out with every LF as CR LF and every byte 255 as 255
     * 255. Encode into a buffer on the stack (512 bytes, say) and send
     * it each time it is nearly full, so text of any length goes out. */
    (void)t, (void)text, (void)n;
}

void telnet_prompt(struct telnet *t, const char *text)
{
    /* TODO(step 09, "Prompts: GA and EOR"): send the text (telnet_send),
     * then IAC EOR if telnet_enabled(t, TELNET_OPT_EOR), else IAC GA. */
    (void)t, (void)text;
}
