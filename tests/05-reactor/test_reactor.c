/*
 * test_reactor.c - step 05: the reactor's bookkeeping and its turns.
 *
 * Creating reactors by backend name; adding, removing and counting
 * dispatchers; the predicates asked at every turn and the defaults when
 * there are none; level-triggered reports; reactor_poll's timeout of 0;
 * reactor_loop's end; a hang-up that comes alone; and the dispatch rules
 * that keep a turn safe when handlers remove dispatchers (themselves or
 * others), close and free them, or add new ones that reuse a freed fd
 * number.
 *
 * Every test runs on both backends, epoll then poll, over local socket
 * pairs (socketpair(AF_UNIX)) and a pipe: no network is needed here.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reactor.h"
#include "reactest.h"
#include "reactor_backend.h"

#define S_DISPATCHERS "Dispatchers"
#define S_TABLE "The table of dispatchers"
#define S_TURN "One turn of the loop"
#define S_LEVEL "Level-triggered readiness"

/* ---- helpers ---- */

/* A connected pair of local stream sockets, still blocking. */
static void pair(int sv[2])
{
    check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0,
          S_TABLE, "socketpair failed: %s", strerror(errno));
}

static void put(int fd, const char *text)
{
    size_t len = strlen(text);
    check(write(fd, text, len) == (ssize_t)len, S_TABLE,
          "the test could not write to its socket: %s", strerror(errno));
}

static bool fd_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

/* One turn that must not fail. */
static int turn(reactor *r, int timeout_ms, const char *section)
{
    errno = 0;
    int n = reactor_poll(r, timeout_ms);
    int e = errno;
    check(n >= 0, section,
          "with the %s backend, reactor_poll(r, %d): expected the number of "
          "events handled, got %d with errno %s",
          backend, timeout_ms, n, rt_err_name(e));
    return n;
}

/* A dispatcher that records what the reactor asks and calls. Its
 * predicates answer want_read and want_write; handle_read reads up to
 * take bytes (0: reads nothing) and then runs then(), if set. */
struct probe {
    struct dispatcher d;
    bool want_read, want_write;
    size_t take;
    void (*then)(struct probe *p);
    int asked, reads, writes, closes;
    char got[64];
    size_t got_len;
};

static bool probe_readable(struct dispatcher *d)
{
    struct probe *p = d->data;
    p->asked++;
    return p->want_read;
}

static bool probe_writable(struct dispatcher *d)
{
    struct probe *p = d->data;
    return p->want_write;
}

static void probe_read(struct dispatcher *d)
{
    struct probe *p = d->data;
    p->reads++;
    if (p->take > 0 && p->got_len + p->take < sizeof p->got) {
        ssize_t n = read(d->fd, p->got + p->got_len, p->take);
        if (n > 0)
            p->got_len += (size_t)n;
    }
    if (p->then)
        p->then(p);
}

static void probe_write(struct dispatcher *d)
{
    struct probe *p = d->data;
    p->writes++;
    if (p->then)
        p->then(p);
}

static void probe_close(struct dispatcher *d)
{
    struct probe *p = d->data;
    p->closes++;
    dispatcher_close(d);
}

static const struct dispatcher_ops probe_ops = {
    .readable = probe_readable,
    .writable = probe_writable,
    .handle_read = probe_read,
    .handle_write = probe_write,
    .handle_close = probe_close,
};

static void probe_init(struct probe *p, int fd)
{
    *p = (struct probe){.d = {.fd = fd, .ops = &probe_ops, .data = p}};
}

/* ---- creating reactors ---- */

