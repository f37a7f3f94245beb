/*
 * chantest.h - what step 03's test files share (chantest.c).
 *
 *   struct ct_call      what a blocking call returned, recorded by the
 *                       tasklet that made it (ct_record)
 *   check_call          checks one against the return (an index or 0, or
 *                       -1 and errno) the chapter promises
 *   ct_err_name         an errno value by name
 *   ct_new_chan         chan_create, failing the test if it returns NULL
 *   ct_spawn            tasklet_spawn and a name, failing the test if it
 *                       returns NULL
 *   ct_run_all          tasklet_run, which must come back with 0
 */
#ifndef TESTS_03_CHANTEST_H
#define TESTS_03_CHANTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "chan.h"
#include "harness.h"
#include "tasklet.h"

#define S_DESTROY "Creating and destroying channels"

/* What a blocking call returned, recorded by the tasklet that made it. */
struct ct_call {
    bool done;
    int ret;
    int err;
};

/* ret, with errno if ret < 0. */
struct ct_call ct_record(int ret);

/* The name of errno value e; buf holds the text of values without one. */
const char *ct_err_name(int e, char *buf, size_t size);

/* What the chapter promises, and what a call returned, in words. */
const char *ct_describe_want(int ret, int err, char *buf, size_t size);
const char *ct_describe_got(struct ct_call c, char *buf, size_t size);

/* Checks a recorded call against the return (an index or 0, or -1 and
 * errno) the chapter promises. */
#define check_call(got, want_ret, want_err, section, what)                  \
    do {                                                                    \
        struct ct_call g_ = (got);                                          \
        int wr_ = (want_ret), we_ = (want_err);                             \
        check(g_.done && g_.ret == wr_ && (wr_ >= 0 || g_.err == we_),      \
              section, "%s: expected %s, got %s", what,                     \
              ct_describe_want(wr_, we_, (char[96]){0}, 96),                \
              ct_describe_got(g_, (char[160]){0}, 160));                    \
    } while (0)

/* A new channel, or the test fails. */
chan *ct_new_chan(void);

/* The section a failed tasklet_spawn points to: each test file defines it. */
extern const char *const ct_spawn_section;

/* A new tasklet named name (unless NULL), or the test fails. */
tasklet *ct_spawn(void (*fn)(void *), void *arg, const char *name);

/* Runs every tasklet; tasklet_run must return 0, or the test fails with
 * section. */
void ct_run_all(const char *section);

#endif
