/*
 * preload.c - what only the shared library has (libgreen.so, for
 * LD_PRELOAD): install() as the library loads, and POSIX threads as
 * tasklets.
 *
 * pthread_create spawns a tasklet that runs the start routine,
 * pthread_join parks the caller until that routine has returned, and the
 * program's main function is the main tasklet, as in every program of
 * the workbook. A program written as one thread per connection then runs
 * on one OS thread, and each blocking call parks only its own thread.
 *
 * A thread's pthread_t is its tasklet's id, a small number that no real
 * pthread_t (an address) can equal; live threads are found by id in a
 * small hash table. A handle the table does not know goes to the C
 * library, so real threads made before install() still work. The rest of
 * POSIX threads (mutexes, condition variables, thread-local storage) is
 * the C library's, on one OS thread: the chapter lists what that means.
 *
 * Invariants:
 *   - a struct thread is in the table from pthread_create until it is
 *     joined, or until it has ended if it is detached;
 *   - joiner is set only while that tasklet is parked in pthread_join.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "install.h"
#include "tasklet.h"

/* ---- the C library's thread functions ---- */

static void *next(void **cache, const char *name)
{
    if (*cache == NULL) {
        *cache = dlsym(RTLD_NEXT, name);
        if (*cache == NULL) {
            fprintf(stderr, "libgreen: the C library has no %s: %s\n", name,
                    dlerror());
            abort();
        }
    }
    return *cache;
}

#define REAL(name, type) ((type)next(&name##_fn, #name))

static void *pthread_create_fn, *pthread_join_fn, *pthread_detach_fn,
    *pthread_exit_fn, *pthread_self_fn;

/* ---- loading ---- */

/* book: constructor */
/* Runs when the dynamic linker loads the library, before main. */
__attribute__((constructor)) static void preload_start(void)
{
    if (install() < 0)
        fprintf(stderr, "libgreen: install() failed (%s); the program runs "
                        "on the C library's calls\n", strerror(errno));
}
/* book: end */

/* ---- the threads ---- */

/* book: thread */
struct thread {
    uint64_t id;             /* its tasklet's id, and its pthread_t */
    void *(*start)(void *);
    void *arg;
    void *result;            /* what start returned, once ended */
    bool ended;
    bool detached;
    tasklet *joiner;         /* parked in pthread_join, or NULL */
    struct thread *next;     /* in its bucket */
};

#define BUCKETS 256
static struct thread *table[BUCKETS];

static struct thread *find(uint64_t id)
{
    struct thread *th = table[id % BUCKETS];
    while (th && th->id != id)
        th = th->next;
    return th;
}

static void forget(struct thread *th)
{
    struct thread **p = &table[th->id % BUCKETS];
    while (*p != th)
        p = &(*p)->next;
    *p = th->next;
    free(th);
}

/* The thread the running tasklet is, or NULL (the main tasklet). */
static struct thread *self(void)
{
    return install_active() ? find(tasklet_id(tasklet_current())) : NULL;
}

/* The thread behind handle t, or NULL for a handle of the C library. */
static struct thread *thread_of(pthread_t t)
{
    return install_active() ? find((uint64_t)t) : NULL;
}
/* book: end */

/* book: create */
/* A thread has ended: its joiner, if any, takes the result and frees it;
 * a detached thread frees itself. */
static void end(struct thread *th, void *result)
{
    th->result = result;
    th->ended = true;
    if (th->joiner)
        tasklet_wake(th->joiner, 0);
    else if (th->detached)
        forget(th);
}

static void run(void *arg)
{
    struct thread *th = arg;
    end(th, th->start(th->arg));
}

int pthread_create(pthread_t *out, const pthread_attr_t *attr,
                   void *(*start)(void *), void *arg)
{
    if (!install_active())
        return REAL(pthread_create,
                    int (*)(pthread_t *, const pthread_attr_t *,
                            void *(*)(void *), void *))(out, attr, start, arg);
    int state = PTHREAD_CREATE_JOINABLE;
    if (attr && pthread_attr_getdetachstate(attr, &state) != 0)
        return EINVAL;
    struct thread *th = calloc(1, sizeof *th);
    if (th == NULL)
        return EAGAIN;
    th->start = start;
    th->arg = arg;
    th->detached = state == PTHREAD_CREATE_DETACHED;
    tasklet *t = tasklet_spawn(run, th);
    if (t == NULL) {
        free(th);
        return EAGAIN;
    }
    th->id = tasklet_id(t);
    th->next = table[th->id % BUCKETS];
    table[th->id % BUCKETS] = th;
    *out = (pthread_t)th->id;
    return 0;
}
/* book: end */

/* book: join */
static void unjoin(tasklet *t, void *data)
{
    (void)t;
    ((struct thread *)data)->joiner = NULL;
}

int pthread_join(pthread_t t, void **result)
{
    struct thread *th = thread_of(t);
    if (th == NULL)
        return REAL(pthread_join, int (*)(pthread_t, void **))(t, result);
    if (th->detached || th->joiner)
        return EINVAL;
    if (th == self())
        return EDEADLK;
    if (!th->ended) {
        th->joiner = tasklet_current();
        int err = tasklet_park("pthread_join", unjoin, th);
        if (err)
            return err; /* EDEADLK; or the runtime's ECANCELED, ETIMEDOUT */
    }
    if (result)
        *result = th->result;
    forget(th);
    return 0;
}
/* book: end */

int pthread_detach(pthread_t t)
{
    struct thread *th = thread_of(t);
    if (th == NULL)
        return REAL(pthread_detach, int (*)(pthread_t))(t);
    if (th->detached || th->joiner)
        return EINVAL;
    if (th->ended)
        forget(th);
    else
        th->detached = true;
    return 0;
}

pthread_t pthread_self(void)
{
    struct thread *th = self();
    if (th)
        return (pthread_t)th->id;
    return REAL(pthread_self, pthread_t (*)(void))();
}

/* book: exit */
/* A thread that exits ends its tasklet. The main thread that exits lets
 * the others run to their end, then ends the process, as the C library
 * does when the last thread is gone. */
void pthread_exit(void *result)
{
    struct thread *th = self();
    if (th) {
        end(th, result);
        tasklet_exit();
    }
    if (install_active() && tasklet_id(tasklet_current()) == 0) {
        tasklet_run();
        exit(0);
    }
    REAL(pthread_exit, void (*)(void *))(result);
    abort(); /* the C library's pthread_exit does not return */
}
/* book: end */