static void test_create_by_name(void **state)
{
    (void)state;
    reactor *r = rt_make(NULL);
    const char *name = reactor_backend_name(r);
    check(name != NULL && strcmp(name, "epoll") == 0, S_BACKEND,
          "reactor_create(NULL) should pick the best backend, epoll; "
          "reactor_backend_name says \"%s\"",
          name ? name : "(null)");
    check_eq(reactor_count(r), 0, S_TABLE,
             "reactor_count of a new reactor");
    reactor_destroy(r);

    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        r = rt_make(backends[i]);
        name = reactor_backend_name(r);
        check(name != NULL && strcmp(name, backends[i]) == 0, S_BACKEND,
              "reactor_create(\"%s\") should use that backend; "
              "reactor_backend_name says \"%s\"",
              backends[i], name ? name : "(null)");
        reactor_destroy(r);
    }
}

static void test_create_unknown_backend(void **state)
{
    (void)state;
    errno = 0;
    reactor *r = reactor_create("nope");
    int e = errno;
    check(r == NULL, S_BACKEND,
          "reactor_create(\"nope\") should fail: there is no backend of "
          "that name, but it returned a reactor on \"%s\"",
          reactor_backend_name(r));
    check(e == EINVAL, S_BACKEND,
          "reactor_create(\"nope\") should fail with errno EINVAL, got %s",
          rt_err_name(e));
}

/* ---- the table ---- */

