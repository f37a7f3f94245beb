/*
 * tasklet.c - the scheduler: a FIFO run queue of tasklets on one OS thread,
 * switching directly from one tasklet to the next.
 *
 * Invariants:
 *   - `current` is the one tasklet in state RUNNING.
 *   - A tasklet is in the run queue exactly when its state is RUNNABLE.
 *   - A PARKED tasklet is in no queue of ours; whoever parked it (a
 *     channel, a timer) holds it, and `unlink` lets us take it back.
 *   - The main tasklet runs on the thread's own stack and never exits;
 *     while it waits in tasklet_run it is PARKED with why == RUN_WHY.
 *   - A tasklet that exits cannot free the stack it is running on; the
 *     next tasklet to run frees it (reap).
 *
 * Your task (chapters/02-tasklets.md): every function marked TODO. The
 * reports and the sanitizer hooks are written for you.
 */
#define _GNU_SOURCE
#include "tasklet.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "stack.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define ASAN 1
#else
#define ASAN 0
#endif

/* book: tasklet-struct */
enum state { RUNNING, RUNNABLE, PARKED, DEAD };

struct tasklet {
    struct context ctx;
    enum state state;
    struct tasklet *next;            /* run queue link */
    struct tasklet *all_prev, *all_next; /* every live tasklet, for reports */
    struct stack *stack;             /* NULL for the main tasklet */
    void (*fn)(void *);
    void *arg;
    uint64_t id;

    /* while PARKED */
    const char *why;
    tasklet_unlink_fn unlink;
    void *unlink_data;
    int result;                      /* what tasklet_park returns */
    int pending;                     /* an interruption not delivered yet */

    char name[TASKLET_NAME_MAX];
#if ASAN
    void *asan_fake_stack;
    const void *asan_bottom;
    size_t asan_size;
#endif
};
/* book: end */

static const char RUN_WHY[] = "tasklet_run";

static struct tasklet main_tasklet = {
    .state = RUNNING,
    .id = 0,
    .name = "main",
};
static tasklet *current = &main_tasklet;
static struct { tasklet *head, *tail; int length; } runq;
static tasklet *all;                 /* live tasklets other than main */
static int nparked;                  /* parked tasklets, main included */
static uint64_t next_id = 1;
static tasklet *zombie;              /* exited, stack not yet freed */
static tasklet_poll_fn poller;
static unsigned switches;
static FILE *report;

/* ---- invariants that must hold ---- */

static _Noreturn void broken(const char *invariant, const tasklet *t)
{
    fprintf(stderr, "tasklet: broken invariant: %s (tasklet %s)\n", invariant,
            t ? t->name : "-");
    abort();
}

/* ---- the run queue ---- */

static void runq_push(tasklet *t)
{
    /* TODO(step 02): mark t RUNNABLE and append it at the tail. */
    (void)t, (void)runq;
}

static tasklet *runq_pop(void)
{
    /* TODO(step 02): detach and return the head, or NULL. */
    return NULL;
}

/* ---- switching ---- */

static void reap(void)
{
    /* TODO(step 02): free the zombie's stack and struct, if there is one. */
    (void)zombie;
}

/* book: asan */
/* AddressSanitizer must be told when the stack changes under it, or it
 * takes frames on one stack for overflows of another. */
static void asan_before(tasklet *from, tasklet *to)
{
#if ASAN
    const void *bottom = to->stack ? to->stack->base : to->asan_bottom;
    size_t size = to->stack ? to->stack->size : to->asan_size;
    __sanitizer_start_switch_fiber(
        from->state == DEAD ? NULL : &from->asan_fake_stack, bottom, size);
#else
    (void)from, (void)to;
#endif
}

static void asan_after(tasklet *from)
{
#if ASAN
    __sanitizer_finish_switch_fiber(current->asan_fake_stack,
                                    &from->asan_bottom, &from->asan_size);
#else
    (void)from;
#endif
}
/* book: end */

