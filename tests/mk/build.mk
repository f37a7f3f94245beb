# build.mk - compiles the runtime and the test programs for one variant.
#
# Included by the top-level Makefile (and called through it with
# VARIANT=...); it builds nothing into the source folders, only into
# build/$(VARIANT)/:
#
#   obj/<tree>/<step>/<file>.o     one object per source file
#   lib/<tree>/<step>.a            one archive per step of a tree
#   bin/<mix>/<step>/test_<name>   test programs, where <mix> is
#       solutions   every step from solutions/
#       steps       every step from steps/ (the student's own, cumulative)
#       isolated    earlier steps from solutions/, this step from steps/
#   bin/<mix>/<step>/prog_<name>   plain programs some tests run
#   pic/<tree>/<step>/<file>.o     the same objects, position-independent
#   lib/<mix>/<step>/libgreen.so   the runtime through <step>, for LD_PRELOAD
#
# Variants: default, asan (AddressSanitizer + UBSan), ucontext (the
# swapcontext backend), aarch64 (cross-compiled, run under qemu-user).

VARIANT ?= default
# `make CONTEXT=ucontext` is the swapcontext build, under its own folder.
ifeq ($(CONTEXT),ucontext)
  VARIANT := ucontext
endif
B := build/$(VARIANT)
STEPS := $(sort $(notdir $(wildcard steps/[0-9][0-9]-*)))

# $(call upto,S): the steps from the first through S.
upto = $(call upto_,$1,$(STEPS))
upto_ = $(if $2,$(firstword $2) $(if $(filter $1,$(firstword $2)),,$(call upto_,$1,$(wordlist 2,$(words $2),$2))))
# $(call before,S): the steps before S.
before = $(filter-out $1,$(call upto,$1))
incs = $(foreach s,$(call upto,$1),-Isteps/$s)

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
BASEFLAGS := -std=gnu11 $(WARN) -fno-strict-aliasing
LDLIBS_ALL := -lcmocka -lm -ldl

ifeq ($(VARIANT),asan)
  VFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
  VLDFLAGS := -fsanitize=address,undefined
else ifeq ($(VARIANT),ucontext)
  VFLAGS := -DCONTEXT_UCONTEXT
else ifeq ($(VARIANT),aarch64)
  override CC := aarch64-linux-gnu-gcc
endif

ALLCFLAGS = $(BASEFLAGS) $(CFLAGS) $(VFLAGS) $(CPPFLAGS)
ALLLDFLAGS = $(LDFLAGS) $(VLDFLAGS)

Q := $(if $(V:0=),,@)
say = $(if $(V:0=),,@printf '  %-6s %s\n' $1 $2;)

# ---- the runtime, one archive per tree and step ----

