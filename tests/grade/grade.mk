# grade.mk - the grader's commands; the top-level Makefile includes it.
#
#   make grade                  grade your own steps/ as an instructor would:
#                               per step, tests passed, points, and what the
#                               sandbox refused, in plain words
#   make grade SUBMISSIONS=DIR  grade every submission in DIR, in parallel,
#                               into build/grade/ (gradebook.csv, reports)
#   make grade-selftest         the adversarial suite, the reference graded
#                               20 times, a batch of 50 (tests/grade/selftest.sh)
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
# not skip, and the reference archives the isolated mode links with (when
# solutions/ is there).
GRADE_SKIP := $(shell sed -n 's/^step  *\([^ ]*\) .*[[:space:]]skip\([[:space:]].*\)\{0,1\}$$/\1/p' tests/grade/points.txt)
GRADE_STEPS = $(filter-out $(GRADE_SKIP),$(STEPS))
GRADE_INPUTS = $(HARNESS) \
    $(foreach s,$(GRADE_STEPS),$(patsubst tests/%.c,$(B)/obj/tests/%.o,$(filter-out tests/$s/prog_%,$(wildcard tests/$s/*.c)))) \
    $(if $(wildcard solutions/[0-9][0-9]-*),$(call libs,solutions,$(GRADE_STEPS)))
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
