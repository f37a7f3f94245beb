# grade.mk - the grader's commands; the top-level Makefile includes it.
#
#   make grade                  grade your own steps/ as an instructor would:
#                               per step, tests passed, points, and what the
#                               sandbox refused, in plain words
#   make grade SUBMISSIONS=DIR  grade every submission in DIR, in parallel,
#                               into build/grade/ (gradebook.csv, reports)
#   make grade-selftest         the adversarial suite, and the reference
#                               graded 20 times (tests/grade/selftest.sh)
#   make handout                the student edition: build/handout/ and
#                               build/handout.tar.gz (no solutions/)
#   make autograder             build/autograder.zip for Gradescope, and
#                               build/classroom/ for GitHub Classroom
#                               (GRADE_EXTRA_TESTS=DIR adds hidden tests)
#
#   GRADE_FLAGS='-j 4 --extra-tests DIR ...'   more grader options
#                               (build/grader/grade --help lists them)
#
# The grader is C on libseccomp and libarchive: tests/grade/README.md.

GRADER := build/grader/grade
GRADER_OBJS := $(patsubst tests/grade/%.c,build/grader/obj/%.o,$(wildcard tests/grade/*.c))

# What the grader trusts, built here before any submission is looked at:
# the harness, the test objects and helpers of every step points.txt does
# not skip, the steps' plain programs (tests/NN/prog_*.c, into
# $(B)/bin/grade/NN/), and, when solutions/ is there, the reference
# archives the isolated mode links with, and for the steps up to the last
# with a shared library (07-install's libgreen.so), the same -fPIC.
GRADE_SKIP := $(shell sed -n 's/^step  *\([^ ]*\) .*[[:space:]]skip\([[:space:]].*\)\{0,1\}$$/\1/p' tests/grade/points.txt)
GRADE_STEPS = $(filter-out $(GRADE_SKIP),$(STEPS))
GRADE_SHARED = $(lastword $(foreach s,$(GRADE_STEPS),$(if $(call has_preload,$s),$s)))
GRADE_PIC_STEPS = $(if $(GRADE_SHARED),$(call upto,$(GRADE_SHARED)))
GRADE_INPUTS = $(HARNESS) \
    $(foreach s,$(GRADE_STEPS),$(patsubst tests/%.c,$(B)/obj/tests/%.o,$(filter-out tests/$s/prog_%,$(wildcard tests/$s/*.c)))) \
    $(foreach s,$(GRADE_STEPS),$(patsubst tests/$s/%.c,$(B)/bin/grade/$s/%,$(call progs_of,$s))) \
    $(if $(wildcard solutions/[0-9][0-9]-*),$(call libs,solutions,$(GRADE_STEPS)) \
        $(foreach s,$(GRADE_PIC_STEPS),$(B)/lib/pic/solutions/$s.a))

# The plain programs, as build.mk links them for every mix.
$(foreach s,$(STEPS),$(eval $(call prog_rule,grade,$s)))
# A reference step's -fPIC objects (build.mk's pic/, given files included)
# in one archive, which the grader links whole into libgreen.so.
define grade_pic
$(B)/lib/pic/solutions/$1.a: $(call pic_objs,solutions,$1)
	$$(call say,AR,$$@)mkdir -p $$(@D) && rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach s,$(STEPS),$(eval $(call grade_pic,$s)))
GRADE_RUN = $(GRADER) --build $(B) --cc "$(CC)" --cflags "$(BASEFLAGS) $(CFLAGS)"
# The scripts get the same settings through the environment.
GRADE_ENV = GRADER=$(GRADER) GRADE_BUILD=$(B) GRADE_CC="$(CC)" \
            GRADE_CFLAGS="$(BASEFLAGS) $(CFLAGS)"

.PHONY: grade grade-deps grade-build grade-inputs grade-selftest grade-figures handout autograder

$(GRADER): $(GRADER_OBJS)
	$(call say,LD,$@)$(CC) -o $@ $^ -lseccomp -larchive
build/grader/obj/%.o: tests/grade/%.c $(wildcard tests/grade/*.h)
	$(call say,CC,$@)mkdir -p $(@D) && $(CC) -std=gnu11 $(WARN) -O2 -g -c $< -o $@

grade-deps:
	@sh tests/mk/deps.sh grade

grade-build: grade-deps
	@$(MAKE) --no-print-directory -s grade-inputs
grade-inputs: $(GRADER) $(GRADE_INPUTS)

grade: grade-build
	@$(GRADE_RUN) $(GRADE_FLAGS) $(if $(SUBMISSIONS),$(SUBMISSIONS),--self)

# The instructor's scripts are not in the student edition.
instructor = @test -f tests/grade/$1 || { echo "make $@: an instructor's command, not in the student edition"; exit 2; }

grade-selftest: grade-build
	$(call instructor,selftest.sh)
	@$(GRADE_ENV) sh tests/grade/selftest.sh

grade-figures: grade-build
	$(call instructor,figures.sh)
	@$(GRADE_ENV) sh tests/grade/figures.sh

handout:
	$(call instructor,handout.sh)
	@sh tests/grade/handout.sh

autograder: grade-deps
	$(call instructor,autograder.sh)
	@sh tests/grade/autograder.sh
