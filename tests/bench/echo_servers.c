/*
 * echo_servers.c - four echo servers in C, for bench_net (echo_servers.h
 * says what each one is).
 *
 * Read them side by side: the two tasklet servers and the thread server
 * are the same ten lines of "receive, send back, until the end", and
 * differ only in what runs those lines; the reactor server spreads the
 * same work over a struct and five callbacks, because no callback may
 * wait.
 *
 * Every server reads at most ECHO_BUF bytes at a time and sends back
 * exactly what it read, with TCP_NODELAY set on each connection. They
 * never exit: bench_net kills them.
 */
#define _GNU_SOURCE
#include "echo_servers.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "install.h"
#include "reactor.h"
#include "sock.h"
#include "tasklet.h"
#include "timer.h"

/* Says on stderr what went wrong, the first time it goes wrong in this
 * server process (a failure at 10,000 connections may repeat thousands of
 * times). */
static void say_once(bool *said, const char *server, const char *what,
                     int err)
{
    if (*said)
        return;
    *said = true;
    fprintf(stderr, "echo server (%s): %s failed: %s (said once; the "
                    "server goes on)\n", server, what, strerror(err));
}

/* Whether an accept() error is one to simply try again after. */
static bool accept_again(int err)
{
    return err == EINTR || err == ECONNABORTED || err == EAGAIN;
}

static void no_delay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* ---- one connection in plain blocking style (threads, install) ---- */

/* The code any POSIX programmer writes for one connection: no workbook
 * call in it. On an OS thread, recv and send block the thread. Under
 * step 07's install(), on a tasklet, a recv or send that would block
 * parks only that tasklet. (A blocking send writes the whole buffer.) */
static void echo_connection(int fd)
{
    char buf[ECHO_BUF];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
        if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
            break;
    close(fd);
}

/* ---- (1) a tasklet per connection, step 06 ---- */

static void tasklet_connection(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[ECHO_BUF];
    ssize_t n;
    while ((n = sock_recv(fd, buf, sizeof buf, 0)) > 0)
        if (sock_send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
            break;
    sock_close(fd);
}

/* The main tasklet accepts: sock_accept parks it whenever no connection
 * is waiting, and the connections' tasklets run meanwhile. */
_Noreturn void echo_serve_tasklets(int listen_fd)
{
    static bool said_accept, said_spawn;
    for (;;) {
        int fd = sock_accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            if (!accept_again(errno)) {
                say_once(&said_accept, "tasklets", "sock_accept", errno);
                timer_sleep(1000000); /* out of fds: let others finish */
            }
            continue;
        }
        int one = 1;
        sock_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (tasklet_spawn(tasklet_connection, (void *)(intptr_t)fd) == NULL) {
            say_once(&said_spawn, "tasklets", "tasklet_spawn", errno);
            sock_close(fd);
        }
    }
}

/* ---- (2) a tasklet per connection, plain POSIX under install() ---- */

static void install_connection(void *arg)
{
    echo_connection((int)(intptr_t)arg);
}

/* The same as (1), but in plain calls: after install(), accept parks the
 * main tasklet, and echo_connection's recv and send park theirs. */
_Noreturn void echo_serve_install(int listen_fd)
{
    static bool said_accept, said_spawn;
    if (install() < 0) {
        perror("echo server (install): install");
        exit(1);
    }
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            if (!accept_again(errno)) {
                say_once(&said_accept, "install", "accept", errno);
                usleep(1000); /* parks the main tasklet, too */
            }
            continue;
        }
        no_delay(fd);
        if (tasklet_spawn(install_connection, (void *)(intptr_t)fd) == NULL) {
            say_once(&said_spawn, "install", "tasklet_spawn", errno);
            close(fd);
        }
    }
}

/* ---- (3) step 05's callback reactor ---- */

/* One connection's state, which the tasklet servers keep in local
 * variables: the buffer, and how much of it is still to be sent back. */
struct echo_conn {
    struct dispatcher d; /* first: the callbacks get &conn->d */
    size_t start, end;   /* buf[start, end) is read but not yet sent */
    char buf[ECHO_BUF];
};

/* Read only once everything read before has gone back; write only while
 * something waits to go. That is the flow control a blocking loop gets
 * for free by doing one thing after the other. */
