# servers.mk - the servers people run by hand, and fuzzing the MUD's
# parsers: `make play`, `make chat`, `make fuzz-mud`, `make fuzz`.
#
# `make play` runs the MUD of the last step that has a play/main.c (step
# 10, or 09 in a tree without it), built from the reference solutions, on
# 127.0.0.1.
#
#   make play                     port 4000, the sample world
#   make play PORT=4444 WORLD=my.txt IDLE=600
#   make play PLAY_FLAGS='--admin Alice --players /tmp/players'
#                                 more options of that step's program
#                                 (step 10: --players DIR --admin NAME
#                                 --seed N)
#   make play PLAY_SRC=steps      your own code instead of the solutions
#
# Included by the top-level Makefile, after tests/mk/build.mk. The program
# is build/<variant>/play/<tree>/mud; its main() is given code
# (steps/NN-slug/play/main.c), never linked into the tests.

PORT ?= 4000
IDLE ?= 0
PLAY_SRC ?= solutions
PLAY_MAIN := $(lastword $(sort $(wildcard steps/*/play/main.c)))
PLAY_STEP := $(patsubst steps/%/play/main.c,%,$(PLAY_MAIN))
# The last step's world file: step 10 plays the world of step 09.
WORLD ?= $(lastword $(sort $(wildcard steps/*/world.txt)))
PLAY_FLAGS ?=
PLAY_BIN := $(B)/play/$(PLAY_SRC)/mud

$(PLAY_BIN): $(PLAY_MAIN) $(call libs,$(PLAY_SRC),$(call upto,$(PLAY_STEP))) $(wildcard $(foreach s,$(call upto,$(PLAY_STEP)),steps/$s/*.h))
	$(call say,LD,$@)mkdir -p $(@D) && $(CC) $(ALLCFLAGS) $(call incs,$(PLAY_STEP)) $(ALLLDFLAGS) -o $@ $< -Wl,--start-group $(filter %.a,$^) -Wl,--end-group $(call step_libs,$(PLAY_STEP)) -lm -ldl $(LDLIBS)

.PHONY: play play-build
play-build: $(PLAY_BIN)
play: deps play-build
	@echo "Starting the MUD of step $(PLAY_STEP) ($(PLAY_SRC)/) with $(WORLD)."
	@exec $(PLAY_BIN) --port $(PORT) --world $(WORLD) --idle $(IDLE) $(PLAY_FLAGS)

# ---- make chat [CHAT_FLAGS=--reactor] [CHAT_PORT=4321] [PLAY_SRC=steps] ----
#
# Step 08's chat server (steps/08-chat/run/chatd.c, given code), built from
# the reference solutions like the MUD, on 127.0.0.1:4321.

CHAT_PORT ?= 4321
CHAT_FLAGS ?=
CHAT_BIN := $(B)/play/$(PLAY_SRC)/chatd

$(CHAT_BIN): steps/08-chat/run/chatd.c $(call libs,$(PLAY_SRC),$(call upto,08-chat)) $(wildcard $(foreach s,$(call upto,08-chat),steps/$s/*.h))
	$(call say,LD,$@)mkdir -p $(@D) && $(CC) $(ALLCFLAGS) $(call incs,08-chat) $(ALLLDFLAGS) -o $@ $< -Wl,--start-group $(filter %.a,$^) -Wl,--end-group $(call step_libs,08-chat) -lm -ldl -lpthread $(LDLIBS)

.PHONY: chat chat-build
chat-build: $(CHAT_BIN)
chat: deps chat-build
	@exec $(CHAT_BIN) $(CHAT_FLAGS) $(CHAT_PORT)

# ---- fuzzing: make fuzz-mud [FUZZ_SECONDS=N] [FUZZ_SRC=steps] ----
#
# libFuzzer targets (tests/09-mud/fuzz/, tests/10-living/fuzz/) for the
# modules that read what strangers send: the telnet decoder, the command
# parser, the world file loader, and (step 10) the player file reader.
# Built with clang, AddressSanitizer and UBSan into
# build/fuzz/; each runs FUZZ_SECONDS (10 by default) on a corpus kept in
# build/fuzz/corpus/, seeded with the sample world. A crash stops the run
# and leaves the input that caused it in build/fuzz/<tree>/ (crash-*).

FUZZ_SECONDS ?= 10
FUZZ_SRC ?= solutions
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=undefined -Isteps/09-mud -Isteps/10-living
FUZZ_DIR := build/fuzz/$(FUZZ_SRC)
# $(call mud_src,STEP,MODULE): the tree's file, or the given code of steps/.
mud_src = $(firstword $(wildcard $(FUZZ_SRC)/$1/$2.c) steps/$1/$2.c)
FUZZ_TARGETS := telnet command worldfile $(if $(wildcard tests/10-living/fuzz/fuzz_playerfile.c),playerfile)

$(FUZZ_DIR)/fuzz_telnet: tests/09-mud/fuzz/fuzz_telnet.c $(call mud_src,09-mud,telnet) steps/09-mud/telnet.h
$(FUZZ_DIR)/fuzz_command: tests/09-mud/fuzz/fuzz_command.c $(call mud_src,09-mud,command) steps/09-mud/command.h
$(FUZZ_DIR)/fuzz_worldfile: tests/09-mud/fuzz/fuzz_worldfile.c $(call mud_src,09-mud,worldfile) $(call mud_src,09-mud,world) steps/09-mud/world.h steps/09-mud/worldfile.h
# The player file reader checks names with player.c, which needs libcrypt.
$(FUZZ_DIR)/fuzz_playerfile: tests/10-living/fuzz/fuzz_playerfile.c $(call mud_src,10-living,playerfile) $(call mud_src,09-mud,player) steps/10-living/playerfile.h steps/09-mud/player.h
$(FUZZ_DIR)/fuzz_playerfile: FUZZ_LIBS := -lcrypt
$(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS)):
	$(call say,FUZZCC,$@)mkdir -p $(@D) && $(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^) $(FUZZ_LIBS)

.PHONY: fuzz fuzz-mud fuzz-mud-build
# `make fuzz`: the same, a minute per target unless FUZZ_SECONDS says.
fuzz: FUZZ_SECONDS := $(if $(filter command line,$(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),60)
fuzz: fuzz-mud
fuzz-mud-build: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
fuzz-mud: fuzz-mud-build
	@for t in $(FUZZ_TARGETS); do \
	    c=build/fuzz/corpus/$$t; mkdir -p $$c; \
	    [ $$t = worldfile ] && cp steps/09-mud/world.txt $$c/sample; \
	    [ $$t = telnet ] && printf '\001\003look\r\n\377\375\030say hi\377\377\r\0x\n' >$$c/seed; \
	    [ $$t = command ] && printf "sa hello" >$$c/seed; \
	    [ $$t = playerfile ] && printf 'mud-player 1\nname Alice\nhash $$y$$j9T$$salt$$hash\nroom square\nitem lamp\nend\n' >$$c/seed; \
	    echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
	    (cd $(FUZZ_DIR) && ./fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -print_final_stats=1 ../corpus/$$t >fuzz_$$t.log 2>&1); \
	    s=$$?; tail -n 4 $(FUZZ_DIR)/fuzz_$$t.log; \
	    [ $$s -eq 0 ] || { echo "fuzz_$$t failed: see $(FUZZ_DIR)/fuzz_$$t.log"; exit 1; }; \
	done; echo "fuzz-mud: no crash in $(FUZZ_SECONDS) s per target"