/* The tasklet that last called switch_to; the resumed side reads it. */
static tasklet *switching_from;

static void switch_to(tasklet *next)
{
    /* TODO(step 02, "Switching to the next tasklet"): make next the
     * current tasklet and RUNNING, remember who is switching
     * (switching_from), tell AddressSanitizer (asan_before), switch
     * contexts; once resumed, asan_after(switching_from) and reap(). */
    (void)next, (void)asan_before, (void)asan_after, (void)switching_from;
    (void)reap;
}

static void deadlock_report(void);

/* Nothing is runnable and no poller can wake anything: the main tasklet
 * takes over. It waited either in tasklet_run, which then returns, or in
 * some blocking call, which then fails with EDEADLK. */
static void stalled(void)
{
    /* TODO(step 02, "When nothing can run"): the main tasklet must be
     * parked. If it waits in tasklet_run (why == RUN_WHY) and no other
     * tasklet is parked, wake it with 0. Otherwise write the deadlock
     * report and interrupt the main tasklet with EDEADLK. */
    (void)deadlock_report;
}

/* Resumes the next runnable tasklet. The current one has already been
 * queued, parked or marked dead. */
static void schedule(void)
{
    /* TODO(step 02, "The scheduler loop"): every TASKLET_POLL_INTERVAL
     * calls, give the poller a non-blocking turn. Then loop: pop the next
     * runnable tasklet; if it is the current one, just mark it RUNNING and
     * return; if there is one, switch to it and return; if there is none,
     * let the poller block (poller(true)) and try again if it says it may
     * still wake someone or if it just made a tasklet runnable; otherwise
     * the program has stalled(). */
    (void)switches, (void)stalled, (void)runq_pop, (void)switch_to;
}

/* ---- the tasklet's life ---- */

static void overflow_guard_install(void);

/* The first function on every new stack. */
static void entry(void *arg)
{
    /* TODO(step 02): the first code on a new stack. Finish the sanitizer's
     * switch and reap like switch_to's resumed half, run the tasklet's
     * function, and exit the tasklet when it returns. */
    (void)arg;
    abort();
}

tasklet *tasklet_spawn(void (*fn)(void *), void *arg)
{
    /* TODO(step 02, "Spawning"): install the overflow guard, allocate a
     * tasklet (calloc) and its stack (stack_create), context_init it to
     * start in entry(t), give it the next id and the name "#<id>", link it
     * into the list of all tasklets, and append it to the run queue. On
     * failure, free what was allocated (goto fail) and fail with ENOMEM. */
    (void)fn, (void)arg, (void)entry, (void)overflow_guard_install;
    (void)next_id, (void)all;
    errno = ENOSYS;
    return NULL;
}

void tasklet_yield(void)
{
    /* TODO(step 02, "Yielding"): the current tasklet goes to the end of
     * the run queue; schedule the next. */
    (void)runq_push, (void)schedule;
}

void tasklet_exit(void)
{
    /* TODO(step 02, "Exiting"): the main tasklet may not exit (broken).
     * Unlink the tasklet from the list of all tasklets, mark it DEAD,
     * leave it as the zombie for the next tasklet to reap, and schedule.
     * schedule never returns here. */
    broken("tasklet_exit is not written yet (step 02)", current);
}

int tasklet_run(void)
{
    /* TODO(step 02, "Running until done"): only the main tasklet may call
     * this. Park it with why RUN_WHY; the scheduler wakes it with 0 when
     * everything has finished, or interrupts it with EDEADLK. */
    errno = ENOSYS;
    return -1;
}

int tasklet_runcount(void)
{
    /* TODO(step 02): the running tasklet, the run queue, and the main
     * tasklet while it waits in tasklet_run. */
    return 0;
}

tasklet *tasklet_current(void)
{
    return current;
}

void tasklet_set_name(tasklet *t, const char *name)
{
    snprintf(t->name, sizeof t->name, "%s", name);
}

const char *tasklet_name(const tasklet *t)
{
    return t->name;
}