static void add_remove_scenario(reactor *r)
{
    int a[2], b[2];
    pair(a);
    pair(b);
    struct probe p, q;
    probe_init(&p, a[0]);
    probe_init(&q, b[0]);

    rt_add(r, &p.d, S_TABLE);
    check(p.d.reactor == r, S_TABLE,
          "with the %s backend, after reactor_add, d->reactor should be the "
          "reactor",
          backend);
    int flags = fcntl(a[0], F_GETFL);
    check(flags >= 0 && (flags & O_NONBLOCK), S_TABLE,
          "with the %s backend, reactor_add should make the fd non-blocking "
          "(O_NONBLOCK), flags are 0x%x",
          backend, flags);
    rt_add(r, &q.d, S_TABLE);
    check_eq(reactor_count(r), 2, S_TABLE, "reactor_count after two adds");

    errno = 0;
    int rc = reactor_add(r, &p.d);
    int e = errno;
    check(rc == -1 && e == EEXIST, S_TABLE,
          "with the %s backend, adding a dispatcher that is already added "
          "should fail with EEXIST, got %d with errno %s",
          backend, rc, rt_err_name(e));
    struct probe twin;
    probe_init(&twin, a[0]);
    errno = 0;
    rc = reactor_add(r, &twin.d);
    e = errno;
    check(rc == -1 && e == EEXIST, S_TABLE,
          "with the %s backend, adding a second dispatcher for a watched fd "
          "should fail with EEXIST, got %d with errno %s",
          backend, rc, rt_err_name(e));
    check_eq(reactor_count(r), 2, S_TABLE,
             "reactor_count after two adds that failed");

    errno = 0;
    rc = reactor_remove(r, &p.d);
    e = errno;
    check(rc == 0, S_TABLE,
          "with the %s backend, reactor_remove of an added dispatcher: "
          "expected 0, got %d with errno %s",
          backend, rc, rt_err_name(e));
    check(p.d.reactor == NULL, S_TABLE,
          "after reactor_remove, d->reactor should be NULL");
    check_eq(reactor_count(r), 1, S_TABLE, "reactor_count after a remove");
    check(fd_open(a[0]), S_TABLE,
          "reactor_remove must not close the fd: only dispatcher_close does");
    check(reactor_remove(r, &p.d) == -1, S_TABLE,
          "removing a dispatcher that is not added should fail (-1)");

    /* Removed, its fd can be added again, by another dispatcher too. */
    rt_add(r, &twin.d, S_TABLE);
    check_eq(reactor_count(r), 2, S_TABLE,
             "reactor_count after adding a removed fd again");
    reactor_remove(r, &twin.d);
    reactor_remove(r, &q.d);
    check_eq(reactor_count(r), 0, S_TABLE,
             "reactor_count after removing everything");
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

static void test_add_remove_count(void **state)
{
    (void)state;
    rt_on_both_backends(add_remove_scenario);
}

static void destroy_scenario(const char *name)
{
    reactor *r = rt_make(name);
    int a[2];
    pair(a);
    struct probe p;
    probe_init(&p, a[0]);
    p.want_read = true;
    rt_add(r, &p.d, S_TABLE);
    turn(r, 0, S_TURN); /* so that the backend watches it */
    reactor_destroy(r);
    check(p.d.reactor == NULL, S_TABLE,
          "with the %s backend, reactor_destroy should remove the "
          "dispatchers still added (d->reactor NULL)",
          name);
    check(p.d.fd == a[0] && fd_open(a[0]), S_TABLE,
          "with the %s backend, reactor_destroy must leave the dispatchers' "
          "fds open: they belong to the program",
          name);
    close(a[0]), close(a[1]);
}

static void test_destroy_removes_but_does_not_close(void **state)
{
    (void)state;
    destroy_scenario("epoll");
    destroy_scenario("poll");
}

/* ---- predicates ---- */

static void defaults_scenario(reactor *r)
{
    int a[2];
    pair(a);
    /* No readable or writable callback: the defaults of reactor.h. */
    static const struct dispatcher_ops no_predicates = {0};
    struct dispatcher d = {.fd = a[0], .ops = &no_predicates};
    rt_add(r, &d, S_DISPATCHERS);

    turn(r, 0, S_DISPATCHERS);
    check(d.events == 0, S_DISPATCHERS,
          "with the %s backend, a dispatcher that is neither accepting, "
          "connecting nor connected wants nothing by default: d->events "
          "should be 0, got %u",
          backend, d.events);
    d.connected = true;
    turn(r, 0, S_DISPATCHERS);
    check(d.events == REACTOR_READ, S_DISPATCHERS,
          "with the %s backend, a connected dispatcher without predicates "
          "should be watched for reading only (d->events %u), got %u",
          backend, (unsigned)REACTOR_READ, d.events);
    d.connected = false;
    d.accepting = true;
    turn(r, 0, S_DISPATCHERS);
    check(d.events == REACTOR_READ, S_DISPATCHERS,
          "with the %s backend, an accepting dispatcher without predicates "
          "should be watched for reading only (d->events %u), got %u",
          backend, (unsigned)REACTOR_READ, d.events);
    d.accepting = false;
    turn(r, 0, S_DISPATCHERS);
    check(d.events == 0, S_DISPATCHERS,
          "with the %s backend, once the dispatcher wants nothing, the "
          "backend should stop watching it: d->events should be 0, got %u",
          backend, d.events);
    reactor_remove(r, &d);
    close(a[0]), close(a[1]);
}

static void test_default_predicates(void **state)
{
    (void)state;
    rt_on_both_backends(defaults_scenario);
}

static void every_turn_scenario(reactor *r)
{
    int a[2];
    pair(a);
    struct probe p;
    probe_init(&p, a[0]);
    p.take = 1;
    rt_add(r, &p.d, S_LEVEL);
    put(a[1], "x");

    /* Data waits, but the dispatcher says it is not readable. */
    errno = 0;
    int rc = reactor_loop(r, 0, 5);
    int e = errno;
    check(rc == 0, S_TURN,
          "with the %s backend, reactor_loop(r, 0, 5): expected 0, got %d "
          "with errno %s",
          backend, rc, rt_err_name(e));
    check_eq(p.asked, 5, S_LEVEL,
             "the times readable() was asked in 5 turns (once a turn)");
    check_eq(p.reads, 0, S_LEVEL,
             "handle_read calls while readable() says false");
    check_eq(p.d.events, 0, S_LEVEL,
             "d->events while the dispatcher wants nothing");

    /* Now it is: the data that came meanwhile is reported at once. */
    p.want_read = true;
    turn(r, 0, S_LEVEL);
    check_eq(p.reads, 1, S_LEVEL,
             "handle_read calls in the first turn where readable() says "
             "true, with data waiting since before");
    check_eq(p.d.events, REACTOR_READ, S_LEVEL,
             "d->events while readable() says true and writable() false");
    reactor_remove(r, &p.d);
    close(a[0]), close(a[1]);
}

static void test_predicates_asked_every_turn(void **state)
{
    (void)state;
    rt_on_both_backends(every_turn_scenario);
}

static void level_scenario(reactor *r)
{
    int a[2];
    pair(a);
    struct probe p;
    probe_init(&p, a[0]);
    p.want_read = true;
    p.take = 2; /* takes 2 bytes a turn out of 6 */
    rt_add(r, &p.d, S_LEVEL);
    put(a[1], "abcdef");

    for (int i = 1; i <= 3; i++) {
        int n = turn(r, 0, S_LEVEL);
        check(n == 1 && p.reads == i, S_LEVEL,
              "with the %s backend, bytes left unread must be reported "
              "again at the next turn (level-triggered): after turn %d, "
              "expected %d handle_read calls, got %d (reactor_poll "
              "returned %d)",
              backend, i, i, p.reads, n);
    }
    check(p.got_len == 6 && memcmp(p.got, "abcdef", 6) == 0, S_LEVEL,
          "handle_read should have read \"abcdef\" in three pieces, got "
          "\"%.*s\"",
          (int)p.got_len, p.got);
    int n = turn(r, 0, S_TURN);
    check(n == 0 && p.reads == 3, S_TURN,
          "with the %s backend, once everything is read, reactor_poll(r, 0) "
          "should return 0 at once and call nothing; it returned %d and "
          "handle_read ran %d times in all",
          backend, n, p.reads);
    reactor_remove(r, &p.d);
    close(a[0]), close(a[1]);
}

static void test_level_triggered(void **state)
{
    (void)state;
    rt_on_both_backends(level_scenario);
}

static void writable_scenario(reactor *r)
{
    int a[2];
    pair(a);
    struct probe p;
    probe_init(&p, a[0]);
    rt_add(r, &p.d, S_DISPATCHERS);
    turn(r, 0, S_DISPATCHERS);
    check_eq(p.writes, 0, S_DISPATCHERS,
             "handle_write calls while writable() says false (the socket "
             "can be written, but the dispatcher has nothing to write)");
    p.want_write = true;
    turn(r, 0, S_DISPATCHERS);
    check_eq(p.writes, 1, S_DISPATCHERS,
             "handle_write calls in one turn where writable() says true");
    check_eq(p.d.events, REACTOR_WRITE, S_DISPATCHERS,
             "d->events while writable() says true and readable() false");
    reactor_remove(r, &p.d);
    close(a[0]), close(a[1]);
}

static void test_writable_predicate(void **state)
{
    (void)state;
    rt_on_both_backends(writable_scenario);
}

/* ---- timeouts and the loop ---- */

static void poll_zero_scenario(reactor *r)
{
    int n = turn(r, 0, S_TURN);
    check_eq(n, 0, S_TURN,
             "reactor_poll(r, 0) with no dispatcher at all");
    int a[2];
    pair(a);
    struct probe p;
    probe_init(&p, a[0]);
    p.want_read = true; /* nothing to read: nothing is ready */
    rt_add(r, &p.d, S_TURN);
    n = turn(r, 0, S_TURN);
    check(n == 0 && p.reads == 0, S_TURN,
          "with the %s backend, reactor_poll(r, 0) with nothing ready should "
          "return 0 at once and call no handler; it returned %d and "
          "handle_read ran %d times",
          backend, n, p.reads);
    reactor_remove(r, &p.d);
    close(a[0]), close(a[1]);
}

static void test_poll_zero_returns_at_once(void **state)
{
    (void)state;
    rt_on_both_backends(poll_zero_scenario);
}

/* handle_read for the loop test: read what is there, the EOF included. */
static void drain_read(struct dispatcher *d)
{
    char buf[16];
    while (dispatcher_recv(d, buf, sizeof buf) > 0)
        ;
}

static const struct dispatcher_ops drain_ops = {.handle_read = drain_read};

static void loop_ends_scenario(reactor *r)
{
    int a[2], b[2];
    pair(a);
    pair(b);
    struct dispatcher p = {.fd = a[0], .ops = &drain_ops, .connected = true};
    struct dispatcher q = {.fd = b[0], .ops = &drain_ops, .connected = true};
    rt_add(r, &p, S_TURN);
    rt_add(r, &q, S_TURN);
    put(a[1], "one");
    put(b[1], "two");
    close(a[1]);
    close(b[1]);

    /* The default handle_close closes each at its EOF. With -1 as the
     * timeout, a loop that goes on once none is left waits forever. */
    errno = 0;
    int rc = reactor_loop(r, -1, 0);
    int e = errno;
    check(rc == 0, S_TURN,
          "with the %s backend, reactor_loop(r, -1, 0): expected 0, got %d "
          "with errno %s",
          backend, rc, rt_err_name(e));
    check_eq(reactor_count(r), 0, S_TURN,
             "dispatchers left when reactor_loop returned");
    check(p.fd == -1 && q.fd == -1, S_TURN,
          "with the %s backend, both dispatchers should have been closed by "
          "the default handle_close at their EOF (fd -1), their fds are %d "
          "and %d",
          backend, p.fd, q.fd);
}

static void test_loop_ends_when_no_dispatcher_is_left(void **state)
{
    (void)state;
    rt_on_both_backends(loop_ends_scenario);
}

/* ---- changing the table during a turn ---- */

static reactor *the_reactor;

static void remove_self(struct probe *p)
{
    reactor_remove(the_reactor, &p->d);
}

static void remove_self_scenario(reactor *r)
{
    the_reactor = r;
    int a[2];
    pair(a);
    struct probe p;
    probe_init(&p, a[0]);
    p.want_read = true;
    p.then = remove_self; /* without reading: the data stays */
    rt_add(r, &p.d, S_TABLE);
    put(a[1], "x");

    turn(r, 0, S_TABLE);
    check_eq(p.reads, 1, S_TABLE,
             "handle_read calls in the turn where data came");
    check(p.d.reactor == NULL && reactor_count(r) == 0, S_TABLE,
          "with the %s backend, reactor_remove from inside handle_read "
          "should remove the dispatcher: d->reactor %s, reactor_count %zu",
          backend, p.d.reactor ? "still set" : "NULL", reactor_count(r));
    int n = turn(r, 0, S_TABLE);
    check(n == 0 && p.reads == 1, S_TABLE,
          "with the %s backend, a removed dispatcher must not be called "
          "again, though its data is still unread; reactor_poll returned %d "
          "and handle_read ran %d times",
          backend, n, p.reads);
    check(fd_open(a[0]), S_TABLE, "reactor_remove must not close the fd");

    /* The backend must have forgotten the fd too: a new dispatcher for it
     * is watched afresh (epoll_ctl ADD would fail with EEXIST otherwise). */
    struct probe again;
    probe_init(&again, a[0]);
    again.want_read = true;
    rt_add(r, &again.d, S_TABLE);
    turn(r, 0, S_TABLE);
    check(again.reads == 1 && again.closes == 0, S_TABLE,
          "with the %s backend, a new dispatcher added for the fd of a removed "
          "one should get its data: handle_read ran %d times, handle_close "
          "%d times (did reactor_remove tell the backend to stop watching "
          "the fd?)",
          backend, again.reads, again.closes);
    reactor_remove(r, &again.d);
    close(a[0]), close(a[1]);
}

static void test_remove_self_in_handler(void **state)
{
    (void)state;
    rt_on_both_backends(remove_self_scenario);
}

static struct probe *first, *second;

/* Whichever of the two runs first removes both. */
static void remove_both(struct probe *p)
{
    (void)p;
    reactor_remove(the_reactor, &first->d);
    reactor_remove(the_reactor, &second->d);
}

static void remove_other_scenario(reactor *r)
{
    the_reactor = r;
    int a[2], b[2];
    pair(a);
    pair(b);
    struct probe p, q;
    probe_init(&p, a[0]);
    probe_init(&q, b[0]);
    p.want_read = q.want_read = true;
    p.then = q.then = remove_both;
    first = &p;
    second = &q;
    rt_add(r, &p.d, S_TABLE);
    rt_add(r, &q.d, S_TABLE);
    put(a[1], "x");
    put(b[1], "y");

    int n = turn(r, 0, S_TABLE);
    check(p.reads + q.reads == 1, S_TABLE,
          "with the %s backend, both dispatchers were ready in one turn, and "
          "the first handler removed the other: its handler must not run "
          "in that turn; handle_read ran %d + %d times (reactor_poll "
          "returned %d)",
          backend, p.reads, q.reads, n);
    check_eq(reactor_count(r), 0, S_TABLE,
             "dispatchers left after the handler removed both");
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

static void test_remove_other_in_handler(void **state)
{
    (void)state;
    rt_on_both_backends(remove_other_scenario);
}

/* For the fd-reuse scenario. */
static struct probe newcomer;
static int newcomer_pair[2];
static int reused_fd;

static void close_other_add_newcomer(struct probe *p)
{
    struct probe *other = p == first ? second : first;
    if (other->d.fd < 0)
        return; /* done already */
    reused_fd = other->d.fd;
    dispatcher_close(&other->d);
    /* A new socket on the very fd number just closed, as accept or socket
     * would often return it. */
    pair(newcomer_pair);
    if (newcomer_pair[1] == reused_fd) { /* either end will do */
        newcomer_pair[1] = newcomer_pair[0];
        newcomer_pair[0] = reused_fd;
    }
    if (newcomer_pair[0] != reused_fd) {
        check(dup3(newcomer_pair[0], reused_fd, O_CLOEXEC) == reused_fd,
              S_TABLE, "the test could not dup3 onto fd %d: %s", reused_fd,
              strerror(errno));
        close(newcomer_pair[0]);
        newcomer_pair[0] = reused_fd;
    }
    probe_init(&newcomer, newcomer_pair[0]);
    newcomer.want_read = true;
    rt_add(the_reactor, &newcomer.d, S_TABLE);
}

static void reuse_scenario(reactor *r)
{
    the_reactor = r;
    int a[2], b[2];
    pair(a);
    pair(b);
    struct probe p, q;
    probe_init(&p, a[0]);
    probe_init(&q, b[0]);
    p.want_read = q.want_read = true;
    p.then = q.then = close_other_add_newcomer;
    first = &p;
    second = &q;
    rt_add(r, &p.d, S_TABLE);
    rt_add(r, &q.d, S_TABLE);
    /* Data, then the peers close: each fd's event says READ and HUP. */
    put(a[1], "x");
    put(b[1], "y");
    close(a[1]);
    close(b[1]);

    turn(r, 0, S_TABLE);
    check(p.reads + q.reads == 1, S_TABLE,
          "with the %s backend, the first handler closed the other "
          "dispatcher: the other's handler must not run in that turn; "
          "handle_read ran %d + %d times",
          backend, p.reads, q.reads);
    check(newcomer.reads == 0 && newcomer.closes == 0, S_TABLE,
          "with the %s backend, a dispatcher added during a turn, on the fd "
          "number of one just closed, must get none of that turn's events "
          "(they were meant for the closed one: data and a hang-up); its "
          "handle_read ran %d times, its handle_close %d times",
          backend, newcomer.reads, newcomer.closes);
    check_eq(reactor_count(r), 2, S_TABLE,
             "dispatchers after one was closed and one added");

    /* From the next turn on, the newcomer is an ordinary dispatcher. */
    put(newcomer_pair[1], "z");
    turn(r, 0, S_TABLE);
    check_eq(newcomer.reads, 1, S_TABLE,
             "handle_read calls of the added dispatcher in the next turn, "
             "with data for it");

    struct probe *left = p.d.fd >= 0 ? &p : &q;
    reactor_remove(r, &left->d);
    reactor_remove(r, &newcomer.d);
    close(left->d.fd);
    close(newcomer_pair[0]), close(newcomer_pair[1]);
}

static void test_fd_reused_during_a_turn(void **state)
{
    (void)state;
    rt_on_both_backends(reuse_scenario);
}

/* A dispatcher on the heap, ready to read and to write in one turn; its
 * handle_read closes and frees it. */
struct heap_probe {
    struct dispatcher d;
};

static int heap_writes, heap_reads;

static bool yes(struct dispatcher *d)
{
    (void)d;
    return true;
}

static void free_on_read(struct dispatcher *d)
{
    heap_reads++;
    dispatcher_close(d);
    free(d->data);
}

static void count_write(struct dispatcher *d)
{
    (void)d;
    heap_writes++; /* under ASan or valgrind, reaching here is also an error */
}

static const struct dispatcher_ops freeing_ops = {
    .readable = yes,
    .writable = yes,
    .handle_read = free_on_read,
    .handle_write = count_write,
};

static void free_scenario(reactor *r)
{
    heap_reads = heap_writes = 0;
    int a[2];
    pair(a);
    struct heap_probe *h = malloc(sizeof *h);
    check(h != NULL, S_TURN, "out of memory");
    *h = (struct heap_probe){.d = {.fd = a[0], .ops = &freeing_ops}};
    h->d.data = h;
    rt_add(r, &h->d, S_TURN);
    put(a[1], "x"); /* readable now, and writable all along */

    turn(r, 0, S_TURN);
    check_eq(heap_reads, 1, S_TURN, "handle_read calls");
    check_eq(heap_writes, 0, S_TURN,
             "handle_write calls after handle_read closed and freed the "
             "dispatcher in the same turn (the reactor must not touch it "
             "again)");
    check_eq(reactor_count(r), 0, S_TURN,
             "dispatchers left after the only one closed itself");
    close(a[1]);
}

static void hangup_scenario(reactor *r)
{
    int p[2];
    check(pipe2(p, O_CLOEXEC) == 0, S_TURN, "pipe2 failed: %s",
          strerror(errno));
    struct probe q;
    probe_init(&q, p[0]);
    q.want_read = true;
    rt_add(r, &q.d, S_TURN);
    close(p[1]); /* the writer is gone, and wrote nothing */

    turn(r, 0, S_TURN);
    check(q.closes == 1 && q.reads == 0, S_TURN,
          "with the %s backend, a hang-up with nothing to read (a pipe whose "
          "writer closed) should call handle_close once, and not "
          "handle_read; handle_close ran %d times, handle_read %d",
          backend, q.closes, q.reads);
    check_eq(reactor_count(r), 0, S_TURN,
             "dispatchers left after handle_close closed the only one");
}

static void test_hangup_alone_closes(void **state)
{
    (void)state;
    rt_on_both_backends(hangup_scenario);
}

static void test_close_and_free_in_handler(void **state)
{
    (void)state;
    rt_on_both_backends(free_scenario);
}

HARNESS_TESTS("chapters/05-reactor.md",
              cmocka_unit_test(test_create_by_name),
              cmocka_unit_test(test_create_unknown_backend),
              cmocka_unit_test(test_add_remove_count),
              cmocka_unit_test(test_destroy_removes_but_does_not_close),
              cmocka_unit_test(test_default_predicates),
              cmocka_unit_test(test_predicates_asked_every_turn),
              cmocka_unit_test(test_level_triggered),
              cmocka_unit_test(test_writable_predicate),
              cmocka_unit_test(test_poll_zero_returns_at_once),
              cmocka_unit_test(test_loop_ends_when_no_dispatcher_is_left),
              cmocka_unit_test(test_remove_self_in_handler),
              cmocka_unit_test(test_remove_other_in_handler),
              cmocka_unit_test(test_fd_reused_during_a_turn),
              cmocka_unit_test(test_close_and_free_in_handler),
              cmocka_unit_test(test_hangup_alone_closes))
