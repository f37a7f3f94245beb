/*
 * prog_threads.c - a plain POSIX program with one thread per client. It
 * includes no workbook header and is linked with no part of the runtime.
 *
 * It listens on 127.0.0.1, on a port the kernel picks, and starts a
 * server thread and N client threads (N is the argument, 20 by default),
 * each running plain_client. The server accepts N connections and reads
 * every request before it answers any, so at that moment each client
 * thread is blocked in read(); then it counts the OS threads of the
 * process (the "Threads:" line of /proc/self/status). At the end the
 * program prints
 *
 *     threads: T
 *     replies: R
 *
 * Run as it is, T is N + 2: main, the server and N clients. Run under
 * LD_PRELOAD with the runtime's shared library, each thread is a tasklet
 * and T is 1; R is N either way:
 *
 *     build/default/bin/solutions/07-install/prog_threads 50
 *     LD_PRELOAD=build/default/lib/solutions/07-install/libgreen.so \
 *         build/default/bin/solutions/07-install/prog_threads 50
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "plain_client.h"

struct server {
    int listener;
    int n;
    int threads; /* OS threads while every client waited */
};

struct client {
    int id;
    char port[16];
    int ok; /* the expected reply came */
};

static void die(const char *what)
{
    perror(what);
    exit(2);
}

/* book: count-threads */
/* The number of OS threads in this process, as the kernel counts them. */
static int os_threads(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}
/* book: end */

/* Reads one line (without its newline) from fd into line. */
static void read_line(int fd, char *line, size_t size)
{
    size_t len = 0;
    char c;
    while (len < size - 1 && read(fd, &c, 1) == 1 && c != '\n')
        line[len++] = c;
    line[len] = '\0';
}

/* book: server */
static void *serve(void *arg)
{
    struct server *s = arg;
    int *conns = calloc((size_t)s->n, sizeof *conns);
    char (*requests)[64] = calloc((size_t)s->n, sizeof *requests);
    if (conns == NULL || requests == NULL)
        die("calloc");
    for (int i = 0; i < s->n; i++)
        if ((conns[i] = accept(s->listener, NULL, NULL)) < 0)
            die("accept");
    for (int i = 0; i < s->n; i++)
        read_line(conns[i], requests[i], sizeof requests[i]);
    s->threads = os_threads(); /* every client is waiting for its reply */
    for (int i = 0; i < s->n; i++) {
        char reply[128];
        int len = snprintf(reply, sizeof reply, "reply to %s\n", requests[i]);
        if (write(conns[i], reply, (size_t)len) != len)
            die("write");
        close(conns[i]);
    }
    free(requests);
    free(conns);
    return NULL;
}

static void *client(void *arg)
{
    struct client *c = arg;
    char request[64], expected[128], reply[128];
    snprintf(request, sizeof request, "client %d\n", c->id);
    snprintf(expected, sizeof expected, "reply to client %d\n", c->id);
    ssize_t n = plain_client("127.0.0.1", c->port, request, reply, sizeof reply);
    c->ok = n >= 0 && strcmp(reply, expected) == 0;
    return NULL;
}
/* book: end */

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20;
    if (n < 1)
        n = 1;

    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, len) < 0 ||
        listen(listener, n) < 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &len) < 0)
        die("listen");

    struct server s = {.listener = listener, .n = n};
    struct client *clients = calloc((size_t)n, sizeof *clients);
    pthread_t server, *threads = calloc((size_t)n, sizeof *threads);
    if (clients == NULL || threads == NULL)
        die("calloc");
    if (pthread_create(&server, NULL, serve, &s) != 0)
        die("pthread_create");
    for (int i = 0; i < n; i++) {
        clients[i].id = i;
        snprintf(clients[i].port, sizeof clients[i].port, "%d",
                 ntohs(addr.sin_port));
        if (pthread_create(&threads[i], NULL, client, &clients[i]) != 0)
            die("pthread_create");
    }
    int replies = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        replies += clients[i].ok;
    }
    pthread_join(server, NULL);
    close(listener);

    printf("threads: %d\nreplies: %d\n", s.threads, replies);
    free(threads);
    free(clients);
    return replies == n ? 0 : 1;
}
