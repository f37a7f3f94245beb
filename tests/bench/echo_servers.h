/*
 * echo_servers.h - the echo servers written in C that bench_net measures,
 * four ways of serving many connections at once:
 *
 *   echo_serve_tasklets  a tasklet per connection, written against step
 *                        06's layer (sock_accept, sock_recv, sock_send)
 *   echo_serve_install   a tasklet per connection, written with the plain
 *                        POSIX calls (accept, recv, send, close) that
 *                        step 07's install() routes to that same layer
 *   echo_serve_reactor   step 05's callback reactor: one dispatcher per
 *                        connection, callbacks instead of a loop
 *   echo_serve_pthreads  an OS thread per connection, plain blocking
 *                        sockets: the very same per-connection function as
 *                        echo_serve_install, on threads instead of tasklets
 *
 * Each takes a listening socket (bound, listening, either blocking mode)
 * and serves it until the process is killed: bench_net runs each in a
 * process of its own and ends it with SIGKILL. Each echoes whatever it
 * reads, reading at most ECHO_BUF bytes at a time, with TCP_NODELAY on
 * every connection (Go's default: replies leave at once).
 *
 * A failure that ends one connection (the peer reset it, no memory for a
 * new thread) closes that connection, says so once on stderr, and the
 * server goes on.
 */
#ifndef ECHO_SERVERS_H
#define ECHO_SERVERS_H

#define ECHO_BUF 16384

/* For the threads of echo_serve_pthreads: small, so that 10,000 fit. */
#define ECHO_THREAD_STACK (64 * 1024)

_Noreturn void echo_serve_tasklets(int listen_fd);
_Noreturn void echo_serve_install(int listen_fd);
_Noreturn void echo_serve_reactor(int listen_fd);
_Noreturn void echo_serve_pthreads(int listen_fd);

#endif