uint64_t tasklet_id(const tasklet *t)
{
    return t->id;
}

void tasklet_set_report_stream(FILE *f)
{
    report = f;
}

/* ---- parking and waking ---- */

int tasklet_park(const char *why, tasklet_unlink_fn unlink, void *data)
{
    /* TODO(step 02, "Parking and waking"): deliver a pending interruption
     * at once. Otherwise mark the current tasklet PARKED, note why,
     * unlink and data, count it in nparked, schedule, and once woken
     * return its result. */
    (void)why, (void)unlink, (void)data, (void)nparked;
    return ENOSYS;
}

static void unpark(tasklet *t, int result)
{
    /* TODO(step 02): t must be PARKED (broken otherwise). Store result,
     * forget why/unlink/data, and uncount it from nparked. */
    (void)t, (void)result;
}

void tasklet_wake(tasklet *t, int result)
{
    /* TODO(step 02): unpark t and queue it. */
    (void)t, (void)result;
}

void tasklet_wake_now(tasklet *t, int result)
{
    /* TODO(step 02): unpark t, queue the current tasklet, switch to t. */
    (void)t, (void)result, (void)unpark;
}

void tasklet_interrupt(tasklet *t, int err)
{
    /* TODO(step 02, "Interrupting a wait"): if t is not parked, leave err
     * pending (but never replace a pending ECANCELED). Otherwise call its unlink function (if any), then wake it
     * with err. */
    (void)t, (void)err;
}

void tasklet_clear_interrupt(tasklet *t, int err)
{
    if (t->pending == err)
        t->pending = 0;
}

int tasklet_take_interrupt(void)
{
    int err = current->pending;
    current->pending = 0;
    return err;
}

void tasklet_cancel(tasklet *t)
{
    tasklet_interrupt(t, ECANCELED);
}

bool tasklet_is_parked(const tasklet *t)
{
    return t->state == PARKED;
}

const char *tasklet_waiting_for(const tasklet *t)
{
    return t->state == PARKED ? t->why : NULL;
}

void tasklet_set_poller(tasklet_poll_fn fn)
{
    poller = fn;
}

tasklet_poll_fn tasklet_poller(void)
{
    return poller;
}

/* ---- reports ---- */

static void deadlock_report(void)
{
    FILE *f = report ? report : stderr;
    fprintf(f, "deadlock: every tasklet is blocked, and nothing is left "
               "that could wake one:\n");
    for (tasklet *t = all; t; t = t->all_next)
        if (t->state == PARKED)
            fprintf(f, "  tasklet %s is blocked in %s\n", t->name, t->why);
    if (main_tasklet.why != RUN_WHY)
        fprintf(f, "  tasklet main is blocked in %s\n", main_tasklet.why);
    fflush(f);
}

/* A fault in the running tasklet's guard page is a stack overflow. Say so,
 * naming the tasklet, and let the fault end the program; hand any other
 * fault to whatever handler was there before (a debugger's, a test
 * framework's, a sanitizer's). The handler runs on a stack of its own,
 * since the faulting one is full. */
static struct sigaction previous;

static void on_segv(int sig, siginfo_t *info, void *uctx)
{
    /* TODO(step 02, "Catching a stack overflow"): if the fault address is
     * in the current tasklet's guard page, write a message naming the
     * tasklet and the word "overflowed" to stderr (with write(2): this is
     * a signal handler), restore the default action and return, so the
     * access faults again, now fatally. Otherwise pass the signal on to
     * the previous handler, or restore the default action. */
    (void)sig, (void)info, (void)uctx, (void)previous;
    signal(SIGSEGV, SIG_DFL);
}

/* book: overflow-guard */
static void overflow_guard_install(void)
{
    static bool installed;
    static char altstack[64 * 1024];
    if (installed)
        return;
    installed = true;
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    struct sigaction sa = {.sa_sigaction = on_segv,
                           .sa_flags = SA_SIGINFO | SA_ONSTACK};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous);
}
/* book: end */
