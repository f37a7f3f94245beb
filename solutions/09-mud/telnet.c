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

/* book: will */
/* We asked: one more reply owed (a client that never answers cannot
 * make the count wrap). */
static void ask(struct telnet *t, unsigned char verb, unsigned char opt)
{
    if (t->owed[opt] < 255)
        t->owed[opt]++;
    send_cmd(t, verb, opt);
}

void telnet_will(struct telnet *t, unsigned char opt)
{
    if (t->ours[opt])
        return; /* asked for already, or agreed */
    t->ours[opt] = true;
    ask(t, TELNET_WILL, opt);
}

void telnet_wont(struct telnet *t, unsigned char opt)
{
    if (!t->ours[opt])
        return;
    t->ours[opt] = false;
    ask(t, TELNET_WONT, opt);
}
/* book: end */

bool telnet_enabled(const struct telnet *t, unsigned char opt)
{
    return t->ours[opt] && t->owed[opt] == 0;
}

/* The options of ours a client may ask for. */
static bool supported(unsigned char opt)
{
    return opt == TELNET_OPT_EOR;
}

/* book: negotiate */
/* The client sent IAC verb opt. */
static void negotiate(struct telnet *t, unsigned char verb, unsigned char opt)
{
    bool agree = verb == TELNET_DO;
    switch (verb) {
    case TELNET_DO:
    case TELNET_DONT:
        if (t->owed[opt] > 0) {
            /* A reply: never answered. Only the last one owed counts: a
             * DONT then says the option is off (refused, or agreed off);
             * a DO leaves it as we last asked. */
            if (--t->owed[opt] == 0 && !agree)
                t->ours[opt] = false;
        } else if (agree && !t->ours[opt]) { /* a request to turn it on */
            if (supported(opt))
                t->ours[opt] = true;
            send_cmd(t, supported(opt) ? TELNET_WILL : TELNET_WONT, opt);
        } else if (!agree && t->ours[opt]) { /* a request to turn it off */
            t->ours[opt] = false;
            send_cmd(t, TELNET_WONT, opt);
        } /* else: it is in that state already, nothing to answer */
        break;
    case TELNET_WILL:
        send_cmd(t, TELNET_DONT, opt); /* we want nothing of the client */
        break;
    case TELNET_WONT:
        break; /* his options are all off: nothing to agree to */
    }
}
/* book: end */

/* ---- the line assembler ---- */

/* book: data */
/* One data byte. Returns the event it makes, or TELNET_MORE. */
static enum telnet_event data_byte(struct telnet *t, unsigned char c)
{
    bool after_cr = t->cr;
    t->cr = false;
    if (after_cr && (c == '\n' || c == '\0'))
        return TELNET_MORE; /* the rest of CR LF or CR NUL */
    if (c == '\r' || c == '\n') {
        t->cr = c == '\r';
        if (t->discarding) {
            t->discarding = false; /* the end of the line too long */
            t->len = 0;
            return TELNET_MORE;
        }
        t->line[t->len] = '\0';
        t->line_ready = true;
        return TELNET_LINE;
    }
    if (t->discarding)
        return TELNET_MORE;
    if (c == '\b' || c == 127) {
        if (t->len > 0)
            t->len--;
        return TELNET_MORE;
    }
    if (c == '\t')
        c = ' ';
    else if (c < 32)
        return TELNET_MORE; /* NUL and other control bytes */
    if (t->len == t->line_max) {
        t->discarding = true;
        t->len = 0;
        return TELNET_TOO_LONG;
    }
    t->line[t->len++] = (char)c;
    return TELNET_MORE;
}
/* book: end */

/* ---- the decoder ---- */

/* book: decode */
enum telnet_event telnet_decode(struct telnet *t, const void *in, size_t n,
                                size_t *used)
{
    const unsigned char *p = in;
    if (t->line_ready) { /* the line handed out last time is done with */
        t->line_ready = false;
        t->len = 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        enum telnet_event ev = TELNET_MORE;
        switch (t->state) {
        case TELNET_S_DATA:
            if (c == TELNET_IAC)
                t->state = TELNET_S_IAC;
            else
                ev = data_byte(t, c);
            break;
        case TELNET_S_IAC:
            t->state = TELNET_S_DATA;
            if (c == TELNET_IAC) {
                ev = data_byte(t, c); /* IAC IAC: a data byte 255 */
            } else if (c >= TELNET_WILL && c <= TELNET_DONT) {
                t->verb = c;
                t->state = TELNET_S_OPT;
            } else if (c == TELNET_SB) {
                t->state = TELNET_S_SB;
            } else if (c == TELNET_EC) {
                if (t->len > 0 && !t->discarding)
                    t->len--;
            } else if (c == TELNET_EL) {
                if (!t->discarding)
                    t->len = 0;
            } /* NOP, GA, AYT, a stray SE...: nothing to do */
            break;
        case TELNET_S_OPT:
            t->state = TELNET_S_DATA;
            negotiate(t, t->verb, c);
            break;
        case TELNET_S_SB:
            if (c == TELNET_IAC)
                t->state = TELNET_S_SB_IAC;
            break;
        case TELNET_S_SB_IAC:
            /* IAC SE ends it; IAC IAC is a 255 inside it; skip either. */
            t->state = c == TELNET_SE ? TELNET_S_DATA : TELNET_S_SB;
            break;
        }
        if (ev != TELNET_MORE) {
            *used = i + 1;
            return ev;
        }
    }
    *used = n;
    return TELNET_MORE;
}
/* book: end */

const char *telnet_line(const struct telnet *t, size_t *len)
{
    *len = t->len;
    return t->line;
}

/* ---- the encoder ---- */

/* book: send */
void telnet_send(struct telnet *t, const void *text, size_t n)
{
    const unsigned char *p = text;
    unsigned char buf[512];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > sizeof buf - 2) { /* room for two bytes, always */
            t->out(t->ctx, buf, k);
            k = 0;
        }
        if (p[i] == '\n') {
            buf[k++] = '\r';
            buf[k++] = '\n';
        } else if (p[i] == TELNET_IAC) {
            buf[k++] = TELNET_IAC;
            buf[k++] = TELNET_IAC;
        } else {
            buf[k++] = p[i];
        }
    }
    if (k > 0)
        t->out(t->ctx, buf, k);
}

void telnet_prompt(struct telnet *t, const char *text)
{
    telnet_send(t, text, strlen(text));
    unsigned char end[2] = {
        TELNET_IAC,
        telnet_enabled(t, TELNET_OPT_EOR) ? TELNET_EOR : TELNET_GA};
    t->out(t->ctx, end, sizeof end);
}
/* book: end */
