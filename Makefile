# The workbook's commands; README.md explains them.
#
#   make            install what is missing, build the reference solutions
#                   and every test, and say where to start
#   make check      the student's loop: check steps/ in order, stop at the
#                   first failing step (STEP=03 checks one; SRC=solutions
#                   checks the reference tree)
#   make status     a table of every step: passed, failing or not started
#   make test       verify the workbook itself (what CI runs)
#   make bench      measure the runtime beside its peers
#   make grade      grade steps/ in the sandbox, as an instructor would
#                   (tests/grade/grade.mk: SUBMISSIONS=DIR, handout,
#                   autograder, grade-selftest)
#   make clean      remove build/
#
# CC, CFLAGS, V=1 and -j work as usual. Everything generated goes to build/.

.DEFAULT_GOAL := all
include tests/mk/build.mk
include book/book.mk
include tests/mk/servers.mk
include tests/grade/grade.mk

SRC ?= steps
STEP ?=
ifneq ($(filter-out steps solutions,$(SRC)),)
  $(error SRC must be steps or solutions, not '$(SRC)')
endif
# The student edition (`make handout`) has no solutions/: there `make`
# builds the tests, and SRC=solutions has nothing to check.
HAVE_SOLUTIONS := $(wildcard solutions/[0-9][0-9]-*)
ifeq ($(SRC):$(HAVE_SOLUTIONS),solutions:)
  $(error SRC=solutions: this edition of the workbook has no solutions/)
endif
ifneq ($(STEP),)
  CHECK_STEP := $(filter $(STEP)-%,$(STEPS))
  ifeq ($(CHECK_STEP),)
    $(error STEP=$(STEP) names no step; the steps are: $(STEPS))
  endif
endif
CHECK_STEPS := $(if $(STEP),$(CHECK_STEP),$(STEPS))

.PHONY: all deps build check status test bench clean \
        build-solutions build-isolated build-steps build-tests

all: deps build
	@echo
	@echo "Built $(if $(HAVE_SOLUTIONS),the reference solutions and )the tests of: $(STEPS)"
	@echo "Start with chapters/00-introduction.md, then chapters/01-context.md;"
	@echo "write your code in steps/01-context/ and run 'make check'."

deps:
	@sh tests/mk/deps.sh base

build: $(if $(HAVE_SOLUTIONS),build-solutions,build-tests)

build-solutions: $(call bins,solutions,$(STEPS))
build-isolated: $(call bins,isolated,$(STEPS))
build-steps: $(call bins,steps,$(CHECK_STEPS))
build-tests: $(HARNESS) $(foreach s,$(STEPS),$(patsubst tests/%.c,$(B)/obj/tests/%.o,$(wildcard tests/$s/*.c)))

# The student's loop builds one step at a time, so that a step that does
# not compile yet stops the check there and not before.
check:
	@for s in $(CHECK_STEPS); do \
	    $(MAKE) --no-print-directory build-steps-for ONE=$$s MIX=$(SRC) || \
	        { echo; echo "step $$s does not compile: fix the first error above (in $(SRC)/$$s/)"; exit 1; }; \
	    tests/run --check --variant $(VARIANT) --mix $(SRC) $$s || exit 1; \
	done; echo "Every step checked passes."

build-steps-for:
	@$(MAKE) --no-print-directory $(call bins,$(MIX),$(ONE))

status:
	@echo "Progress of $(SRC)/:"
	@for s in $(STEPS); do \
	    $(MAKE) --no-print-directory -s build-steps-for ONE=$$s MIX=$(SRC) >/dev/null 2>&1; \
	    tests/run --status --variant $(VARIANT) --mix $(SRC) $$s; \
	done

test: deps
	@sh tests/selftest.sh

bench:
	@sh tests/mk/deps.sh bench
	@$(MAKE) --no-print-directory bench-build
	@sh tests/bench/run.sh

clean:
	rm -rf build
