/*
 * world.c - rooms, items and bodies, and moving things between them
 * (world.h).
 *
 * Given code: the same in steps/ and in the solutions. It is plain list
 * handling; the chapter's subject is elsewhere.
 *
 * Invariants:
 *   - An item is in exactly one item_list, it->in, and that list's count
 *     counts it; first/last/prev/next form the usual doubly linked list.
 *   - A body is in room b->room's list of bodies, or in none when
 *     b->room is NULL.
 */
#include "world.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- item lists ---- */

static void list_unlink(struct item *it)
{
    struct item_list *l = it->in;
    if (l == NULL)
        return;
    if (it->prev)
        it->prev->next = it->next;
    else
        l->first = it->next;
    if (it->next)
        it->next->prev = it->prev;
    else
        l->last = it->prev;
    l->count--;
    it->in = NULL;
    it->prev = it->next = NULL;
}

static void list_append(struct item_list *l, struct item *it)
{
    it->in = l;
    it->next = NULL;
    it->prev = l->last;
    if (l->last)
        l->last->next = it;
    else
        l->first = it;
    l->last = it;
    l->count++;
}

static void list_free(struct item_list *l)
{
    while (l->first)
        world_item_free(l->first);
}

struct item *world_item_new(const struct item_kind *k, struct item_list *list)
{
    struct item *it = calloc(1, sizeof *it);
    if (it == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    it->kind = k;
    list_append(list, it);
    return it;
}

void world_item_free(struct item *it)
{
    list_unlink(it);
    free(it);
}

void world_item_move(struct item *it, struct item_list *list)
{
    list_unlink(it);
    list_append(list, it);
}

/* ---- names ---- */

/* book: match */
bool world_match(const char *keywords, const char *word)
{
    size_t n = strlen(word);
    if (n == 0 || keywords == NULL)
        return false;
    const char *p = keywords;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t k = strcspn(p, " ");
        if (k >= n && strncasecmp(p, word, n) == 0)
            return true;
        p += k;
    }
    return false;
}
/* book: end */

struct item *world_item_find(const struct item_list *list, const char *word)
{
    for (struct item *it = list->first; it; it = it->next)
        if (world_match(it->kind->keywords, word))
            return it;
    return NULL;
}

/* ---- bodies ---- */

void world_body_move(struct body *b, struct room *r)
{
    struct room *old = b->room;
    if (old) {
        if (b->prev)
            b->prev->next = b->next;
        else
            old->first = b->next;
        if (b->next)
            b->next->prev = b->prev;
        else
            old->last = b->prev;
    }
    b->prev = b->next = NULL;
    b->room = r;
    if (r) {
        b->prev = r->last;
        if (r->last)
            r->last->next = b;
        else
            r->first = b;
        r->last = b;
    }
}

struct body *world_body_find(const struct room *r, const char *word,
                             const struct body *except)
{
    for (struct body *b = r->first; b; b = b->next)
        if (b != except && world_match(b->keywords, word))
            return b;
    return NULL;
}

/* ---- lookups ---- */

struct room *world_find_room(const struct world *w, const char *id)
{
    for (size_t i = 0; i < w->nrooms; i++)
        if (strcmp(w->rooms[i].id, id) == 0)
            return &w->rooms[i];
    return NULL;
}

struct item_kind *world_find_kind(const struct world *w, const char *id)
{
    for (size_t i = 0; i < w->nkinds; i++)
        if (strcmp(w->kinds[i].id, id) == 0)
            return &w->kinds[i];
    return NULL;
}

struct exit *world_exit(const struct room *r, const char *name)
{
    for (size_t i = 0; i < r->nexits; i++)
        if (strcasecmp(r->exits[i].name, name) == 0)
            return &r->exits[i];
    return NULL;
}

/* ---- freeing ---- */

void world_free(struct world *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->nnpcs; i++) {
        struct npc *n = &w->npcs[i];
        list_free(&n->body.carried);
        world_body_move(&n->body, NULL);
        free(n->name);
        free(n->keywords);
        free(n->desc);
        for (size_t j = 0; j < n->nsays; j++)
            free(n->says[j]);
        free(n->says);
    }
    for (size_t i = 0; i < w->nrooms; i++) {
        struct room *r = &w->rooms[i];
        list_free(&r->items);
        free(r->title);
        free(r->desc);
        free(r->exits);
    }
    for (size_t i = 0; i < w->nkinds; i++) {
        free(w->kinds[i].name);
        free(w->kinds[i].keywords);
        free(w->kinds[i].desc);
    }
    free(w->npcs);
    free(w->rooms);
    free(w->kinds);
    free(w->name);
    free(w);
}
