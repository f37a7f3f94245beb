/*
 * game.h - the built-in commands of the MUD, and running a line a player
 * typed.
 *
 *   look [THING]        the room (title, description, exits, items,
 *                       bodies), or one thing in it or carried
 *   north south east west up down, n s e w u d, any exit's name: move
 *   say TEXT, 'TEXT     to everyone in the room
 *   tell NAME TEXT      to one player anywhere
 *   emote TEXT, :TEXT   "Alice TEXT." to everyone in the room
 *   who                 the players in the game
 *   get THING|all, drop THING|all, inventory (i)
 *   help [COMMAND]      the list of commands, or one command's page
 *   save                saves the character to the store (player.h)
 *   quit                leaves the game (must be typed in full)
 *
 * Every command runs to its end without blocking (it only queues output),
 * so nothing changes the world while it runs. The commands are ordinary
 * entries of a command table (command.h); a later step adds its own next
 * to them.
 */
#ifndef GAME_H
#define GAME_H

#include "command.h"
#include "mud.h"

/* Adds the built-in commands to t. 0, or -1 with errno from command_add. */
int game_register(command_table *t);

/* Runs one line p typed (line is changed in place). */
enum command_result game_execute(struct player *p, char *line);

/* Shows p the room it stands in. */
void game_look(struct player *p);

#endif
