/*
 * mudstat.h - what the MUD benchmark measures besides its clients'
 * traffic: latency samples and their percentiles, and CPU time (of this
 * process, of another one, of the whole machine).
 *
 * Samples are kept whole, not in a histogram: a run has some thousands
 * of commands (1,000 a second for 15 s), and sorting them gives exact
 * percentiles.
 */
#ifndef MUDSTAT_H
#define MUDSTAT_H

#include <stddef.h>
#include <sys/types.h>

struct mudstat_samples {
    double *v;
    size_t n, cap;
};

/* Adds a sample (a failure to grow loses it, not the run). */
void mudstat_add(struct mudstat_samples *s, double value);

/* Sorts the samples; then mudstat_percentile(s, 0.99) is the smallest
 * sample that at least 99% of them do not exceed (0 if there are none). */
void mudstat_sort(struct mudstat_samples *s);
double mudstat_percentile(const struct mudstat_samples *s, double p);

void mudstat_free(struct mudstat_samples *s);

/* CPU time (user + system) of this process so far, in seconds. */
double mudstat_own_cpu_s(void);

/* CPU time of process pid so far, from /proc/PID/stat; -1 if it cannot
 * be read. */
double mudstat_proc_cpu_s(pid_t pid);

/* CPU time the whole machine spent busy (user, nice, system, irq,
 * softirq) or lost to the hypervisor (steal), over all CPUs, from
 * /proc/stat; -1 if it cannot be read. Interrupt time is in: where the
 * kernel counts time by clock ticks (no CONFIG_IRQ_TIME_ACCOUNTING), a
 * tick in a softirq (the loopback traffic a send sets off) is charged to
 * the process that was running as well, so the processes' times add up
 * to more than user + system alone. */
double mudstat_machine_cpu_s(void);

#endif
