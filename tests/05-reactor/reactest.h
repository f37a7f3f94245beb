/*
 * reactest.h - what step 05's test files share (reactest.c).
 *
 *   rt_err_name        an errno value by name
 *   backends, backend  the two backends every scenario runs on, and the
 *                      one it runs on now (failure messages name it)
 *   rt_make            reactor_create, failing the test if it returns NULL
 *   rt_add             reactor_add, failing the test (with section) if it
 *                      does not return 0
 *   rt_on_both_backends  a scenario once on each backend, on a fresh
 *                      reactor each time
 */
#ifndef TESTS_05_REACTEST_H
#define TESTS_05_REACTEST_H

#include "harness.h"
#include "reactor.h"

#define S_BACKEND "The backend interface"

/* The name of errno value e; the text of a value without one stays valid
 * until the next call. */
const char *rt_err_name(int e);

extern const char *const backends[2]; /* "epoll", "poll" */
extern const char *backend;           /* the one under test */

/* reactor_create(name), which must return a reactor. */
reactor *rt_make(const char *name);

/* reactor_add(r, d), which must return 0; section is what the test is
 * about. */
void rt_add(reactor *r, struct dispatcher *d, const char *section);

/* Runs scenario once on each backend, each time on a fresh reactor, with
 * backend naming it. */
void rt_on_both_backends(void (*scenario)(reactor *r));

#endif
