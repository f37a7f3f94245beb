#!/bin/sh
# selftest.sh - `make grade-selftest`: the grader against malicious and
# broken submissions, each with its expected outcome, and against the
# reference solutions, graded 20 times in one parallel batch (4 copies
# whole, 16 of steps 01-06; GRADE_COPIES and GRADE_WHOLE_COPIES change
# that): every copy must get the same score as its kind, full marks (no
# cross-talk, no flakiness), and no refused call.
#
# Each case is a folder of tests/grade/adversarial/: case.c, hostile code
# put into one file of an otherwise reference submission, and expect, the
# outcome. expect's lines:
#   file STEP/FILE   the file case.c goes into (default 01-context/context.c),
#                    appended to the reference file; `-` for none
#   wrap none        do not wrap context_init (by default, for context.c,
#                    context_init calls case.c's adversary() first)
#   steps STEP...    the reference steps the submission holds (default
#                    01-context; none: an empty submission)
#   pack dir|tar.gz|zip|evil   how it is submitted (evil: a .tar.gz with
#                    members that try to escape the extraction folder)
#   flags ...        grader options (cases with the same flags are graded
#                    in one batch)
#   has REGEX        some line of the student's report.txt matches
#   lacks REGEX      no line of it matches
#   absent PATH      the path does not exist after grading
#   present PATH     the path exists (what a case failed to read was there)
#   link FILE TARGET the submission's FILE is a symbolic link to TARGET
# @ROOT@, @OUT@ and @PEER@ (another submission of the batch) are replaced
# in case.c and expect. The last line is "N passed, M failed".
set -u
# The grader with the settings `make` passes (tests/grade/grade.mk).
GRADE() {
    "${GRADER:-build/grader/grade}" --build "${GRADE_BUILD:-build/default}" \
        --cc "${GRADE_CC:-cc}" ${GRADE_CFLAGS:+--cflags "$GRADE_CFLAGS"} "$@"
}
root=$(pwd)
work=$root/build/grade-selftest
cases=tests/grade/adversarial
rm -rf "$work"
mkdir -p "$work/staged"
peer=$work/staged/fork-bomb
passed=0 failed=0

# The value of key in a case's expect ("" if absent).
get() { sed -n "s/^$2 //p" "$cases/$1/expect" | head -n 1; }
subst() { sed -e "s|@ROOT@|$root|g" -e "s|@PEER@|$peer|g" -e "s|@OUT@|$2|g" "$1"; }
group_of() { flags=$(get "$1" flags); echo "${flags:-default}" | tr -c 'a-z0-9\n' _; }

