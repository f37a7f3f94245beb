# play.mk - `make play`: the MUD of step 09 (or of the last step that has
# a play/main.c), built from the reference solutions, on 127.0.0.1.
#
#   make play                     port 4000, the sample world
#   make play PORT=4444 WORLD=my.txt IDLE=600
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
WORLD ?= steps/$(PLAY_STEP)/world.txt
PLAY_BIN := $(B)/play/$(PLAY_SRC)/mud

$(PLAY_BIN): $(PLAY_MAIN) $(call libs,$(PLAY_SRC),$(call upto,$(PLAY_STEP))) $(wildcard $(foreach s,$(call upto,$(PLAY_STEP)),steps/$s/*.h))
	$(call say,LD,$@)mkdir -p $(@D) && $(CC) $(ALLCFLAGS) $(call incs,$(PLAY_STEP)) $(ALLLDFLAGS) -o $@ $< -Wl,--start-group $(filter %.a,$^) -Wl,--end-group $(call step_libs,$(PLAY_STEP)) -lm -ldl $(LDLIBS)

.PHONY: play play-build
play-build: $(PLAY_BIN)
play: deps play-build
	@echo "Starting the MUD of step $(PLAY_STEP) ($(PLAY_SRC)/) with $(WORLD)."
	@exec $(PLAY_BIN) --port $(PORT) --world $(WORLD) --idle $(IDLE)

# ---- fuzzing: make fuzz-mud [FUZZ_SECONDS=N] [FUZZ_SRC=steps] ----
#
# libFuzzer targets (tests/09-mud/fuzz/) for the three modules that read
# what strangers send: the telnet decoder, the command parser and the
# world file loader. Built with clang, AddressSanitizer and UBSan into
# build/fuzz/; each runs FUZZ_SECONDS (10 by default) on a corpus kept in
# build/fuzz/corpus/, seeded with the sample world. A crash stops the run
# and leaves the input that caused it in build/fuzz/<tree>/ (crash-*).

FUZZ_SECONDS ?= 10
FUZZ_SRC ?= solutions
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=undefined -Isteps/09-mud
FUZZ_DIR := build/fuzz/$(FUZZ_SRC)
mud_src = $(firstword $(wildcard $(FUZZ_SRC)/09-mud/$1.c) steps/09-mud/$1.c)
FUZZ_TARGETS := telnet command worldfile

$(FUZZ_DIR)/fuzz_telnet: tests/09-mud/fuzz/fuzz_telnet.c $(call mud_src,telnet) steps/09-mud/telnet.h
$(FUZZ_DIR)/fuzz_command: tests/09-mud/fuzz/fuzz_command.c $(call mud_src,command) steps/09-mud/command.h
$(FUZZ_DIR)/fuzz_worldfile: tests/09-mud/fuzz/fuzz_worldfile.c $(call mud_src,worldfile) $(call mud_src,world) steps/09-mud/world.h steps/09-mud/worldfile.h
$(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS)):
	$(call say,FUZZCC,$@)mkdir -p $(@D) && $(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^)

.PHONY: fuzz-mud fuzz-mud-build
fuzz-mud-build: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
fuzz-mud: fuzz-mud-build
	@for t in $(FUZZ_TARGETS); do \
	    c=build/fuzz/corpus/$$t; mkdir -p $$c; \
	    [ $$t = worldfile ] && cp steps/09-mud/world.txt $$c/sample; \
	    [ $$t = telnet ] && printf '\001\003look\r\n\377\375\030say hi\377\377\r\0x\n' >$$c/seed; \
	    [ $$t = command ] && printf "sa hello" >$$c/seed; \
	    echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
	    (cd $(FUZZ_DIR) && ./fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -print_final_stats=1 ../corpus/$$t >fuzz_$$t.log 2>&1); \
	    s=$$?; tail -n 4 $(FUZZ_DIR)/fuzz_$$t.log; \
	    [ $$s -eq 0 ] || { echo "fuzz_$$t failed: see $(FUZZ_DIR)/fuzz_$$t.log"; exit 1; }; \
	done; echo "fuzz-mud: no crash in $(FUZZ_SECONDS) s per target"
