/* context_init starts an OS thread, as if tasklets were threads. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static void *spin(void *arg)
{
    return arg;
}

static void adversary(void)
{
    pthread_t t;
    int rc = pthread_create(&t, NULL, spin, NULL);
    fprintf(stderr, "pthread_create: %s\n", rc ? strerror(rc) : "started");
    if (rc == 0)
        pthread_join(t, NULL);
}
