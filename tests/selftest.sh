#!/bin/sh
# selftest.sh - `make test`: verifies the workbook itself.
#
# Each stage is one claim the workbook makes; a failing stage does not stop
# the others, so one run shows everything that is wrong. The last line
# counts the stages: "N passed, M failed".
set -u
MAKE="${MAKE:-make} --no-print-directory"
jobs=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0 failures=
log=build/selftest
mkdir -p "$log"

stage() {
    name=$1; shift
    printf '== %s\n' "$name"
    if "$@" >"$log/$name.log" 2>&1; then
        tail -n 1 "$log/$name.log" | sed 's/^/   /'
        passed=$((passed + 1))
    else
        # Show the end of the log: enough to see what failed.
        tail -n 40 "$log/$name.log" | sed 's/^/   /'
        echo "   FAILED (whole log: $log/$name.log)"
        failed=$((failed + 1)); failures="$failures $name"
    fi
}

all_steps=$(ls -d steps/[0-9][0-9]-* | xargs -n1 basename | tr '\n' ' ')
# The steps of the runtime core, which must also run on aarch64.
core_steps=$(echo $all_steps | tr ' ' '\n' | awk -F- '$1 <= 4' | tr '\n' ' ')

# 1. The reference solutions pass every test.
stage solutions sh -c "$MAKE -j$jobs build-solutions && tests/run -q $all_steps"
# 2. Every starter compiles, links, and fails its own step's tests.
stage starters sh -c "$MAKE -j$jobs build-isolated && tests/run --mix isolated --expect-fail $all_steps"
# 3. The student's cumulative tree (all starters) builds as shipped.
stage starters-build sh -c "$MAKE -j$jobs build-steps && echo 'steps/ builds as shipped'"
# 4. Clean under AddressSanitizer and UBSan, with fiber annotations.
stage asan sh -c "$MAKE -j$jobs VARIANT=asan build-solutions && tests/run -q --variant asan $all_steps"
# 5. Clean under valgrind, with the stacks registered.
stage valgrind env HARNESS_TIMEOUT=120 tests/run -q --wrap "valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite" $all_steps
# 6. The portable swapcontext backend passes the core steps.
stage ucontext sh -c "$MAKE -j$jobs VARIANT=ucontext build-solutions && tests/run -q --variant ucontext $core_steps"
# 7. The aarch64 switch passes the core steps under qemu-user.
stage aarch64 sh -c "for s in $core_steps; do $MAKE -j$jobs VARIANT=aarch64 build-steps-for ONE=\$s MIX=solutions || exit 1; done && HARNESS_TIMEOUT=60 tests/run -q --variant aarch64 --no-fork --wrap 'qemu-aarch64 -L /usr/aarch64-linux-gnu' $core_steps"
# 8. The benchmarks build (make bench runs them; no timing is asserted here).
stage bench-build $MAKE -j$jobs bench-build
# 9. The MUD's parsers survive a few seconds of fuzzing each (make fuzz-mud
#    runs them longer).
stage fuzz $MAKE fuzz-mud FUZZ_SECONDS=3
# 10. The book builds in both editions; its includes, links and pages check out.
stage book $MAKE book-check
# 11. The grader contains every adversarial submission as its expect file says,
#     and grades the reference 20 times in parallel to the same full marks.
stage grade $MAKE grade-selftest

echo
[ -n "$failures" ] && echo "failed stages:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
