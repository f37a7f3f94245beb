/*
 * mudstat.c - latency samples and CPU times for the MUD benchmark
 * (mudstat.h).
 */
#define _GNU_SOURCE
#include "mudstat.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void mudstat_add(struct mudstat_samples *s, double value)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4096;
        double *v = realloc(s->v, cap * sizeof *v);
        if (v == NULL)
            return;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = value;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void mudstat_sort(struct mudstat_samples *s)
{
    if (s->n > 0)
        qsort(s->v, s->n, sizeof *s->v, cmp_double);
}

double mudstat_percentile(const struct mudstat_samples *s, double p)
{
    if (s->n == 0)
        return 0;
    size_t k = (size_t)(p * (double)s->n + 0.999999); /* ceil(p n) */
    return s->v[(k < 1 ? 1 : k > s->n ? s->n : k) - 1];
}

void mudstat_free(struct mudstat_samples *s)
{
    free(s->v);
    *s = (struct mudstat_samples){0};
}

double mudstat_own_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double mudstat_proc_cpu_s(pid_t pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    /* The name (field 2) may hold spaces: count from the last ')'. */
    char *p = ok ? strrchr(line, ')') : NULL;
    unsigned long utime, stime;
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

double mudstat_machine_cpu_s(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (f == NULL)
        return -1;
    unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user,
                   &nice, &system, &idle, &iowait, &irq, &softirq, &steal);
    fclose(f);
    if (n != 8)
        return -1;
    return (double)(user + nice + system + irq + softirq + steal) /
           (double)sysconf(_SC_CLK_TCK);
}
