/*
 * sockets.h - what every test file of step 06 shares, in sockets.c.
 *
 *   net_err_name       an errno value by name, with a hint for the ones a
 *                      starter or a lost wake-up produces
 *   struct net_call    what a call returned, recorded by the tasklet that
 *                      made it (net_record), and said in words
 *                      (net_describe); check_fails checks for -1 and errno
 *   net_watch          the watchdog: a safety net that names the tasklets
 *                      still waiting when a test hangs, never a measurement
 *   go, net_run_all    spawns a test tasklet the watchdog knows of, and
 *                      runs them all to the end (go keeps its short name:
 *                      chapter 6 shows it in test_echo.c's echo-handler)
 *   net_listen         a listening socket on 127.0.0.1, port from the kernel
 *   net_pair           a connected pair, made by the main tasklet itself
 *
 * The chapter sections the helpers' own failures point to are defined
 * here too; each test file defines the rest of its sections.
 */
#ifndef TESTS_06_SOCKETS_H
#define TESTS_06_SOCKETS_H

#include <stdbool.h>
#include <netinet/in.h>

#include "harness.h"
#include "tasklet.h"

#define S_RETRY "Try, park, retry"
#define S_SOCK "One struct per socket"
#define S_CONNECT "Connecting"

/* The name of errno value e, with a hint for ENOSYS and EDEADLK; the text
 * stays valid for the next three calls. */
const char *net_err_name(int e);

/* What a call returned, recorded by the tasklet that made it. */
struct net_call {
    bool done;
    long ret;
    int err;
};

/* ret, with errno if ret < 0. */
struct net_call net_record(long ret);

/* The call in words; the text stays valid for the next three calls. */
const char *net_describe(struct net_call c);

/* The call returned -1 with errno want. */
#define check_fails(c, want, section, what)                                 \
    check((c).done && (c).ret == -1 && (c).err == (want), section,          \
          "%s: expected -1 with errno %s, got %s", what,                   \
          net_err_name(want), net_describe(c))

/* Sets the watchdog's alarm; section is what the test is about, and the
 * section every failure of net_run_all points to. */
void net_watch(const char *section);

/* Spawns a test tasklet; from the main tasklet or from another one. NULL
 * if it could not (net_run_all then fails the test). */
tasklet *go(void (*fn)(void *), void *arg, const char *name);

/* Runs every tasklet to the end. */
void net_run_all(void);

/* A listening socket on 127.0.0.1, on a port the kernel picks; addr gets
 * the address to connect to. */
int net_listen(struct sockaddr_in *addr, int backlog);

/* A connected pair, made by the main tasklet itself: *client connected
 * with sock_connect, *server from sock_accept. */
void net_pair(int *client, int *server);

#endif
