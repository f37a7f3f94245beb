/*
 * worldfile.c - the world file loader (worldfile.h).
 *
 * One pass over the lines builds the rooms, item kinds and NPCs in
 * growing arrays, remembering each reference to a room by id (an exit's
 * target, where an item or NPC starts) with the line it came from. A
 * second pass, once every room is known, resolves the references: that
 * is what lets an exit lead to a room defined further down. Only then,
 * with the arrays at their final addresses, do pointers into them get
 * taken: the items placed, the NPCs' bodies put into their rooms.
 *
 * Invariants:
 *   - The first error wins: fail() records it, and every function returns
 *     -1 from then on without touching the error again.
 *   - w->nrooms (nkinds, nnpcs) counts entries whose every pointer is
 *     NULL or owned, so world_free can free a world left halfway.
 *   - rec is the record being read: its kind and index, and the line of
 *     each field seen so far (0: not seen), for "a second title" and
 *     "no title" errors.
 */
#include "worldfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum rec_kind { REC_NONE, REC_ROOM, REC_ITEM, REC_NPC };

/* A reference to a room by id, resolved once the whole file is read. */
struct ref {
    enum rec_kind kind; /* REC_ROOM: an exit of room `index` */
    size_t index, exit;
    char id[WORLD_ID_MAX + 1];
    int line;
};

struct parser {
    const char *text, *name;
    size_t n, pos;
    int line;
    struct worldfile_error *err;
    bool failed;
    struct world *w;
    struct ref *refs;
    size_t nrefs;
    struct {
        enum rec_kind kind;
        size_t index;
        int line, title, desc, name, keywords, room, wander;
    } rec;
    int start_line, name_line;
    char start[WORLD_ID_MAX + 1];
};

static const char *const kind_name[] = {"", "room", "item", "npc"};

static int fail(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* book: fail */
static int fail(struct parser *p, int line, const char *fmt, ...)
{
    if (!p->failed) {
        p->failed = true;
        p->err->line = line;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err->text, sizeof p->err->text, fmt, ap);
        va_end(ap);
    }
    errno = EINVAL;
    return -1;
}
/* book: end */

