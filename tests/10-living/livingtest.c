/*
 * livingtest.c - folders, files, a living server and client reads for
 * the tests of step 10 (livingtest.h).
 */
#define _GNU_SOURCE
#include "livingtest.h"

#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sock.h"
#include "tasklet.h"
#include "worldfile.h"

/* ---- folders and files ---- */

enum { DIRS_MAX = 8 };
static char made[DIRS_MAX][PATH_MAX];
static size_t nmade;
static pid_t maker; /* only the process that made them removes them */

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)st, (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static void remove_made(void)
{
    if (getpid() != maker)
        return;
    for (size_t i = 0; i < nmade; i++)
        nftw(made[i], remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void lt_tmpdir(char *out)
{
    check(nmade < DIRS_MAX, S_CHECK, "a test asked for too many folders");
    const char *base = getenv("TMPDIR");
    if (base == NULL || *base == '\0')
        base = "/tmp";
    snprintf(out, PATH_MAX, "%s/mud-step10-XXXXXX", base);
    check(mkdtemp(out) != NULL, S_CHECK, "mkdtemp(%s) failed: %s", out,
          strerror(errno));
    if (nmade == 0) {
        maker = getpid();
        atexit(remove_made);
    }
    snprintf(made[nmade++], PATH_MAX, "%s", out);
}

ssize_t lt_read(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    for (ssize_t got; n + 1 < size && (got = read(fd, buf + n,
                                                  size - 1 - n)) > 0;)
        n += (size_t)got;
    close(fd);
    buf[n] = '\0';
    return (ssize_t)n;
}

void lt_write(const char *path, const void *bytes, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    check(fd >= 0 && write(fd, bytes, len) == (ssize_t)len, S_CHECK,
          "writing %s failed: %s", path, strerror(errno));
    close(fd);
}

bool lt_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

const char *lt_player_path(const char *dir, const char *name)
{
    static char paths[4][PATH_MAX + 64];
    static int next;
    char *p = paths[next++ % 4];
    int n = snprintf(p, PATH_MAX, "%s/", dir);
    for (size_t i = 0; name[i] && n < PATH_MAX; i++)
        p[n++] = (char)(name[i] | 0x20);
    snprintf(p + n, 64, ".player");
    return p;
}

void lt_record(const char *dir, const char *name, struct player_record *r,
               const char *section)
{
    static char text[PLAYERFILE_MAX + 1];
    const char *path = lt_player_path(dir, name);
    ssize_t n = lt_read(path, text, sizeof text);
    check(n >= 0, section, "expected %s's file %s, but it cannot be read: "
          "%s", name, path, strerror(errno));
    struct playerfile_error err;
    check(playerfile_parse(text, (size_t)n, r, &err) == 0, section,
          "%s's file %s does not parse (line %d: %s); it holds \"%s\"",
          name, path, err.line, err.message, mt_show(text, (size_t)n));
}

/* ---- a living server ---- */

struct living_config lt_config(const char *dir)
{
    return (struct living_config){.players_dir = dir};
}

static void serve(void *arg)
{
    struct lt_server *s = arg;
    s->mt.rc = living_serve(s->l, s->mt.fd);
    s->served = true;
}

void lt_start(struct lt_server *s, const struct living_config *cfg)
{
    memset(s, 0, sizeof *s);
    struct mud_config base = mt_config();
    base.world = s->mt.world = mt_sample_world();
    errno = 0;
    s->l = living_create(&base, cfg);
    check(s->l != NULL, S_FILES, "living_create failed: %s (does store_open "
          "work? the folder is %s)", strerror(errno), cfg->players_dir);
    s->mt.mud = living_mud(s->l);
    mt_listen(&s->mt);
    tasklet *t = tasklet_spawn(serve, s);
    check(t != NULL, S_CHECK, "the server's tasklet could not be spawned");
    tasklet_set_name(t, "living_serve");
}

void lt_stop(struct lt_server *s)
{
    mt_step("stopping the server");
    living_shutdown(s->l, "The test is over.");
}

void lt_finish(struct lt_server *s)
{
    check(s->served, S_SHUTDOWN, "living_serve never returned");
    check(s->mt.rc == 0, S_SHUTDOWN, "living_serve returned %d, expected 0",
          s->mt.rc);
    check(mud_player_count(s->mt.mud) == 0, S_SHUTDOWN,
          "after living_serve returned, %zu players are still in the game",
          mud_player_count(s->mt.mud));
    check(living_tick(s->l) == NULL && living_npcs(s->l) == NULL, S_SHUTDOWN,
          "after living_serve returned, its tick or NPCs are still there");
    sock_close(s->mt.fd);
    living_destroy(s->l);
    world_free(s->mt.world);
    timer_set_clock(NULL, NULL);
}

/* ---- clients ---- */

void lt_command(struct mt_client *c, const char *line, const char *section)
{
    mt_line(c, "%s", line);
    mt_expect(c, PROMPT, section);
}

const char *lt_take(struct mt_client *c)
{
    static char text[sizeof c->buf + 1];
    size_t n = c->len;
    memcpy(text, c->buf, n);
    c->len = 0;
    for (ssize_t got; n < sizeof text - 1 &&
                      (got = sock_recv(c->fd, text + n, sizeof text - 1 - n,
                                       MSG_DONTWAIT)) > 0;)
        n += (size_t)got;
    text[n] = '\0';
    return text;
}
