/*
 * plain_client.c - a client written for the C library and nothing else:
 * resolve a name, connect, send a request, read the reply until the
 * server closes, close. It includes no header of the workbook and knows
 * nothing of tasklets. test_clients runs 100 of it at once, one per
 * tasklet, after install(); prog_threads runs it in POSIX threads, with
 * and without LD_PRELOAD.
 */
#define _POSIX_C_SOURCE 200809L
#include "plain_client.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* book: plain-client */
ssize_t plain_client(const char *host, const char *port, const char *request,
                     char *reply, size_t size)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *found;
    int rc = getaddrinfo(host, port, &hints, &found);
    if (rc != 0) {
        if (rc != EAI_SYSTEM)
            errno = ENOENT;
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = found; a != NULL; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(found);
    if (fd < 0)
        return -1;

    size_t len = strlen(request), got = 0;
    ssize_t n = 0;
    for (size_t sent = 0; sent < len; sent += (size_t)n) {
        n = send(fd, request + sent, len - sent, MSG_NOSIGNAL);
        if (n < 0)
            goto fail;
    }
    while (got < size - 1 && (n = read(fd, reply + got, size - 1 - got)) > 0)
        got += (size_t)n;
    if (n < 0)
        goto fail;
    reply[got] = '\0';
    close(fd);
    return (ssize_t)got;

fail:
    rc = errno;
    close(fd);
    errno = rc;
    return -1;
}
/* book: end */