# Stages the submission of a case in $work/staged/NAME.
stage() {
    c=$1 out=$2 dir=$work/staged/$1
    mkdir -p "$dir"
    steps=$(get "$c" steps)
    grep -q '^steps' "$cases/$c/expect" || steps=01-context
    for s in $steps; do cp -r "solutions/$s" "$dir/$s"; done
    link=$(get "$c" link)
    if [ -n "$link" ]; then
        rm -f "$dir/${link%% *}"
        ln -s "$(echo "${link#* }" | sed "s|@ROOT@|$root|g")" "$dir/${link%% *}"
    fi
    file=$(get "$c" file)
    file=${file:-01-context/context.c}
    # No file to plant: none named, or no step to put it in.
    [ "$file" = - ] || [ ! -d "$dir/${file%/*}" ] && return
    wrap=$(get "$c" wrap)
    [ "$file" = 01-context/context.c ] && [ "$wrap" != none ] && wrap=yes
    {
        [ "$wrap" = yes ] && echo '#define context_init adversary_real_context_init'
        cat "solutions/$file"
        echo '#line 1 "case.c"'
        subst "$cases/$c/case.c" "$out"
        [ "$wrap" = yes ] && cat <<'WRAP'
#undef context_init
int context_init(struct context *ctx, void *stack, size_t size,
                 void (*entry)(void *), void *arg);
int context_init(struct context *ctx, void *stack, size_t size,
                 void (*entry)(void *), void *arg)
{
    adversary();
    return adversary_real_context_init(ctx, stack, size, entry, arg);
}
WRAP
    } >"$dir/$file"
}

# Puts the staged case into its group's submissions folder, packed.
pack() {
    c=$1 subs=$2
    case $(get "$c" pack) in
    tar.gz) tar -C "$work/staged/$c" -czf "$subs/$c.tar.gz" . ;;
    zip) (cd "$work/staged" && zip -qr "$subs/$c.zip" "$c") ;;
    evil)
        e=$work/evil-$c; mkdir -p "$e"
        echo escaped >"$e/a"; echo absolute >"$e/b"; echo through >"$e/c"
        ln -s /tmp "$e/link"
        tar -C "$work/staged/$c" -cf "$e/x.tar" .
        tar -C "$e" -rf "$e/x.tar" -P --transform 's,^a$,../../adversary-escaped,' a
        tar -C "$e" -rf "$e/x.tar" -P --transform 's,^b$,/tmp/adversary-absolute,' b
        tar -C "$e" -rf "$e/x.tar" link
        tar -C "$e" -rf "$e/x.tar" --transform 's,^c$,link/adversary-through-link,' c
        gzip -c "$e/x.tar" >"$subs/$c.tar.gz" ;;
    *) cp -r "$work/staged/$c" "$subs/$c" ;;
    esac
}

all=$(ls "$cases")
for c in $all; do
    g=$(group_of "$c")
    mkdir -p "$work/subs-$g" "$work/out-$g"
    stage "$c" "$work/out-$g"
    pack "$c" "$work/subs-$g"
done

# Grade each group; the grader itself must finish and succeed.
for subs in "$work"/subs-*; do
    g=${subs##*/subs-}
    flags=$(for c in $all; do [ "$(group_of "$c")" = "$g" ] && get "$c" flags; done | head -n 1)
    echo "== grading $(ls "$subs" | wc -l) submission(s) with: -j 2 ${flags:-(defaults)}"
    if ! GRADE -q -j 2 $flags --out "$work/out-$g" "$subs" >"$work/out-$g.log" 2>&1; then
        echo "   the grader FAILED on this batch (log: $work/out-$g.log)"
        failed=$((failed + 1))
    fi
done

# Check each case's outcome.
printf '\n%-20s %-7s %s\n' case result outcome
for c in $all; do
    out=$work/out-$(group_of "$c")
    rep=$out/$c/report.txt
    bad=
    if [ ! -f "$rep" ]; then
        bad="no report"
    else
        while IFS= read -r line; do
            key=${line%% *} arg=$(printf "%s\n" "${line#* }" | sed -e "s|@ROOT@|$root|g" -e "s|@OUT@|$out|g" -e "s|@PEER@|$peer|g")
            case $key in
            has) grep -Eq -- "$arg" "$rep" || bad="$bad; missing /$arg/" ;;
            lacks) ! grep -Eq -- "$arg" "$rep" || bad="$bad; unexpected /$arg/" ;;
            absent) [ ! -e "$arg" ] || bad="$bad; $arg exists" ;;
            present) [ -e "$arg" ] || bad="$bad; $arg is missing" ;;
            esac
        done <"$cases/$c/expect"
    fi
    total=$(sed -n 's/^total: \([0-9.]*\) of \([0-9.]*\).*/\1 of \2/p' "$rep" 2>/dev/null)
    refused=$(grep -c "refused in" "$rep" 2>/dev/null)
    if [ -z "$bad" ]; then
        passed=$((passed + 1))
        printf '%-20s %-7s %s points, %s refusal line(s)\n' "$c" PASS "${total:-?}" "${refused:-0}"
    else
        failed=$((failed + 1))
        printf '%-20s %-7s %s\n' "$c" FAIL "${bad#; }"
        echo "    (report: $rep)"
    fi
