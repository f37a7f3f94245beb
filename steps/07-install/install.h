/*
 * install.h - plain POSIX calls that block only the calling tasklet.
 *
 * The workbook defines socket, connect, accept, accept4, recv, recvfrom,
 * send, sendto, read, write, close, poll, sleep, usleep and nanosleep
 * itself (and, to keep them honest, fcntl, fcntl64, setsockopt and the
 * _FORTIFY_SOURCE variants __read_chk, __recv_chk, __recvfrom_chk and
 * __poll_chk). Code that calls them by their plain names, without any
 * workbook header, gets these definitions instead of the C library's:
 * in a program linked with the runtime's archives as soon as it calls
 * install(), and in any program at all through LD_PRELOAD of the runtime
 * built as a shared library (libgreen.so, whose constructor calls
 * install()).
 *
 * Before install(), after uninstall(), on any OS thread other than the
 * one that called install(), and from inside the scheduler's poller, each
 * call goes straight to the C library. Otherwise:
 *
 *   - calls on a socket go to step 06's layer, so that a call that would
 *     block parks the calling tasklet (the main tasklet included) and the
 *     others run; sockets made before install() are adopted on first use;
 *   - calls on any other descriptor (files, pipes, terminals, and the
 *     standard streams 0, 1 and 2, which are shared with whoever started
 *     the program) go to the C library, and their flags are never touched;
 *   - a socket its caller made non-blocking (O_NONBLOCK, SOCK_NONBLOCK,
 *     MSG_DONTWAIT) answers EAGAIN as usual, and F_GETFL shows the caller
 *     its own O_NONBLOCK, not the layer's;
 *   - poll() parks the tasklet until one of its descriptors is ready or
 *     the timeout passes; a timeout of 0 never parks;
 *   - sleep(), usleep() and nanosleep() park the tasklet on a timer.
 *
 * The runtime's own interruptions (tasklet_cancel, a deadline from
 * timer.h) end a parked socket call with ECANCELED or ETIMEDOUT, as in
 * step 06; they end poll and the sleeps with EINTR, the one interruption
 * their callers know, and nanosleep reports the time left.
 */
#ifndef INSTALL_H
#define INSTALL_H

#include <stdbool.h>

/* Starts routing the calls above through the runtime, on the calling
 * thread. Installing again is harmless. Returns 0, or -1 with errno
 * EBUSY if the runtime is already installed on another thread. */
int install(void);

/* Stops routing: every call goes to the C library again. Sockets the
 * layer manages get back the blocking mode their callers asked for. */
void uninstall(void);

/* Whether calls made now, on this thread, go through the runtime: between
 * install() and uninstall(), on the thread that called install(). */
bool install_active(void);

#endif
