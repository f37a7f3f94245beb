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
 *
 * Your task (chapters/09-mud.md, "The world file"): the four functions
 * marked TODO: reading a line, reading a description, one field of a
 * record, and the second pass. Everything around them (records, ids,
 * errors, directives) is written for you.
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
    /* TODO(step 09, "The world file"): if p->pos is at p->n, return 0.
     * Else count the line (p->line++), find its LF (memchr) or the end of
     * the text, move p->pos past it, drop a CR before the LF. A line of
     * more than WORLDFILE_LINE_MAX bytes, or one holding a NUL, is an
     * error: return fail(p, p->line, "a line longer than %d bytes", ...)
     * or fail(p, p->line, "a NUL byte: this is not a text file"). Copy
     * the line into buf, NUL-terminated, and return 1. */
    (void)buf;
    return fail(p, 1, "the starter cannot read lines yet (TODO in "
                "worldfile.c: next_line)");
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
    /* TODO(step 09, "The world file"): remember the line "desc" is on.
     * Read lines (next_line) until one that, trimmed, is "."; join the
     * others, trailing blanks removed, each ended by LF, into a string
     * you realloc as it grows. An empty description is an error at the
     * "desc" line ("the description is empty"); so is reaching the end
     * of the file first ("the description begun here never ends: end it
     * with a line holding only '.'"). Return the string, or NULL after
     * fail(). */
    (void)p;
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
    /* TODO(step 09, "The world file"): the fields of the record being
     * read (p->rec.kind; the entry is p->w->rooms, kinds or npcs at
     * p->rec.index):
     *   room:      title TEXT, desc, exit NAME ROOM (exit_line)
     *   item, npc: name TEXT, keywords WORDS, desc, in ROOM (add_ref)
     *   npc:       say TEXT (any number), wander yes|no
     * A field that takes a value and has none: "'KEY' needs a value".
     * "desc" takes nothing on its line, then read_desc. Fields that may
     * appear once go through once(p, &p->rec.FIELD, "KEY") (note: the
     * line of "in" is kept in p->rec.room). Texts are copied with
     * copy(). Anything else: outside a record, "unknown keyword 'KEY'
     * (expected name, start, room, item or npc)"; inside one, "unknown
     * keyword 'KEY' in room 'ID' (expected ...)". Return 0, or -1 after
     * fail(). */
    (void)key, (void)rest, (void)exit_line, (void)once, (void)read_desc;
    return fail(p, p->line, "the starter reads no fields yet (TODO in "
                "worldfile.c: field)");
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
    /* TODO(step 09, "The world file"): no room at all is an error at line
     * 0 ("the file defines no room"). Each reference in p->refs names a
     * room by id (world_find_room): an exit's target ("exit 'NAME' of
     * room 'ID' leads to room 'X', which is not defined"), or where an
     * item or NPC starts ("item 'ID' is in room 'X', which is not
     * defined"), each at the reference's line. Fill in exits[].to, the
     * kinds' and NPCs' start. Then the start room: p->start if a 'start'
     * line came (p->start_line; "the start room 'X' is not defined"),
     * else the first room. Keywords default to the id (copy()). Put one
     * item of each kind that has a start into that room (world_item_new),
     * and each NPC's body (name, keywords, BODY_NPC, owner the npc) into
     * its room (world_body_move). Return 0, or -1 after fail(). */
    (void)p;
    return -1;
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