done

# No process of a sandbox user may outlive the grading.
left=$(ps -eo uid=,pid=,comm= | awk '$1 >= 2140000000 && $1 < 2140000064')
if [ -n "$left" ]; then
    echo "processes of sandbox users left running:"; echo "$left"
    failed=$((failed + 1))
else
    passed=$((passed + 1)); echo "no process of a sandbox user is left running"
fi

# The reference, 20 times in one parallel batch: the first 4 copies whole,
# the others with steps 01-06 only (the runtime's core; steps 07 and later
# take most of a copy's time, and 4 copies of them show cross-talk as
# well). Every copy must get the same score as its kind, with full marks.
copies=${GRADE_COPIES:-20} whole=${GRADE_WHOLE_COPIES:-4}
core=$(ls solutions | awk -F- '$1 <= 6')
mkdir -p "$work/ref"
i=1
while [ "$i" -le "$copies" ]; do
    d=$work/ref/reference-$i
    if [ "$i" -le "$whole" ]; then
        cp -r solutions "$d"
    else
        mkdir -p "$d"
        for s in $core; do cp -r "solutions/$s" "$d/"; done
    fi
    i=$((i + 1))
done
start=$(date +%s)
GRADE -q -j 2 --out "$work/out-ref" "$work/ref" >"$work/out-ref.log" 2>&1
took=$(( $(date +%s) - start ))
# "N POINTS of MAX" per kind: one line each, the whole copies at MAX.
scores_of() {
    i=$1
    while [ "$i" -le "$2" ]; do
        sed -n 's/^total: //p' "$work/out-ref/reference-$i/report.txt" 2>/dev/null | cut -d' ' -f1-3
        i=$((i + 1))
    done | sort | uniq -c
}
scores_whole=$(scores_of 1 "$whole")
scores_core=$(scores_of $((whole + 1)) "$copies")
graded=$(ls -d "$work"/out-ref/reference-*/ 2>/dev/null | wc -l)
if [ "$graded" -eq "$copies" ] && [ "$(echo "$scores_whole" | wc -l)" -eq 1 ] &&
   echo "$scores_whole" | awk '{exit !($2 == $4 && $4 > 0)}' &&
   { [ "$copies" -le "$whole" ] || [ "$(echo "$scores_core" | wc -l)" -eq 1 ]; }; then
    passed=$((passed + 1))
    echo "the reference, graded $copies times in ${took} s (-j 2): $(echo $scores_whole | cut -d' ' -f2-) points every time whole, $(echo $scores_core | cut -d' ' -f2-4) with steps 01-06 only"
else
    failed=$((failed + 1))
    echo "the reference, graded $copies times, FAILED: [$scores_whole] [$scores_core] (see $work/out-ref.log)"
fi

# In every copy, every step it holds that points.txt grades passed every
# test in both modes, and the sandbox refused nothing (a call missing from
# an allowlist shows up here first).
bad=
for d in "$work"/out-ref/reference-*/; do
    n=${d%/}; n=${n##*/}
    for s in $(sed -n 's/^step  *\([^ ]*\) .*/\1/p' tests/grade/points.txt); do
        [ -d "$work/ref/$n/$s" ] || continue
        grep -Eq "^step $s .*[[:space:]]skip([[:space:]]|$)" tests/grade/points.txt && continue
        grep -Eq "^step $s: cumulative ([0-9]+) of \1 passed, isolated ([0-9]+) of \2 passed" \
            "$d/report.txt" || bad="$bad $n:$s"
    done
    grep -q "refused in" "$d/report.txt" && bad="$bad $n:refused"
done
if [ -z "$bad" ]; then
    passed=$((passed + 1)); echo "every copy passes every graded test of the steps it holds, nothing refused"
else
    failed=$((failed + 1)); echo "the reference FAILED in:$bad (see $work/out-ref/)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
