/*
 * mud.c - the server: accept loop, sessions, the registry of players
 * (mud.h).
 *
 * Given code: the same in steps/ and in the solutions. It is the glue
 * that the modules you write plug into: conn.h, login.h, game.h.
 *
 * A session is one connection's tasklet, from accept to close. Its whole
 * life is the function session(), which reads like the protocol: open
 * the connection, log in, play, leave, close.
 *
 * Invariants:
 *   - m->sessions lists every session whose tasklet has not finished;
 *     mud_serve returns only once it is empty, so no tasklet outlives the
 *     server it points to.
 *   - A player is in the registry exactly while its body is in the world;
 *     p->conn is the one connection playing it. The session whose conn
 *     that is may act for the player; a session whose player was taken
 *     over (p->conn changed while it waited) must not touch p again.
 *   - Nothing between two conn_read_line calls blocks: a command runs to
 *     its end with the world to itself.
 */
#define _GNU_SOURCE
#include "mud.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chan.h"
#include "game.h"
#include "login.h"
#include "sock.h"
#include "tasklet.h"

struct session {
    struct mud *m;
    int fd;
    conn *c;                    /* NULL until the session opens it */
    struct session *prev, *next;
};

struct mud {
    struct mud_config cfg;
    bool own_store;             /* cfg.store is ours to close */
    command_table *commands;
    struct player *first, *last;
    size_t nplayers;
    struct session *sessions;
    size_t nsessions;
    chan *ended;                /* mud_serve waits here for sessions */
    tasklet *server;            /* the tasklet in mud_serve, or NULL */
    bool stopping, interrupted;
    char farewell[256];
};

/* ---- output ---- */

/* Formats into buf (cut to size); returns the length kept. */
static size_t format(char *buf, size_t size, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, size, fmt, ap);
    if (n < 0)
        return 0;
    return (size_t)n < size ? (size_t)n : size - 1;
}

void mud_tell(struct player *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    conn_vprintf(p->conn, fmt, ap);
    va_end(ap);
}

