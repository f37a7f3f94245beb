/*
 * world.h - the world: rooms joined by exits, the items lying in them, and
 * the bodies standing in them, players' and non-player characters' alike.
 *
 * The world is loaded from a text file (worldfile.h) and then changes only
 * through these functions, as bodies walk and items change hands. The
 * module does no I/O and never blocks: the server calls it from inside a
 * command, where nothing may wait.
 *
 * Ownership:
 *   - The world owns its rooms, item kinds and NPCs (arrays that never
 *     move once loaded, so pointers into them stay valid) and every item
 *     that lies in a room or is carried by an NPC. world_free frees them.
 *   - A player's body belongs to the server's player (mud.h); it stands in
 *     a room while the player is in the game, and must have left (and its
 *     items been freed or dropped) before the world is freed.
 *   - An item is always in exactly one list: a room's `items`, or a body's
 *     `carried`.
 *
 * Names: ids ("square", "lamp") are 1 to WORLD_ID_MAX lowercase letters,
 * digits, '_' or '-'. Matching what a player types against an item or a
 * body (world_match) ignores case and takes any prefix of one of its
 * keywords: "get br" finds "a brass lamp" with keywords "lamp brass".
 */
#ifndef WORLD_H
#define WORLD_H

#include <stdbool.h>
#include <stddef.h>

#define WORLD_ID_MAX 31

struct room;
struct body;

/* A kind of item, as the world file defines it. */
struct item_kind {
    char id[WORLD_ID_MAX + 1];
    char *name;         /* "a brass lamp" */
    char *keywords;     /* "lamp brass": words that name it */
    char *desc;         /* what "look lamp" shows; ends in LF */
    struct room *start; /* where the world puts one at load, or NULL */
    int line;           /* where the file defines it */
};

struct item_list {
    struct item *first, *last;
    size_t count;
};

/* One item: an instance of a kind, in exactly one list. */
struct item {
    const struct item_kind *kind;
    struct item_list *in;
    struct item *prev, *next;
};

enum body_kind { BODY_PLAYER, BODY_NPC };

/* Something that stands in a room and can carry items. */
struct body {
    const char *name;          /* "Alice", "a grey cat"; the owner's */
    const char *keywords;      /* words that name it: "alice", "cat grey" */
    enum body_kind kind;
    void *owner;               /* struct player * or struct npc * */
    struct room *room;         /* NULL while not in the world */
    struct item_list carried;
    struct body *prev, *next;  /* in room's list of bodies */
};

struct exit {
    char name[WORLD_ID_MAX + 1]; /* "north", "gate" */
    struct room *to;
};

struct room {
    char id[WORLD_ID_MAX + 1];
    char *title;
    char *desc;                   /* ends in LF */
    struct exit *exits;           /* in the file's order */
    size_t nexits;
    struct item_list items;       /* lying here */
    struct body *first, *last;    /* standing here, in arrival order */
    int line;
};

/* A non-player character. Step 09 places it and lets players look at
 * it; `says` and `wander` are read for step 10, which brings it to life. */
struct npc {
    char id[WORLD_ID_MAX + 1];
    char *name;          /* "a grey cat" */
    char *keywords;
    char *desc;
    char **says;         /* lines it may say, nsays of them */
    size_t nsays;
    bool wander;         /* whether it may walk off on its own */
    struct room *start;
    struct body body;
    int line;
};

struct world {
    char *name;                 /* the world's name, for the greeting */
    struct room *rooms;
    size_t nrooms;
    struct item_kind *kinds;
    size_t nkinds;
    struct npc *npcs;
    size_t nnpcs;
    struct room *start;         /* where new characters appear */
};

/* Frees the world, its items and its NPCs. No player's body may stand in
 * it any more. NULL is allowed. */
void world_free(struct world *w);

/* By id; NULL if there is none. */
struct room *world_find_room(const struct world *w, const char *id);
struct item_kind *world_find_kind(const struct world *w, const char *id);

/* The exit of r called name, ignoring case; NULL if none. */
struct exit *world_exit(const struct room *r, const char *name);

/* Whether word names something with these keywords: it is a prefix of
 * one of them, ignoring case, and not empty. */
bool world_match(const char *keywords, const char *word);

/* A new item of kind k, put at the end of list; NULL with errno ENOMEM. */
struct item *world_item_new(const struct item_kind *k, struct item_list *list);

/* Takes it out of its list and frees it. */
void world_item_free(struct item *it);

/* Moves it to the end of list. */
void world_item_move(struct item *it, struct item_list *list);

/* The first item in list that word names, or NULL. */
struct item *world_item_find(const struct item_list *list, const char *word);

/* Moves b to the end of room r's bodies; r NULL takes it out of the
 * world. Its items go with it. */
void world_body_move(struct body *b, struct room *r);

/* The first body in r that word names, other than except; or NULL. */
struct body *world_body_find(const struct room *r, const char *word,
                             const struct body *except);

#endif
