/*
 * plain_client.h - a client in plain POSIX, for step 07's tests and
 * programs. Neither it nor plain_client.c includes a workbook header.
 */
#ifndef PLAIN_CLIENT_H
#define PLAIN_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

/* Connects to host:port, sends request, and reads the reply until the
 * server closes the connection, keeping at most size - 1 bytes of it in
 * reply (NUL-terminated). Returns the reply's length, or -1 with errno
 * (ENOENT when the name does not resolve). */
ssize_t plain_client(const char *host, const char *port, const char *request,
                     char *reply, size_t size);

#endif
