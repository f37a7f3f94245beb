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

# $(call sources,TREE,STEP): the step's .c and .S files in that tree. Given
# code (a file in steps/ that solutions/ does not have) lives once, in
# steps/, and is part of both trees, like the headers.
own = $(wildcard $1/$2/*.c $1/$2/*.S)
given = $(filter-out $(patsubst solutions/%,steps/%,$(call own,solutions,$1)),$(call own,steps,$1))
sources = $(call own,$1,$2) $(if $(filter solutions,$1),$(call given,$2))

define tree_step
$(B)/obj/$1/$2/%.o: $1/$2/%.c $$(wildcard $(foreach s,$(call upto,$2),steps/$s/*.h))
	$$(call say,CC,$$@)mkdir -p $$(@D) && $$(CC) $$(ALLCFLAGS) $(call incs,$2) -c $$< -o $$@
$(B)/obj/$1/$2/%.o: $1/$2/%.S $$(wildcard $(foreach s,$(call upto,$2),steps/$s/*.h))
	$$(call say,AS,$$@)mkdir -p $$(@D) && $$(CC) $$(ALLCFLAGS) $(call incs,$2) -c $$< -o $$@
$(B)/lib/$1/$2.a: $(patsubst %,$(B)/obj/%.o,$(basename $(call sources,$1,$2)))
	$$(call say,AR,$$@)mkdir -p $$(@D) && rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach t,steps solutions,$(foreach s,$(STEPS),$(eval $(call tree_step,$t,$s))))

# ---- the test harness ----

HARNESS := $(B)/obj/harness/harness.o $(B)/obj/harness/support.o
$(B)/obj/harness/%.o: tests/harness/%.c tests/harness/harness.h
	$(call say,CC,$@)mkdir -p $(@D) && $(CC) $(ALLCFLAGS) -Itests/harness -c $< -o $@

# ---- test programs, per step and mix ----

libs = $(foreach s,$2,$(B)/lib/$1/$s.a)
link = $(CC) $(ALLLDFLAGS) -o $@ $< $(HARNESS) -Wl,--start-group $(filter %.a,$^) -Wl,--end-group $(LDLIBS_ALL) $(LDLIBS)

define test_step
TESTS_$1 := $(basename $(notdir $(wildcard tests/$1/test_*.c)))
$(B)/obj/tests/$1/%.o: tests/$1/%.c tests/harness/harness.h $$(wildcard $(foreach s,$(call upto,$1),steps/$s/*.h))
	$$(call say,CC,$$@)mkdir -p $$(@D) && $$(CC) $$(ALLCFLAGS) -Itests/harness $(call incs,$1) -c $$< -o $$@
$(B)/bin/solutions/$1/%: $(B)/obj/tests/$1/%.o $$(HARNESS) $(call libs,solutions,$(call upto,$1))
	$$(call say,LD,$$@)mkdir -p $$(@D) && $$(link)
$(B)/bin/steps/$1/%: $(B)/obj/tests/$1/%.o $$(HARNESS) $(call libs,steps,$(call upto,$1))
	$$(call say,LD,$$@)mkdir -p $$(@D) && $$(link)
$(B)/bin/isolated/$1/%: $(B)/obj/tests/$1/%.o $$(HARNESS) $(call libs,solutions,$(call before,$1)) $(B)/lib/steps/$1.a
	$$(call say,LD,$$@)mkdir -p $$(@D) && $$(link)
endef
$(foreach s,$(STEPS),$(eval $(call test_step,$s)))

# $(call bins,MIX,STEPS): the test programs of those steps in that mix.
bins = $(foreach s,$2,$(addprefix $(B)/bin/$1/$s/,$(TESTS_$s)))

# Keep objects: they are intermediate files, and make would delete them.
.SECONDARY:

# ---- benchmarks: tests/bench/bench_*.c against the reference solutions ----

BENCH_BINS := $(patsubst tests/bench/%.c,$(B)/bench/%,$(wildcard tests/bench/bench_*.c))
$(B)/bench/%: tests/bench/%.c $(wildcard tests/bench/*.h) $(call libs,solutions,$(STEPS))
	$(call say,CC,$@)mkdir -p $(@D) && $(CC) $(ALLCFLAGS) $(foreach s,$(STEPS),-Isteps/$s) -Itests/bench $< -Wl,--start-group $(filter %.a,$^) -Wl,--end-group -lpthread -lm -ldl $(LDLIBS) -o $@
bench-build: $(BENCH_BINS)
.PHONY: bench-build
