/*
 * watch.h - the grader's side of a sandboxed run: it collects output and
 * the result record, answers seccomp notifications, enforces the
 * wall-clock deadline and reaps (see sandbox.h for the child's side).
 */
#ifndef GRADE_WATCH_H
#define GRADE_WATCH_H

#include <sys/types.h>

struct sandbox_spec;
struct sandbox_result;

/* The descriptors between grader and child: _r/_parent ends stay with
 * the grader, _w/_child ends go to the child. All close-on-exec. */
struct watch_fds {
    int out_r, out_w;       /* stdout and stderr, merged */
    int rec_r, rec_w;       /* the result channel */
    int status_r, status_w; /* setup status, closed by execve */
    int sock_parent, sock_child; /* carries the notification descriptor */
};

int watch_open(struct watch_fds *w);

/* Closes the child's ends; with all set, the grader's ends as well. */
void watch_close(struct watch_fds *w, int all);

/* Watches pid until it and its output are done, or the deadline passes;
 * fills res and closes the grader's ends. Never blocks past the deadline
 * by more than the few seconds a killed process takes to go. */
void watch_run(struct watch_fds *w, pid_t pid, const struct sandbox_spec *spec,
               struct sandbox_result *res);

#endif