# $(call all_sources,TREE,STEP): the step's .c and .S files in that tree.
# Given code (a file in steps/ that solutions/ does not have) lives once, in
# steps/, and is part of both trees, like the headers. Files named
# preload*.c belong to the shared library only (see below); $(call
# sources,TREE,STEP) is the rest, what the archive holds.
own = $(wildcard $1/$2/*.c $1/$2/*.S)
given = $(filter-out $(patsubst solutions/%,steps/%,$(call own,solutions,$1)),$(call own,steps,$1))
all_sources = $(call own,$1,$2) $(if $(filter solutions,$1),$(call given,$2))
sources = $(foreach f,$(call all_sources,$1,$2),$(if $(filter preload%,$(notdir $f)),,$f))

define tree_step
$(B)/obj/$1/$2/%.o: $1/$2/%.c $$(wildcard $(foreach s,$(call upto,$2),steps/$s/*.h))
	$$(call say,CC,$$@)mkdir -p $$(@D) && $$(CC) $$(ALLCFLAGS) $(call incs,$2) -c $$< -o $$@
$(B)/obj/$1/$2/%.o: $1/$2/%.S $$(wildcard $(foreach s,$(call upto,$2),steps/$s/*.h))
	$$(call say,AS,$$@)mkdir -p $$(@D) && $$(CC) $$(ALLCFLAGS) $(call incs,$2) -c $$< -o $$@
$(B)/pic/$1/$2/%.o: $1/$2/%.c $$(wildcard $(foreach s,$(call upto,$2),steps/$s/*.h))
	$$(call say,CC,$$@)mkdir -p $$(@D) && $$(CC) $$(ALLCFLAGS) -fPIC $(call incs,$2) -c $$< -o $$@
$(B)/pic/$1/$2/%.o: $1/$2/%.S $$(wildcard $(foreach s,$(call upto,$2),steps/$s/*.h))
	$$(call say,AS,$$@)mkdir -p $$(@D) && $$(CC) $$(ALLCFLAGS) -fPIC $(call incs,$2) -c $$< -o $$@
$(B)/lib/$1/$2.a: $(patsubst %,$(B)/obj/%.o,$(basename $(call sources,$1,$2)))
	$$(call say,AR,$$@)mkdir -p $$(@D) && rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach t,steps solutions,$(foreach s,$(STEPS),$(eval $(call tree_step,$t,$s))))

# ---- the runtime as one shared library, for LD_PRELOAD ----

# lib/<mix>/<step>/libgreen.so holds the steps of the mix through <step>,
# as a test program of that step links them, but compiled into pic/ as
# position-independent code, and with the preload*.c files. -z defs makes
# a symbol left undefined an error now, not when a program loads the
# library; -Bsymbolic binds the library's calls to its own functions, so
# that a program defining a function of the same name (a timer_start of
# its own, say) does not take them over.
pic_objs = $(patsubst %,$(B)/pic/%.o,$(basename $(call all_sources,$1,$2)))
mix_pic_objs = $(if $(filter isolated,$1),$(foreach s,$(call before,$2),$(call pic_objs,solutions,$s)) $(call pic_objs,steps,$2),$(foreach s,$(call upto,$2),$(call pic_objs,$1,$s)))

define shared_lib
$(B)/lib/$1/$2/libgreen.so: $(call mix_pic_objs,$1,$2)
	$$(call say,LD,$$@)mkdir -p $$(@D) && $$(CC) -shared $$(ALLLDFLAGS) -Wl,-z,defs -Wl,-Bsymbolic -o $$@ $$^ $$(call step_libs,$2) -ldl -lpthread
endef
$(foreach m,solutions steps isolated,$(foreach s,$(STEPS),$(eval $(call shared_lib,$m,$s))))

# ---- the test harness ----

HARNESS := $(B)/obj/harness/harness.o $(B)/obj/harness/support.o
$(B)/obj/harness/%.o: tests/harness/%.c tests/harness/harness.h
	$(call say,CC,$@)mkdir -p $(@D) && $(CC) $(ALLCFLAGS) -Itests/harness -c $< -o $@

# ---- test programs, per step and mix ----

# In tests/<step>/:
#   test_*.c   the test programs; the harness supplies their main()
#   prog_*.c   plain programs with a main() of their own, which tests run:
#              linked with the helpers only, not with the runtime (an
#              LD_PRELOAD brings it), and built beside the test programs
#   other .c   helpers, linked into the test programs and the plain ones
# A step with preload*.c files has its shared library built with its
# tests, which run programs under LD_PRELOAD.
tests_of = $(wildcard tests/$1/test_*.c)
progs_of = $(wildcard tests/$1/prog_*.c)
# A later step's helper may build on an earlier one's (step 10's
# mudtest.c includes step 09's), so test objects depend on those too.
helper_srcs = $(filter-out $(call tests_of,$1) $(call progs_of,$1),$(wildcard tests/$1/*.c))
helpers_of = $(patsubst tests/%.c,$(B)/obj/tests/%.o,$(filter-out $(call tests_of,$1) $(call progs_of,$1),$(wildcard tests/$1/*.c)))
has_preload = $(wildcard steps/$1/preload*.c solutions/$1/preload*.c)
# $(call needs,MIX,STEP): what the step's tests run, built before them.
needs = $(patsubst tests/$2/%.c,$(B)/bin/$1/$2/%,$(call progs_of,$2)) $(if $(call has_preload,$2),$(B)/lib/$1/$2/libgreen.so)

libs = $(foreach s,$2,$(B)/lib/$1/$s.a)
# Libraries a step's code needs (tests/<step>/libs holds them, as one
# line of linker flags such as -lcrypt): a test program links those of its
# own step and of every step before it, whose code it links too.
step_libs = $(foreach s,$(call upto,$1),$(if $(wildcard tests/$s/libs),$(file < tests/$s/libs)))
link = $(CC) $(ALLLDFLAGS) -o $@ $(filter %.o,$^) -Wl,--start-group $(filter %.a,$^) -Wl,--end-group $(LDLIBS_ALL) $(LDLIBS_STEP) $(LDLIBS)
link_prog = $(CC) $(ALLLDFLAGS) -o $@ $(filter %.o,$^) -lpthread $(LDLIBS)

define test_step
TESTS_$1 := $(basename $(notdir $(call tests_of,$1)))
$(B)/bin/solutions/$1/test_% $(B)/bin/steps/$1/test_% $(B)/bin/isolated/$1/test_%: LDLIBS_STEP := $(call step_libs,$1)
$(B)/obj/tests/$1/%.o: tests/$1/%.c tests/harness/harness.h $$(wildcard $(foreach s,$(call upto,$1),tests/$s/*.h steps/$s/*.h)) $(foreach s,$(call before,$1),$(call helper_srcs,$s))
	$$(call say,CC,$$@)mkdir -p $$(@D) && $$(CC) $$(ALLCFLAGS) -Itests/harness $(call incs,$1) -c $$< -o $$@
$(B)/bin/solutions/$1/test_%: $(B)/obj/tests/$1/test_%.o $$(HARNESS) $(call helpers_of,$1) $(call libs,solutions,$(call upto,$1)) | $(call needs,solutions,$1)
	$$(call say,LD,$$@)mkdir -p $$(@D) && $$(link)
$(B)/bin/steps/$1/test_%: $(B)/obj/tests/$1/test_%.o $$(HARNESS) $(call helpers_of,$1) $(call libs,steps,$(call upto,$1)) | $(call needs,steps,$1)
	$$(call say,LD,$$@)mkdir -p $$(@D) && $$(link)
$(B)/bin/isolated/$1/test_%: $(B)/obj/tests/$1/test_%.o $$(HARNESS) $(call helpers_of,$1) $(call libs,solutions,$(call before,$1)) $(B)/lib/steps/$1.a | $(call needs,isolated,$1)
	$$(call say,LD,$$@)mkdir -p $$(@D) && $$(link)
endef
$(foreach s,$(STEPS),$(eval $(call test_step,$s)))

# The plain programs are the same in every mix: they hold no runtime.
define prog_rule
$(B)/bin/$1/$2/prog_%: $(B)/obj/tests/$2/prog_%.o $(call helpers_of,$2)
	$$(call say,LD,$$@)mkdir -p $$(@D) && $$(link_prog)
endef
$(foreach m,solutions steps isolated,$(foreach s,$(STEPS),$(eval $(call prog_rule,$m,$s))))

# $(call bins,MIX,STEPS): the test programs of those steps in that mix.
bins = $(foreach s,$2,$(addprefix $(B)/bin/$1/$s/,$(TESTS_$s)))

# Keep objects: they are intermediate files, and make would delete them.
.SECONDARY:

# ---- benchmarks: tests/bench/bench_*.c against the reference solutions ----

BENCH_BINS := $(patsubst tests/bench/%.c,$(B)/bench/%,$(wildcard tests/bench/bench_*.c))
# The other .c files of tests/bench/ are helpers (the load generator, the
# echo servers): compiled like the programs, kept in an archive of their
# own, and linked into every program, which takes from it only what it
# uses.
BENCH_HELPERS := $(patsubst tests/bench/%.c,$(B)/obj/bench/%.o,$(filter-out tests/bench/bench_%.c,$(wildcard tests/bench/*.c)))
$(B)/obj/bench/%.o: tests/bench/%.c $(wildcard tests/bench/*.h) $(wildcard $(foreach s,$(STEPS),steps/$s/*.h))
	$(call say,CC,$@)mkdir -p $(@D) && $(CC) $(ALLCFLAGS) $(foreach s,$(STEPS),-Isteps/$s) -Itests/bench -c $< -o $@
$(B)/lib/bench.a: $(BENCH_HELPERS)
	$(call say,AR,$@)mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^
$(B)/bench/%: tests/bench/%.c $(wildcard tests/bench/*.h) $(B)/lib/bench.a $(call libs,solutions,$(STEPS))
	$(call say,CC,$@)mkdir -p $(@D) && $(CC) $(ALLCFLAGS) $(foreach s,$(STEPS),-Isteps/$s) -Itests/bench $< -Wl,--start-group $(filter %.a,$^) -Wl,--end-group -lpthread -lm -ldl $(call step_libs,$(lastword $(STEPS))) $(LDLIBS) -o $@
bench-build: $(BENCH_BINS)
.PHONY: bench-build
