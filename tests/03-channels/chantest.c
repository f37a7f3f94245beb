/*
 * chantest.c - what step 03's test files share (chantest.h).
 */
#include "chantest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct ct_call ct_record(int ret)
{
    return (struct ct_call){.done = true, .ret = ret,
                            .err = ret < 0 ? errno : 0};
}

const char *ct_err_name(int e, char *buf, size_t size)
{
    switch (e) {
    case EPIPE: return "EPIPE";
    case ECANCELED: return "ECANCELED";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EDEADLK: return "EDEADLK";
    case ENOSYS: return "ENOSYS (still the starter's TODO?)";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    }
    snprintf(buf, size, "%d (%s)", e, strerror(e));
    return buf;
}

const char *ct_describe_want(int ret, int err, char *buf, size_t size)
{
    char name[64];
    if (ret >= 0)
        snprintf(buf, size, "%d", ret);
    else
        snprintf(buf, size, "%d with errno %s", ret,
                 ct_err_name(err, name, sizeof name));
    return buf;
}

const char *ct_describe_got(struct ct_call c, char *buf, size_t size)
{
    char name[64];
    if (!c.done)
        snprintf(buf, size, "no return at all (the tasklet never came back "
                            "from the call)");
    else if (c.ret >= 0)
        snprintf(buf, size, "%d", c.ret);
    else
        snprintf(buf, size, "%d with errno %s", c.ret,
                 ct_err_name(c.err, name, sizeof name));
    return buf;
}

chan *ct_new_chan(void)
{
    errno = 0;
    chan *c = chan_create();
    check(c != NULL, S_DESTROY,
          "chan_create: expected a new channel, got NULL (errno %s)",
          ct_err_name(errno, (char[64]){0}, 64));
    return c;
}

tasklet *ct_spawn(void (*fn)(void *), void *arg, const char *name)
{
    tasklet *t = tasklet_spawn(fn, arg);
    check(t != NULL, ct_spawn_section,
          "tasklet_spawn returned NULL (errno %d): step 02 must work first",
          errno);
    if (name)
        tasklet_set_name(t, name);
    return t;
}

void ct_run_all(const char *section)
{
    errno = 0;
    int r = tasklet_run();
    int e = errno;
    check(r == 0, section,
          "tasklet_run: expected 0 (every tasklet finished), got %d with "
          "errno %s: some tasklet is still blocked in a channel",
          r, ct_err_name(e, (char[64]){0}, 64));
}
