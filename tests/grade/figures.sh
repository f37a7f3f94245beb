#!/bin/sh
# figures.sh - `make grade-figures`: the grader's figures, measured on this
# machine (too slow for `make test`; `make grade-selftest` grades the
# reference 20 times already).
#
#   1. one complete submission of steps 01-04 (the reference), timed;
#   2. one submission of every step (the whole reference), timed;
#   3. a batch of 50 graded in parallel (-j of the machine's CPUs): 45
#      copies of the reference and 5 broken submissions whose scores are
#      known; every one must get exactly its score (no cross-talk).
#
# The last line is "N passed, M failed".
set -u
GRADE() {
    "${GRADER:-build/grader/grade}" --build "${GRADE_BUILD:-build/default}" \
        --cc "${GRADE_CC:-cc}" ${GRADE_CFLAGS:+--cflags "$GRADE_CFLAGS"} "$@"
}
work=$(pwd)/build/grade-figures
rm -rf "$work"
mkdir -p "$work/one" "$work/whole" "$work/batch"
cpus=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0
check() { # check WHAT EXPECTED GOT
    if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "  ok    $1: $3"
    else failed=$((failed + 1)); echo "  FAIL  $1: expected $2, got $3"; fi
}
total_of() { sed -n 's/^total: \([0-9.]*\) of.*/\1/p' "$1/report.txt" 2>/dev/null; }

echo "== 1. one submission of steps 01-04 (the reference), -j $cpus"
mkdir -p "$work/one/student"
for s in 01-context 02-tasklets 03-channels 04-timers; do cp -r "solutions/$s" "$work/one/student/"; done
start=$(date +%s.%N)
GRADE -q -j "$cpus" --out "$work/out-one" "$work/one" >"$work/one.log" 2>&1
end=$(date +%s.%N)
secs=$(echo "$start $end" | awk '{printf "%.1f", $2 - $1}')
echo "  graded in $secs s (steps 05 and later are missing, so they fail to compile at once)"
check "steps 01-04 points" 70.00 "$(total_of "$work/out-one/student")"
awk -v s="$secs" 'BEGIN { exit !(s < 30) }' && passed=$((passed + 1)) && echo "  ok    under 30 s" ||
    { failed=$((failed + 1)); echo "  FAIL  over 30 s"; }

echo "== 2. one submission of every step (the whole reference), -j $cpus"
cp -r solutions "$work/whole/student"
start=$(date +%s.%N)
GRADE -q -j "$cpus" --out "$work/out-whole" "$work/whole" >"$work/whole.log" 2>&1
end=$(date +%s.%N)
secs=$(echo "$start $end" | awk '{printf "%.1f", $2 - $1}')
max=$(sed -n 's/^total: [0-9.]* of \([0-9.]*\).*/\1/p' "$work/out-whole/student/report.txt")
echo "  graded in $secs s"
check "every step's points" "$max" "$(total_of "$work/out-whole/student")"
awk -v s="$secs" 'BEGIN { exit !(s < 60) }' && passed=$((passed + 1)) && echo "  ok    under 60 s" ||
    { failed=$((failed + 1)); echo "  FAIL  over 60 s"; }

echo "== 3. a batch of 50, -j $cpus"
i=1
while [ "$i" -le 45 ]; do cp -r solutions "$work/batch/ref-$i"; i=$((i + 1)); done
# Broken ones, with the scores points.txt gives them (MAX: the whole
# reference's, measured above):
mkdir -p "$work/batch/only-01-02"                      # 10 + 20
cp -r solutions/01-context solutions/02-tasklets "$work/batch/only-01-02/"
cp -r solutions "$work/batch/broken-03"                # all but 03: MAX - 20
echo 'int broken(void) { return }' >>"$work/batch/broken-03/03-channels/chan.c"
cp -r solutions "$work/batch/broken-01"                # 01 lost, the rest isolated: MAX - 10
echo 'int broken(void) { return }' >>"$work/batch/broken-01/01-context/context.c"
mkdir -p "$work/batch/empty"                           # 0
cp -r solutions "$work/batch/exit-in-timer"            # 04 lost: MAX - 20
cat >>"$work/batch/exit-in-timer/04-timers/timer.c" <<'C'
#include <stdlib.h>
__attribute__((constructor)) static void leave(void) { exit(0); }
C
start=$(date +%s.%N)
GRADE -q -j "$cpus" --out "$work/out-batch" "$work/batch" >"$work/batch.log" 2>&1
end=$(date +%s.%N)
secs=$(echo "$start $end" | awk '{printf "%.1f", $2 - $1}')
echo "  graded 50 in $secs s"
minus() { awk -v m="$max" -v d="$1" 'BEGIN { printf "%.2f", m - d }'; }
full=0
i=1
while [ "$i" -le 45 ]; do
    [ "$(total_of "$work/out-batch/ref-$i")" = "$max" ] && full=$((full + 1))
    i=$((i + 1))
done
check "reference copies with full marks ($max)" 45 "$full"
check "only-01-02" 30.00 "$(total_of "$work/out-batch/only-01-02")"
check "broken-03" "$(minus 20)" "$(total_of "$work/out-batch/broken-03")"
check "broken-01" "$(minus 10)" "$(total_of "$work/out-batch/broken-01")"
check "empty" 0.00 "$(total_of "$work/out-batch/empty")"
check "exit-in-timer" "$(minus 20)" "$(total_of "$work/out-batch/exit-in-timer")"
check "gradebook rows" 51 "$(wc -l <"$work/out-batch/gradebook.csv" | tr -d ' ')"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