static bool conn_readable(struct dispatcher *d)
{
    struct echo_conn *c = (struct echo_conn *)d;
    return c->start == c->end;
}

static bool conn_writable(struct dispatcher *d)
{
    struct echo_conn *c = (struct echo_conn *)d;
    return c->start != c->end;
}

/* Sends what waits, as much as fits now; the rest goes at the next
 * handle_write. */
static void conn_flush(struct echo_conn *c)
{
    ssize_t n = dispatcher_send(&c->d, c->buf + c->start, c->end - c->start);
    if (n < 0)
        return; /* it failed and handle_error freed c */
    c->start += (size_t)n;
    if (c->start == c->end)
        c->start = c->end = 0;
}

static void conn_read(struct dispatcher *d)
{
    struct echo_conn *c = (struct echo_conn *)d;
    ssize_t n = dispatcher_recv(d, c->buf, sizeof c->buf);
    if (n <= 0)
        return; /* nothing after all (0), or closed and freed (-1) */
    c->start = 0;
    c->end = (size_t)n;
    conn_flush(c);
}

static void conn_write(struct dispatcher *d)
{
    conn_flush((struct echo_conn *)d);
}

static void conn_close(struct dispatcher *d)
{
    dispatcher_close(d);
    free(d);
}

static void conn_error(struct dispatcher *d, int err)
{
    (void)err; /* the peer reset it: nothing to say */
    conn_close(d);
}

static const struct dispatcher_ops conn_ops = {
    .readable = conn_readable,
    .writable = conn_writable,
    .handle_read = conn_read,
    .handle_write = conn_write,
    .handle_close = conn_close,
    .handle_error = conn_error,
};

/* Accepts every connection waiting, as the tasklet servers do, and adds
 * a dispatcher for each. */
static void listener_accept(struct dispatcher *d)
{
    static bool said_accept, said_add;
    for (;;) {
        int fd = dispatcher_accept(d);
        if (fd < 0) {
            if (!accept_again(errno))
                say_once(&said_accept, "reactor", "accept", errno);
            return;
        }
        no_delay(fd);
        /* malloc, not calloc: the buffer needs no zeroing, and untouched
         * pages cost no memory. */
        struct echo_conn *c = malloc(sizeof *c);
        if (c == NULL) {
            close(fd);
            say_once(&said_add, "reactor", "malloc", ENOMEM);
            continue;
        }
        c->d = (struct dispatcher){.fd = fd, .ops = &conn_ops,
                                   .connected = true};
        c->start = c->end = 0;
        if (reactor_add(d->reactor, &c->d) < 0) {
            say_once(&said_add, "reactor", "reactor_add", errno);
            close(fd);
            free(c);
        }
    }
}

static const struct dispatcher_ops listener_ops = {
    .handle_accept = listener_accept,
};

_Noreturn void echo_serve_reactor(int listen_fd)
{
    static struct dispatcher listener;
    reactor *r = reactor_create("epoll");
    if (r == NULL) {
        perror("echo server (reactor): reactor_create");
        exit(1);
    }
    listener = (struct dispatcher){.fd = listen_fd, .ops = &listener_ops,
                                   .accepting = true};
    if (reactor_add(r, &listener) < 0 || reactor_loop(r, -1, 0) < 0)
        perror("echo server (reactor)");
    exit(1); /* the loop ends only if the listener went away */
}

/* ---- (4) an OS thread per connection ---- */

static void *thread_connection(void *arg)
{
    echo_connection((int)(intptr_t)arg);
    return NULL;
}

/* Detached threads with ECHO_THREAD_STACK of stack instead of the
 * default 8 MiB: 10,000 threads then reserve 640 MiB of address space. */
_Noreturn void echo_serve_pthreads(int listen_fd)
{
    static bool said_accept, said_create;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, ECHO_THREAD_STACK);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            if (!accept_again(errno)) {
                say_once(&said_accept, "pthreads", "accept", errno);
                usleep(1000);
            }
            continue;
        }
        no_delay(fd);
        pthread_t t;
        int err = pthread_create(&t, &attr, thread_connection,
                                 (void *)(intptr_t)fd);
        if (err != 0) {
            say_once(&said_create, "pthreads", "pthread_create", err);
            close(fd); /* this connection cannot be served */
        }
    }
}
