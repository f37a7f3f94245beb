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

/* book: runq */
static void runq_push(tasklet *t)
{
    t->state = RUNNABLE;
    t->next = NULL;
    if (runq.tail)
        runq.tail->next = t;
    else
        runq.head = t;
    runq.tail = t;
    runq.length++;
}

static tasklet *runq_pop(void)
{
    tasklet *t = runq.head;
    if (t) {
        runq.head = t->next;
        if (runq.head == NULL)
            runq.tail = NULL;
        runq.length--;
    }
    return t;
}
/* book: end */

/* ---- switching ---- */

/* book: reap */
static void reap(void)
{
    if (zombie) {
        stack_destroy(zombie->stack);
        free(zombie);
        zombie = NULL;
    }
}
/* book: end */

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

/* The tasklet that last called switch_to; the resumed side reads it. */
static tasklet *switching_from;

/* book: switch-to */
static void switch_to(tasklet *next)
{
    tasklet *prev = current;
    current = next;
    next->state = RUNNING;
    switching_from = prev;
    asan_before(prev, next);
    context_switch(&prev->ctx, &next->ctx);
    /* Some later switch_to has resumed us. */
    asan_after(switching_from);
    reap();
}
/* book: end */

static void deadlock_report(void);

/* book: stalled */
/* Nothing is runnable and no poller can wake anything: the main tasklet
 * takes over. It waited either in tasklet_run, which then returns, or in
 * some blocking call, which then fails with EDEADLK. */
static void stalled(void)
{
    if (main_tasklet.state != PARKED)
        broken("when nothing is runnable the main tasklet is parked", &main_tasklet);
    int others = nparked - 1;
    if (main_tasklet.why == RUN_WHY && others == 0) {
        tasklet_wake(&main_tasklet, 0);
        return;
    }
    deadlock_report();
    tasklet_interrupt(&main_tasklet, EDEADLK);
}
/* book: end */

/* book: schedule */
/* Resumes the next runnable tasklet. The current one has already been
 * queued, parked or marked dead. */
static void schedule(void)
{
    if (poller && ++switches % TASKLET_POLL_INTERVAL == 0)
        poller(false); /* runnable tasklets must not starve I/O */
    for (;;) {
        tasklet *next = runq_pop();
        if (next == current) {
            current->state = RUNNING; /* it yielded with nobody to yield to */
            return;
        }
        if (next) {
            switch_to(next);
            return;
        }
        /* Let the poller wait. Go round again if it may still wake someone
         * later, or if it just woke its last sleeper. */
        bool pending = poller && poller(true);
        if (pending || runq.head)
            continue;
        stalled();
    }
}
/* book: end */

/* ---- the tasklet's life ---- */

static void overflow_guard_install(void);

/* book: entry */
/* The first function on every new stack. */
static void entry(void *arg)
{
    tasklet *self = arg;
    asan_after(switching_from);
    reap();
    self->fn(self->arg);
    tasklet_exit();
}
/* book: end */

/* Names an unnamed tasklet "#id". Spawning is hot, and snprintf would be
 * half its cost. */
static void default_name(tasklet *t)
{
    char digits[24];
    int n = 0;
    uint64_t id = t->id;
    do {
        digits[n++] = (char)('0' + id % 10);
        id /= 10;
    } while (id);
    t->name[0] = '#';
    for (int i = 0; i < n; i++)
        t->name[i + 1] = digits[n - 1 - i];
    t->name[n + 1] = '\0';
}

/* book: spawn */
tasklet *tasklet_spawn(void (*fn)(void *), void *arg)
{
    overflow_guard_install();
    tasklet *t = calloc(1, sizeof *t);
    if (t == NULL)
        goto fail;
    t->stack = stack_create();
    if (t->stack == NULL)
        goto fail;
    if (context_init(&t->ctx, t->stack->base, t->stack->size, entry, t) < 0)
        goto fail;
    t->fn = fn;
    t->arg = arg;
    t->id = next_id++;
    default_name(t);

    t->all_next = all;
    if (all)
        all->all_prev = t;
    all = t;
    runq_push(t);
    return t;

fail:
    if (t)
        stack_destroy(t->stack);
    free(t);
    errno = ENOMEM;
    return NULL;
}
/* book: end */

/* book: yield */
void tasklet_yield(void)
{
    runq_push(current);
    schedule();
}
/* book: end */

/* book: exit */
void tasklet_exit(void)
{
    tasklet *self = current;
    if (self == &main_tasklet)
        broken("the main tasklet never exits; return from main instead", self);
    if (self->all_prev)
        self->all_prev->all_next = self->all_next;
    else
        all = self->all_next;
    if (self->all_next)
        self->all_next->all_prev = self->all_prev;
    self->state = DEAD;
    zombie = self;
    schedule();
    broken("a dead tasklet is never resumed", self);
}
/* book: end */

/* book: run */
int tasklet_run(void)
{
    if (current != &main_tasklet)
        broken("tasklet_run is called from the main tasklet", current);
    int err = tasklet_park(RUN_WHY, NULL, NULL);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

int tasklet_runcount(void)
{
    /* Stackless counts the main tasklet as runnable while it runs others. */
    int main_waiting = main_tasklet.state == PARKED && main_tasklet.why == RUN_WHY;
    return 1 + runq.length + main_waiting;
}
/* book: end */

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

/* book: park */
int tasklet_park(const char *why, tasklet_unlink_fn unlink, void *data)
{
    tasklet *self = current;
    if (self->pending) {
        int err = self->pending;
        self->pending = 0;
        return err;
    }
    self->state = PARKED;
    self->why = why;
    self->unlink = unlink;
    self->unlink_data = data;
    nparked++;
    schedule();
    return self->result;
}

static void unpark(tasklet *t, int result)
{
    if (t->state != PARKED)
        broken("only a parked tasklet is woken", t);
    t->result = result;
    t->why = NULL;
    t->unlink = NULL;
    t->unlink_data = NULL;
    nparked--;
}

void tasklet_wake(tasklet *t, int result)
{
    unpark(t, result);
    runq_push(t);
}

void tasklet_wake_now(tasklet *t, int result)
{
    unpark(t, result);
    runq_push(current);
    switch_to(t);
}
/* book: end */

/* book: interrupt */
void tasklet_interrupt(tasklet *t, int err)
{
    if (t->state != PARKED) {
        if (t->pending != ECANCELED) /* a cancellation is never replaced */
            t->pending = err;
        return;
    }
    if (t->unlink)
        t->unlink(t, t->unlink_data);
    tasklet_wake(t, err);
}
/* book: end */

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

/* book: segv */
/* A fault in the running tasklet's guard page is a stack overflow. Say so,
 * naming the tasklet, and let the fault end the program; hand any other
 * fault to whatever handler was there before (a debugger's, a test
 * framework's, a sanitizer's). The handler runs on a stack of its own,
 * since the faulting one is full. */
static struct sigaction previous;

static void on_segv(int sig, siginfo_t *info, void *uctx)
{
    tasklet *t = current;
    if (t->stack && stack_in_guard(t->stack, info->si_addr)) {
        char msg[160];
        int n = snprintf(msg, sizeof msg,
                         "tasklet %s overflowed its stack of %zu KiB "
                         "(a fault in its guard page)\n",
                         t->name, t->stack->size / 1024);
        if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
            n = 0;
        signal(SIGSEGV, SIG_DFL);
        return; /* the access faults again, now fatally */
    }
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(sig, info, uctx);
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
    } else {
        signal(SIGSEGV, SIG_DFL);
    }
}
/* book: end */

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