void mud_to_room(struct room *r, const struct body *except1,
                 const struct body *except2, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    size_t n = format(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (struct body *b = r ? r->first : NULL; b; b = b->next)
        if (b->kind == BODY_PLAYER && b != except1 && b != except2)
            conn_send(((struct player *)b->owner)->conn, buf, n);
}

void mud_to_all(struct mud *m, const struct player *except,
                const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    size_t n = format(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (struct player *p = m->first; p; p = p->next)
        if (p != except)
            conn_send(p->conn, buf, n);
}

/* ---- the registry ---- */

struct player *mud_players(const struct mud *m) { return m->first; }
size_t mud_player_count(const struct mud *m) { return m->nplayers; }
command_table *mud_commands(struct mud *m) { return m->commands; }
struct world *mud_world(const struct mud *m) { return m->cfg.world; }
const struct mud_config *mud_config(const struct mud *m) { return &m->cfg; }

struct player *mud_find_player(const struct mud *m, const char *name)
{
    for (struct player *p = m->first; p; p = p->next)
        if (strcasecmp(p->name, name) == 0)
            return p;
    return NULL;
}

int mud_save(struct player *p)
{
    struct player_record r = {0};
    snprintf(r.name, sizeof r.name, "%s", p->name);
    snprintf(r.hash, sizeof r.hash, "%s", p->hash);
    if (p->body.room)
        snprintf(r.room, sizeof r.room, "%s", p->body.room->id);
    for (struct item *it = p->body.carried.first;
         it && r.nitems < PLAYER_ITEMS_MAX; it = it->next)
        snprintf(r.items[r.nitems++], sizeof r.items[0], "%s", it->kind->id);
    struct player_store *s = p->mud->cfg.store;
    return s->save(s, &r);
}

struct player *mud_enter(struct mud *m, const struct player_record *r,
                         conn *c)
{
    struct player *p = calloc(1, sizeof *p);
    if (p == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf(p->name, sizeof p->name, "%s", r->name);
    for (size_t i = 0; p->name[i]; i++)
        p->keywords[i] = (char)tolower((unsigned char)p->name[i]);
    snprintf(p->hash, sizeof p->hash, "%s", r->hash);
    p->body = (struct body){.name = p->name, .keywords = p->keywords,
                            .kind = BODY_PLAYER, .owner = p};
    p->conn = c;
    p->mud = m;
    for (size_t i = 0; i < r->nitems && i < PLAYER_ITEMS_MAX; i++) {
        struct item_kind *k = world_find_kind(m->cfg.world, r->items[i]);
        if (k) /* a kind the world no longer has is lost */
            world_item_new(k, &p->body.carried);
    }
    struct room *room = world_find_room(m->cfg.world, r->room);
    if (room == NULL)
        room = m->cfg.world->start;

    p->prev = m->last;
    if (m->last)
        m->last->next = p;
    else
        m->first = p;
    m->last = p;
    m->nplayers++;
    mud_to_room(room, NULL, NULL, "%s has entered the game.\n", p->name);
    world_body_move(&p->body, room);
    if (m->cfg.hooks.entered)
        m->cfg.hooks.entered(p, m->cfg.hooks.ctx);
    return p;
}

/* book: take-over */
void mud_take_over(struct player *p, conn *c)
{
    conn *old = p->conn;
    p->conn = c; /* from now on, the old session keeps its hands off p */
    conn_kick(old, "\nSomeone has logged in as you from elsewhere. "
                   "Goodbye.\n");
    conn_printf(c, "You take over %s, already in the game.\n", p->name);
}
/* book: end */

/* Takes p out of the game: saved, announced, its body and items gone. */
static void leave(struct player *p, const char *why)
{
    struct mud *m = p->mud;
    if (m->cfg.hooks.leaving)
        m->cfg.hooks.leaving(p, m->cfg.hooks.ctx);
    mud_save(p); /* a store that fails keeps the older record */
    struct room *room = p->body.room;
    world_body_move(&p->body, NULL);
    if (why)
        mud_to_room(room, NULL, NULL, why, p->name);
    while (p->body.carried.first)
        world_item_free(p->body.carried.first);
    if (p->prev)
        p->prev->next = p->next;
    else
        m->first = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        m->last = p->prev;
    m->nplayers--;
    free(p);
}

/* ---- a session ---- */

/* book: play */
/* The game, for the session whose connection c plays p. */
static void play(struct mud *m, struct player *p, conn *c)
{
    int64_t idle = m->cfg.idle_ns > 0 ? m->cfg.idle_ns : 0;
    char line[TELNET_LINE_MAX + 1];
    game_look(p);
    for (;;) {
        conn_prompt(c, "> ");
        const char *text;
        ssize_t n = conn_read_line(c, idle, &text);
        int err = errno;
        if (p->conn != c)
            return; /* taken over while we waited: not ours any more */
        if (n < 0 && err == ETIMEDOUT) {
            conn_printf(c, "You have been idle too long. Goodbye.\n");
            leave(p, "%s has been idle too long, and fades away.\n");
            return;
        }
        if (n < 0 && err == ECONNABORTED) {
            leave(p, "%s is dropped (output queue full).\n");
            return;
        }
        if (n < 0 || text == NULL) { /* an empty line is "", not the end */
            leave(p, m->stopping ? NULL : "%s has lost the link.\n");
            return;
        }
        memcpy(line, text, (size_t)n + 1);
        if (game_execute(p, line) == COMMAND_QUIT) {
            leave(p, "%s has left the game.\n");
            return;
        }
    }
}

static void session(void *arg)
{
    struct session *s = arg;
    struct mud *m = s->m;
    s->c = conn_open(s->fd, &m->cfg.conn);
    if (s->c == NULL) {
        sock_close(s->fd);
    } else {
        if (m->stopping) /* the server stopped before we got here */
            conn_kick(s->c, m->farewell);
        struct player *p = login_run(m, s->c);
        if (p)
            play(m, p, s->c);
        conn_close(s->c, m->cfg.linger_ns);
    }
    if (s->prev)
        s->prev->next = s->next;
    else
        m->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    m->nsessions--;
    if (chan_balance(m->ended) < 0) /* mud_serve waits for us */
        chan_send(m->ended, NULL);
    free(s);
}
/* book: end */

static int session_start(struct mud *m, int fd)
{
    struct session *s = calloc(1, sizeof *s);
    if (s == NULL) {
        errno = ENOMEM;
        return -1;
    }
    s->m = m;
    s->fd = fd;
    tasklet *t = tasklet_spawn(session, s);
    if (t == NULL) {
        free(s);
        return -1;
    }
    char name[TASKLET_NAME_MAX];
    snprintf(name, sizeof name, "mud session fd %d", fd);
    tasklet_set_name(t, name);
    s->next = m->sessions;
    if (m->sessions)
        m->sessions->prev = s;
    m->sessions = s;
    m->nsessions++;
    return 0;
}

/* ---- the server ---- */

struct mud *mud_create(const struct mud_config *cfg)
{
    if (cfg == NULL || cfg->world == NULL) {
        errno = EINVAL;
        return NULL;
    }
    struct mud *m = calloc(1, sizeof *m);
    if (m == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    m->cfg = *cfg;
    if (m->cfg.login_idle_ns <= 0)
        m->cfg.login_idle_ns = MUD_LOGIN_IDLE;
    if (m->cfg.idle_ns == 0)
        m->cfg.idle_ns = MUD_IDLE;
    if (m->cfg.linger_ns <= 0)
        m->cfg.linger_ns = MUD_LINGER;
    snprintf(m->farewell, sizeof m->farewell, "\nThe server is stopping.\n");
    if (m->cfg.store == NULL) {
        m->cfg.store = player_store_memory();
        m->own_store = true;
    }
    m->commands = command_table_create();
    m->ended = chan_create();
    if (m->cfg.store == NULL || m->commands == NULL || m->ended == NULL ||
        game_register(m->commands) < 0) {
        mud_free(m);
        errno = ENOMEM;
        return NULL;
    }
    chan_set_preference(m->ended, 1);
    return m;
}

void mud_free(struct mud *m)
{
    if (m == NULL)
        return;
    if (m->own_store && m->cfg.store)
        m->cfg.store->close(m->cfg.store);
    command_table_free(m->commands);
    if (m->ended)
        chan_destroy(m->ended);
    free(m);
}

/* Errors of accept that concern one connection, not the server. */
static bool passing(int err)
{
    return err == ECONNABORTED || err == EINTR || err == EPROTO ||
           err == EPERM || err == EAGAIN;
}

/* Errors of accept that pass once some connection has closed. */
static bool out_of_room(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* book: serve */
int mud_serve(struct mud *m, int listen_fd)
{
    int err = 0;
    m->server = tasklet_current();
    while (!m->stopping) {
        int fd = sock_accept(listen_fd, NULL, NULL);
        if (fd >= 0) {
            if (m->stopping || session_start(m, fd) < 0)
                sock_close(fd);
        } else if (errno == ECANCELED) {
            break;
        } else if (out_of_room(errno) && m->nsessions > 0) {
            chan_receive(m->ended, NULL); /* until a session ends */
        } else if (!passing(errno)) {
            err = errno;
            break;
        }
    }
    /* Stop: every session is told, ends, saves its player. */
    m->stopping = true;
    for (struct session *s = m->sessions; s; s = s->next)
        if (s->c)
            conn_kick(s->c, m->farewell);
    while (m->nsessions > 0)
        chan_receive(m->ended, NULL);
    if (m->interrupted) /* mud_shutdown's cancel, if nothing took it */
        tasklet_clear_interrupt(tasklet_current(), ECANCELED);
    m->server = NULL;
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

void mud_shutdown(struct mud *m, const char *message)
{
    if (message)
        snprintf(m->farewell, sizeof m->farewell, "\n%s\n", message);
    if (m->stopping)
        return;
    m->stopping = true;
    if (m->server && m->server != tasklet_current()) {
        m->interrupted = true;
        tasklet_cancel(m->server); /* out of its accept */
    }
}
/* book: end */