/* Grows *array (of n entries of size bytes) by one zeroed entry. */
static void *grow(struct parser *p, void *array, size_t n, size_t size)
{
    char *a = realloc(array, (n + 1) * size);
    if (a == NULL) {
        fail(p, p->line, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    memset(a + n * size, 0, size);
    return a;
}

static char *copy(struct parser *p, const char *s)
{
    char *c = strdup(s);
    if (c == NULL)
        fail(p, p->line, "out of memory");
    return c;
}

/* ---- lines ---- */

/* book: lines */
/* The next line into buf, CR LF or LF removed: 1, or 0 at the end. */
static int next_line(struct parser *p, char *buf)
{
    if (p->pos >= p->n)
        return 0;
    p->line++;
    const char *s = p->text + p->pos;
    const char *nl = memchr(s, '\n', p->n - p->pos);
    size_t len = nl ? (size_t)(nl - s) : p->n - p->pos;
    p->pos += len + (nl != NULL);
    if (len > 0 && s[len - 1] == '\r')
        len--;
    if (len > WORLDFILE_LINE_MAX)
        return fail(p, p->line, "a line longer than %d bytes",
                    WORLDFILE_LINE_MAX);
    if (memchr(s, '\0', len))
        return fail(p, p->line, "a NUL byte: this is not a text file");
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 1;
}
/* book: end */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Splits s at its first blank: returns the rest, trimmed. */
static char *split(char *s)
{
    char *rest = s + strcspn(s, " \t");
    if (*rest)
        *rest++ = '\0';
    return trim(rest);
}

static bool valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > WORLD_ID_MAX)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

static int check_id(struct parser *p, const char *id)
{
    if (!valid_id(id))
        return fail(p, p->line, "'%s' is not a valid id: use 1 to %d "
                    "lowercase letters, digits, '_' or '-'", id, WORLD_ID_MAX);
    return 0;
}

/* book: desc */
/* Reads a description: the lines after "desc", up to a line holding only
 * "." (blanks around it allowed). Returns it, ending in LF, or NULL. */
static char *read_desc(struct parser *p)
{
    int begun = p->line;
    char buf[WORLDFILE_LINE_MAX + 1];
    size_t len = 0;
    char *d = NULL;
    int r;
    while ((r = next_line(p, buf)) == 1) {
        size_t k = strlen(buf);
        while (k > 0 && (buf[k - 1] == ' ' || buf[k - 1] == '\t'))
            buf[--k] = '\0';
        if (strcmp(trim(buf), ".") == 0) {
            if (len == 0)
                fail(p, begun, "the description is empty");
            return p->failed ? (free(d), NULL) : d;
        }
        char *grown = realloc(d, len + k + 2);
        if (grown == NULL) {
            free(d);
            fail(p, p->line, "out of memory");
            return NULL;
        }
        d = grown;
        memcpy(d + len, buf, k);
        len += k;
        d[len++] = '\n';
        d[len] = '\0';
    }
    free(d);
    if (r == 0)
        fail(p, begun, "the description begun here never ends: end it "
             "with a line holding only '.'");
    return NULL;
}
/* book: end */

/* ---- records ---- */

/* Checks that the record just read has what it must. */
static int end_record(struct parser *p)
{
    const char *what = kind_name[p->rec.kind];
    const char *id = "";
    if (p->rec.kind == REC_ROOM)
        id = p->w->rooms[p->rec.index].id;
    else if (p->rec.kind == REC_ITEM)
        id = p->w->kinds[p->rec.index].id;
    else if (p->rec.kind == REC_NPC)
        id = p->w->npcs[p->rec.index].id;
    if (p->rec.kind == REC_ROOM && !p->rec.title)
        return fail(p, p->rec.line, "room '%s' has no title", id);
    if (p->rec.kind != REC_ROOM && p->rec.kind != REC_NONE && !p->rec.name)
        return fail(p, p->rec.line, "%s '%s' has no name", what, id);
    if (p->rec.kind != REC_NONE && !p->rec.desc)
        return fail(p, p->rec.line, "%s '%s' has no description", what, id);
    if (p->rec.kind == REC_NPC && !p->rec.room)
        return fail(p, p->rec.line, "npc '%s' has no room: put it somewhere "
                    "with 'in ROOM'", id);
    return 0;
}

/* "room ID", "item ID" or "npc ID": a new record. */
static int begin_record(struct parser *p, enum rec_kind kind, char *id)
{
    struct world *w = p->w;
    if (end_record(p) < 0)
        return -1;
    if (*id == '\0')
        return fail(p, p->line, "'%s' needs an id", kind_name[kind]);
    if (check_id(p, id) < 0)
        return -1;
    int seen = 0;
    if (kind == REC_ROOM && world_find_room(w, id))
        seen = world_find_room(w, id)->line;
    if (kind == REC_ITEM && world_find_kind(w, id))
        seen = world_find_kind(w, id)->line;
    for (size_t i = 0; kind == REC_NPC && i < w->nnpcs; i++)
        if (strcmp(w->npcs[i].id, id) == 0)
            seen = w->npcs[i].line;
    if (seen)
        return fail(p, p->line, "%s '%s' is already defined at line %d",
                    kind_name[kind], id, seen);

    char *where; /* the new entry's id field */
    int *line;
    size_t index;
    if (kind == REC_ROOM) {
        if (!(w->rooms = grow(p, w->rooms, w->nrooms, sizeof *w->rooms)))
            return -1;
        index = w->nrooms++;
        where = w->rooms[index].id;
        line = &w->rooms[index].line;
    } else if (kind == REC_ITEM) {
        if (!(w->kinds = grow(p, w->kinds, w->nkinds, sizeof *w->kinds)))
            return -1;
        index = w->nkinds++;
        where = w->kinds[index].id;
        line = &w->kinds[index].line;
    } else {
        if (!(w->npcs = grow(p, w->npcs, w->nnpcs, sizeof *w->npcs)))
            return -1;
        index = w->nnpcs++;
        where = w->npcs[index].id;
        line = &w->npcs[index].line;
    }
    memset(&p->rec, 0, sizeof p->rec);
    p->rec.kind = kind;
    p->rec.index = index;
    p->rec.line = p->line;
    strcpy(where, id);
    *line = p->line;
    return 0;
}

/* Records that field (its line in *seen) appears, once only. */
static int once(struct parser *p, int *seen, const char *field)
{
    if (*seen)
        return fail(p, p->line, "a second '%s' in this %s (the first is "
                    "at line %d)", field, kind_name[p->rec.kind], *seen);
    *seen = p->line;
    return 0;
}

static int add_ref(struct parser *p, size_t exit, const char *id)
{
    if (!(p->refs = grow(p, p->refs, p->nrefs, sizeof *p->refs)))
        return -1;
    struct ref *r = &p->refs[p->nrefs++];
    r->kind = p->rec.kind;
    r->index = p->rec.index;
    r->exit = exit;
    snprintf(r->id, sizeof r->id, "%s", id);
    r->line = p->line;
    return 0;
}

static int exit_line(struct parser *p, char *rest)
{
    struct room *r = &p->w->rooms[p->rec.index];
    char *target = split(rest);
    if (*rest == '\0' || *target == '\0' || strpbrk(target, " \t"))
        return fail(p, p->line, "'exit' needs a name and a room: "
                    "exit NAME ROOM");
    if (check_id(p, rest) < 0 || check_id(p, target) < 0)
        return -1;
    for (size_t i = 0; i < p->nrefs; i++)
        if (p->refs[i].kind == REC_ROOM && p->refs[i].index == p->rec.index &&
            strcmp(r->exits[p->refs[i].exit].name, rest) == 0)
            return fail(p, p->line, "room '%s' has a second exit '%s' (the "
                        "first is at line %d)", r->id, rest, p->refs[i].line);
    if (!(r->exits = grow(p, r->exits, r->nexits, sizeof *r->exits)))
        return -1;
    strcpy(r->exits[r->nexits].name, rest);
    return add_ref(p, r->nexits++, target);
}

/* book: field */
/* One line "KEY REST" inside the current record. */
static int field(struct parser *p, const char *key, char *rest)
{
    enum rec_kind k = p->rec.kind;
    char **name = NULL, **keywords = NULL, **desc = NULL;
    if (k == REC_ROOM) {
        desc = &p->w->rooms[p->rec.index].desc;
    } else if (k == REC_ITEM) {
        struct item_kind *it = &p->w->kinds[p->rec.index];
        name = &it->name, keywords = &it->keywords, desc = &it->desc;
    } else if (k == REC_NPC) {
        struct npc *n = &p->w->npcs[p->rec.index];
        name = &n->name, keywords = &n->keywords, desc = &n->desc;
    }
    bool needs_text = strcmp(key, "desc") != 0;
    if (k != REC_NONE && needs_text && *rest == '\0' &&
        (strcmp(key, "title") == 0 || strcmp(key, "name") == 0 ||
         strcmp(key, "keywords") == 0 || strcmp(key, "in") == 0 ||
         strcmp(key, "say") == 0 || strcmp(key, "wander") == 0))
        return fail(p, p->line, "'%s' needs a value", key);

    if (strcmp(key, "desc") == 0 && k != REC_NONE) {
        if (*rest)
            return fail(p, p->line, "the description starts on the line "
                        "after 'desc'");
        if (once(p, &p->rec.desc, "desc") < 0)
            return -1;
        return (*desc = read_desc(p)) ? 0 : -1;
    }
    if (strcmp(key, "title") == 0 && k == REC_ROOM) {
        if (once(p, &p->rec.title, "title") < 0)
            return -1;
        return (p->w->rooms[p->rec.index].title = copy(p, rest)) ? 0 : -1;
    }
    if (strcmp(key, "exit") == 0 && k == REC_ROOM)
        return exit_line(p, rest);
    if (strcmp(key, "name") == 0 && name) {
        if (once(p, &p->rec.name, "name") < 0)
            return -1;
        return (*name = copy(p, rest)) ? 0 : -1;
    }
    if (strcmp(key, "keywords") == 0 && keywords) {
        if (once(p, &p->rec.keywords, "keywords") < 0)
            return -1;
        return (*keywords = copy(p, rest)) ? 0 : -1;
    }
    if (strcmp(key, "in") == 0 && (k == REC_ITEM || k == REC_NPC)) {
        if (once(p, &p->rec.room, "in") < 0 || check_id(p, rest) < 0)
            return -1;
        return add_ref(p, 0, rest);
    }
    if (strcmp(key, "say") == 0 && k == REC_NPC) {
        struct npc *n = &p->w->npcs[p->rec.index];
        if (!(n->says = grow(p, n->says, n->nsays, sizeof *n->says)))
            return -1;
        return (n->says[n->nsays++] = copy(p, rest)) ? 0 : -1;
    }
    if (strcmp(key, "wander") == 0 && k == REC_NPC) {
        if (once(p, &p->rec.wander, "wander") < 0)
            return -1;
        if (strcmp(rest, "yes") != 0 && strcmp(rest, "no") != 0)
            return fail(p, p->line, "'wander' takes yes or no, not '%s'",
                        rest);
        p->w->npcs[p->rec.index].wander = strcmp(rest, "yes") == 0;
        return 0;
    }
    if (k == REC_NONE)
        return fail(p, p->line, "unknown keyword '%s' (expected name, "
                    "start, room, item or npc)", key);
    static const char *const expected[] = {
        "", "title, desc or exit", "name, keywords, desc or in",
        "name, keywords, desc, in, say or wander"};
    return fail(p, p->line, "unknown keyword '%s' in %s '%s' (expected "
                "%s, or a new room, item or npc)", key, kind_name[k],
                k == REC_ROOM ? p->w->rooms[p->rec.index].id
                : k == REC_ITEM ? p->w->kinds[p->rec.index].id
                                : p->w->npcs[p->rec.index].id,
                expected[k]);
}
/* book: end */

/* One line outside descriptions. */
static int directive(struct parser *p, char *buf)
{
    char *key = trim(buf);
    if (*key == '\0' || *key == '#')
        return 0;
    char *rest = split(key);
    if (strcmp(key, "room") == 0)
        return begin_record(p, REC_ROOM, rest);
    if (strcmp(key, "item") == 0)
        return begin_record(p, REC_ITEM, rest);
    if (strcmp(key, "npc") == 0)
        return begin_record(p, REC_NPC, rest);
    if (strcmp(key, "start") == 0 || strcmp(key, "name") == 0) {
        if (strcmp(key, "name") == 0 && p->rec.kind != REC_NONE)
            return field(p, key, rest);
        if (p->rec.kind != REC_NONE)
            return fail(p, p->line, "'start' belongs before the first "
                        "room, item or npc");
        if (*rest == '\0')
            return fail(p, p->line, "'%s' needs a value", key);
        if (strcmp(key, "name") == 0) {
            if (p->name_line)
                return fail(p, p->line, "a second 'name' (the first is at "
                            "line %d)", p->name_line);
            p->name_line = p->line;
            return (p->w->name = copy(p, rest)) ? 0 : -1;
        }
        if (p->start_line)
            return fail(p, p->line, "a second 'start' (the first is at "
                        "line %d)", p->start_line);
        p->start_line = p->line;
        if (check_id(p, rest) < 0)
            return -1;
        strcpy(p->start, rest);
        return 0;
    }
    static const char *const fields[] = {"title", "desc", "exit", "keywords",
                                         "in", "say", "wander", NULL};
    for (int i = 0; fields[i] && p->rec.kind == REC_NONE; i++)
        if (strcmp(key, fields[i]) == 0)
            return fail(p, p->line, "'%s' before any room, item or npc",
                        key);
    return field(p, key, rest);
}

/* book: resolve */
/* The second pass: every reference by id to a room that exists. Then the
 * arrays are final, and things can be put into rooms. */
static int resolve(struct parser *p)
{
    struct world *w = p->w;
    if (w->nrooms == 0)
        return fail(p, 0, "the file defines no room");
    for (size_t i = 0; i < p->nrefs; i++) {
        struct ref *r = &p->refs[i];
        struct room *to = world_find_room(w, r->id);
        if (to == NULL && r->kind == REC_ROOM)
            return fail(p, r->line, "exit '%s' of room '%s' leads to room "
                        "'%s', which is not defined",
                        w->rooms[r->index].exits[r->exit].name,
                        w->rooms[r->index].id, r->id);
        if (to == NULL)
            return fail(p, r->line, "%s '%s' is in room '%s', which is not "
                        "defined", kind_name[r->kind],
                        r->kind == REC_ITEM ? w->kinds[r->index].id
                                            : w->npcs[r->index].id, r->id);
        if (r->kind == REC_ROOM)
            w->rooms[r->index].exits[r->exit].to = to;
        else if (r->kind == REC_ITEM)
            w->kinds[r->index].start = to;
        else
            w->npcs[r->index].start = to;
    }
    w->start = p->start_line ? world_find_room(w, p->start) : &w->rooms[0];
    if (w->start == NULL)
        return fail(p, p->start_line, "the start room '%s' is not defined",
                    p->start);
    for (size_t i = 0; i < w->nkinds; i++) {
        struct item_kind *k = &w->kinds[i];
        if (k->keywords == NULL && (k->keywords = copy(p, k->id)) == NULL)
            return -1;
        if (k->start && world_item_new(k, &k->start->items) == NULL)
            return fail(p, k->line, "out of memory");
    }
    for (size_t i = 0; i < w->nnpcs; i++) {
        struct npc *n = &w->npcs[i];
        if (n->keywords == NULL && (n->keywords = copy(p, n->id)) == NULL)
            return -1;
        n->body = (struct body){.name = n->name, .keywords = n->keywords,
                                .kind = BODY_NPC, .owner = n};
        world_body_move(&n->body, n->start);
    }
    return 0;
}
/* book: end */

struct world *worldfile_parse(const char *text, size_t n, const char *name,
                              struct worldfile_error *err)
{
    struct parser p = {.text = text, .n = n, .name = name, .err = err};
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", name);
    p.w = calloc(1, sizeof *p.w);
    if (p.w == NULL) {
        fail(&p, 0, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    char buf[WORLDFILE_LINE_MAX + 1];
    int r;
    if (n > WORLDFILE_MAX)
        fail(&p, 0, "the file is larger than %d bytes", WORLDFILE_MAX);
    while (!p.failed && (r = next_line(&p, buf)) == 1)
        directive(&p, buf);
    if (!p.failed)
        end_record(&p);
    if (!p.failed)
        resolve(&p);
    if (!p.failed && p.w->name == NULL)
        p.w->name = copy(&p, name);
    free(p.refs);
    if (p.failed) {
        world_free(p.w);
        errno = EINVAL;
        return NULL;
    }
    return p.w;
}

struct world *worldfile_load(const char *path, struct worldfile_error *err)
{
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", path);
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t n = 0;
    if (f) {
        text = malloc(WORLDFILE_MAX + 1);
        if (text)
            n = fread(text, 1, WORLDFILE_MAX + 1, f);
    }
    if (f == NULL || text == NULL || ferror(f)) {
        int e = f == NULL || ferror(f) ? errno : ENOMEM;
        snprintf(err->text, sizeof err->text, "cannot read the file: %s",
                 strerror(e));
        free(text);
        if (f)
            fclose(f);
        errno = e;
        return NULL;
    }
    fclose(f);
    struct world *w = worldfile_parse(text, n, path, err);
    int e = errno;
    free(text);
    errno = e;
    return w;
}

const char *worldfile_message(const struct worldfile_error *err, char *buf,
                              size_t size)
{
    if (err->line > 0)
        snprintf(buf, size, "%s:%d: %s", err->file, err->line, err->text);
    else
        snprintf(buf, size, "%s: %s", err->file, err->text);
    return buf;
}
