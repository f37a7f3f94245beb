/*
 * fuzz_telnet.c - libFuzzer target: the telnet decoder on any bytes, cut
 * into reads at the places the first byte picks. It must never read or
 * write out of bounds, always make progress, hand out lines of at most
 * line_max bytes without a NUL inside, and decode the same stream the
 * same way however it is cut.
 *
 * Built by `make fuzz-mud` (tests/mk/servers.mk) with clang's
 * -fsanitize=fuzzer,address,undefined; not part of the test programs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "telnet.h"

struct sink {
    unsigned char lines[1 << 16];
    size_t n;
    size_t replies;
};

static void out(void *ctx, const void *bytes, size_t n)
{
    struct sink *s = ctx;
    (void)bytes;
    s->replies += n;
}

static void decode(struct telnet *t, struct sink *s, const uint8_t *p,
                   size_t n, size_t step)
{
    while (n > 0) {
        size_t take = step && step < n ? step : n;
        const uint8_t *q = p;
        size_t left = take;
        while (left > 0) {
            size_t used = 0;
            enum telnet_event ev = telnet_decode(t, q, left, &used);
            if (used > left || (used == 0 && ev == TELNET_MORE))
                abort(); /* no progress, or past the end */
            if (ev == TELNET_LINE) {
                size_t len;
                const char *line = telnet_line(t, &len);
                if (len > t->line_max || line[len] != '\0' ||
                    memchr(line, '\0', len))
                    abort();
                if (s->n + len + 1 <= sizeof s->lines) {
                    memcpy(s->lines + s->n, line, len);
                    s->n += len;
                    s->lines[s->n++] = '\n';
                }
            } else if (ev == TELNET_TOO_LONG && s->n < sizeof s->lines) {
                s->lines[s->n++] = '!';
            }
            q += used;
            left -= used;
        }
        p += take;
        n -= take;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t line_max = 1 + data[0] % 64;
    size_t step = 1 + data[1] % 16;
    data += 2;
    size -= 2;
    static struct telnet a, b;
    static struct sink sa, sb;
    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    telnet_init(&a, line_max, out, &sa);
    telnet_init(&b, line_max, out, &sb);
    decode(&a, &sa, data, size, 0);    /* whole */
    decode(&b, &sb, data, size, step); /* cut every `step` bytes */
    if (sa.n != sb.n || memcmp(sa.lines, sb.lines, sa.n) != 0 ||
        sa.replies != sb.replies)
        abort(); /* the cut changed the meaning */
    telnet_send(&a, data, size);
    telnet_prompt(&a, "> ");
    return 0;
}
