#!/bin/sh
# shellcheck disable=SC2317 # the section_* functions are called by name
# run.sh - `make bench`: runs the benchmarks, saves what they measured, and
# prints the workbook's figures beside their peers' with the targets.
#
#   sh tests/bench/run.sh        (after `make bench-build`; `make bench`
#                                 does both)
#
# What it runs:
#   - every program build/default/bench/bench_* (one per
#     tests/bench/bench_*.c), in name order;
#   - tests/bench/chanpingpong.go, if Go is installed (offline: one file,
#     no module, GOCACHE under build/bench/).
# Each prints result lines `name,value,unit` on stdout and notes on stderr.
#
# What it writes:
#   build/bench/results.csv   benchmark,value,unit,machine
#   build/bench/notes.txt     what the programs said on stderr
#
# The memory rows need many memory mappings (tests/bench/bench_sched.c):
# as root, this script raises vm.max_map_count for the run and puts it back
# afterwards; otherwise those rows are skipped, with a note.
#
# Nothing here fails on a number: a target missed says NOT MET, and the
# script still exits 0. It exits non-zero only if no benchmark ran at all.
#
# To add a benchmark: write tests/bench/bench_<what>.c printing its own
# `name,value,unit` lines; it is built and run with the others, and its
# rows show up under "Other results". To give them a section with peers
# and targets, write a function section_<what> below (see section_switch)
# and add <what> to SECTIONS.
set -u
cd "$(dirname "$0")/../.." || exit 2

bindir=build/${VARIANT:-default}/bench
out=build/bench
mkdir -p "$out"
raw=$out/raw.csv           # name,value,unit, as the programs printed them
notes=$out/notes.txt
results=$out/results.csv
tmp=$out/tmp
: >"$raw"
: >"$notes"

say() { printf '%s\n' "$*"; }

# A note: shown now, and kept for the end of the table.
note() {
    say "  note: $*"
    say "$*" >>"$notes"
}

# ---- the machine ----

cpu=$(grep -m1 -E '^(model name|Model|Hardware)' /proc/cpuinfo 2>/dev/null |
      cut -d: -f2- | sed 's/^ *//')
[ -n "$cpu" ] || cpu=$(uname -m)
cores=$(nproc 2>/dev/null || echo '?')
vm=
grep -qw hypervisor /proc/cpuinfo 2>/dev/null && vm="; virtual machine"
machine=$(printf '%s; %s cores%s; %s; %s' "$cpu" "$cores" "$vm" \
          "$(uname -sr)" "$(date -u '+%Y-%m-%d %H:%M UTC')" | tr -d ',')
say "Machine: $machine"

# Timings are only as good as the machine is quiet: say so if something
# else is using the CPUs (over one second, from /proc/stat).
cpu_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6; exit }' /proc/stat; }
if [ -r /proc/stat ]; then
    before=$(cpu_busy); sleep 1; after=$(cpu_busy)
    busy=$(printf '%s %s\n' "$before" "$after" |
           awk '{ t = ($3 + $4) - ($1 + $2); if (t > 0) printf "%.0f", 100 * ($3 - $1) / t; else print 0 }')
    if [ "$busy" -ge 10 ]; then
        note "the machine was busy before the run (${busy}% of all CPU time" \
             "in use): other processes share the CPUs, so the timings may be" \
             "inflated and the ratios noisy"
    fi
fi

# ---- vm.max_map_count, for the memory rows ----

want_maps=2200000
old_maps=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo unknown)
restore_maps=
case $old_maps in
*[!0-9]*|'')
    note "cannot read vm.max_map_count: the memory rows may be skipped" ;;
*)
    if [ "$old_maps" -lt "$want_maps" ]; then
        if [ "$(id -u)" -eq 0 ] &&
           { sysctl -q -w vm.max_map_count=$want_maps 2>/dev/null ||
             echo $want_maps 2>/dev/null >/proc/sys/vm/max_map_count; } &&
           [ "$(cat /proc/sys/vm/max_map_count)" -ge "$want_maps" ]; then
            say "Raised vm.max_map_count from $old_maps to $want_maps" \
                "(sysctl -w vm.max_map_count=$want_maps), for the" \
                "1,000,000-tasklet rows; it goes back to $old_maps at the end."
            restore_maps=$old_maps
        else
            note "vm.max_map_count is $old_maps and could not be raised" \
                 "(not root, or /proc/sys is read-only): each tasklet stack" \
                 "is 2 mappings, so only about $((old_maps / 2)) tasklets fit;" \
                 "the memory rows that need more are skipped. To run them:" \
                 "sudo sysctl -w vm.max_map_count=$want_maps, then make bench."
        fi
    fi ;;
esac

cleanup() {
    if [ -n "$restore_maps" ]; then
        sysctl -q -w vm.max_map_count="$restore_maps" 2>/dev/null ||
            echo "$restore_maps" >/proc/sys/vm/max_map_count
        say "vm.max_map_count is back to $restore_maps."
        restore_maps=
    fi
    rm -f "$tmp.out" "$tmp.err"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- running the programs ----

result_line='^[a-z0-9_]+,[-+0-9.eE]+,[A-Za-z/%]+$'

# run LABEL COMMAND...: runs one benchmark program; keeps its result lines,
# passes on its notes.
run() {
    label=$1; shift
    say "Running $label ..."
    start=$(date +%s)
    "$@" >"$tmp.out" 2>"$tmp.err"
    rc=$?
    grep -E "$result_line" "$tmp.out" >>"$raw"
    grep -hvE "$result_line" "$tmp.out" "$tmp.err" |
        while IFS= read -r line; do
            [ -n "$line" ] && note "$line"
        done
    [ "$rc" -eq 0 ] || note "$label exited with status $rc"
    say "  ($(( $(date +%s) - start )) s)"
}

ran=0
for prog in "$bindir"/bench_*; do
    [ -x "$prog" ] || continue
    run "$(basename "$prog")" "$prog"
    ran=$((ran + 1))
done
if [ "$ran" -eq 0 ]; then
    say "No benchmark programs in $bindir: run make bench-build first."
    exit 1
fi

if command -v go >/dev/null 2>&1; then
    # Offline and module-free: one file, the standard library only.
    if GO111MODULE=off GOFLAGS='' GOPROXY=off GOTOOLCHAIN=local \
       GOCACHE="$PWD/$out/go-cache" GOPATH="$PWD/$out/go-path" \
       go build -o "$out/chanpingpong" tests/bench/chanpingpong.go 2>"$tmp.err"
    then
        # Unset, so that the program measures Go's own default too.
        unset GOMAXPROCS
        run "chanpingpong.go ($(go version | cut -d' ' -f3))" "$out/chanpingpong"
    else
        cat "$tmp.err"
        note "go build tests/bench/chanpingpong.go failed; skipping the Go rows"
    fi
else
    note "Go was not found (tests/mk/deps.sh bench installs golang-go);" \
         "skipping the Go rows"
fi

{
    say "benchmark,value,unit,machine"
    awk -v m="$machine" '{ print $0 "," m }' "$raw"
} >"$results"

# ---- the table ----

# The value of a result, or nothing if it was not measured.
get() { awk -F, -v k="$1" '$1 == k { v = $2 } END { print v }' "$raw"; }

# Arithmetic on decimals: calc '2 * 3.5' prints 7.00.
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }

# Results already shown in a section; the rest go under "Other results".
shown=' '

heading() { printf '\n%s\n' "$1"; }

# row LABEL NAME [COMPARISON [TARGET [VERDICT]]]
row() {
    shown="$shown$2 "
    v=$(get "$2")
    if [ -z "$v" ]; then
        printf '  %-44s %10s   %s\n' "$1" "-" "not measured (see notes)"
        return
    fi
    printf '  %-44s %10s   %-28s %-18s %s\n' "$1" "$v" "${3-}" "${4-}" "${5-}"
}

# at_most VALUE LIMIT / at_least VALUE LIMIT: the verdict on a target, and
# by how much it was missed.
at_most() {
    awk -v v="$1" -v l="$2" 'BEGIN {
        if (v <= l) print "met";
        else if (v < 2 * l) printf "NOT MET (%.0f%% over)\n", (v / l - 1) * 100;
        else printf "NOT MET (%.1fx the limit)\n", v / l }'
}
at_least() {
    awk -v v="$1" -v l="$2" 'BEGIN {
        if (v >= l) print "met";
        else printf "NOT MET (%.0f%% short)\n", (1 - v / l) * 100 }'
}

# Every value present? (Ratios need both sides.)
have() { for k; do [ -n "$(get "$k")" ] || return 1; done; }

section_switch() {
    heading "Context switch (ns per switch)"
    cs=$(get switch_context_switch)
    row "step 01 context_switch" switch_context_switch
    if have switch_context_switch switch_bare_asm; then
        r=$(calc "$cs / $(get switch_bare_asm)")
        row "bare six-register push/pop switch" switch_bare_asm \
            "${r}x the bare switch" "<= 1.2x" "$(at_most "$r" 1.2)"
    else
        row "bare six-register push/pop switch" switch_bare_asm
    fi
    if have switch_context_switch switch_swapcontext; then
        r=$(calc "$(get switch_swapcontext) / $cs")
        row "glibc swapcontext" switch_swapcontext \
            "${r}x faster" ">= 20x faster" "$(at_least "$r" 20)"
    else
        row "glibc swapcontext" switch_swapcontext
    fi
    if have switch_context_switch switch_pthread_handoff; then
        r=$(calc "$(get switch_pthread_handoff) / $cs")
        row "2 pthreads, mutex+condvar: ONE-WAY handoff" \
            switch_pthread_handoff "${r}x faster" "(none)"
    else
        row "2 pthreads, mutex+condvar: ONE-WAY handoff" switch_pthread_handoff
    fi
    if have switch_context_switch_fpflags switch_bare_asm; then
        r=$(calc "$(get switch_context_switch_fpflags) / $(get switch_bare_asm)")
        row "context_switch, the two MXCSR differ" switch_context_switch_fpflags \
            "${r}x the bare switch" "<= 1.2x" "$(at_most "$r" 1.2)"
    else
        row "context_switch, the two MXCSR differ" switch_context_switch_fpflags
    fi
}

section_sched() {
    heading "Scheduler (ns per yield = per switch)"
    if have sched_yield switch_bare_asm; then
        r=$(calc "$(get sched_yield) / $(get switch_bare_asm)")
        row "tasklet_yield, 2 tasklets" sched_yield \
            "${r}x the bare switch" "<= 2x" "$(at_most "$r" 2)"
    else
        row "tasklet_yield, 2 tasklets" sched_yield
    fi
    if have sched_yield_fpflags switch_bare_asm; then
        r=$(calc "$(get sched_yield_fpflags) / $(get switch_bare_asm)")
        row "tasklet_yield, one raised an FP flag" sched_yield_fpflags \
            "${r}x the bare switch" "<= 2x" "$(at_most "$r" 2)"
    else
        row "tasklet_yield, one raised an FP flag" sched_yield_fpflags
    fi
}

section_chan() {
    heading "Channel ping-pong (ns per round trip)"
    ours=$(get sched_chan_roundtrip)
    row "step 03 chan_send/chan_receive" sched_chan_roundtrip
    if have sched_chan_roundtrip go_chan_roundtrip_gomaxprocs1; then
        r=$(calc "$(get go_chan_roundtrip_gomaxprocs1) / $ours")
        row "Go unbuffered chan, GOMAXPROCS=1" go_chan_roundtrip_gomaxprocs1 \
            "${r}x faster" ">= 3x faster" "$(at_least "$r" 3)"
    else
        row "Go unbuffered chan, GOMAXPROCS=1" go_chan_roundtrip_gomaxprocs1
    fi
    procs=$(get go_gomaxprocs_default)
    shown="$shown go_gomaxprocs_default "
    label="Go unbuffered chan, GOMAXPROCS=${procs:-?} (default)"
    if have sched_chan_roundtrip go_chan_roundtrip_gomaxprocs_default; then
        r=$(calc "$(get go_chan_roundtrip_gomaxprocs_default) / $ours")
        row "$label" go_chan_roundtrip_gomaxprocs_default "${r}x faster" "(shown only)"
    else
        row "$label" go_chan_roundtrip_gomaxprocs_default
    fi
}

section_spawn() {
    heading "Spawn + run + exit, stack from the cache (ns)"
    if have sched_spawn_exit; then
        row "tasklet_spawn of a function that returns" sched_spawn_exit \
            "" "<= 100 ns" "$(at_most "$(get sched_spawn_exit)" 100)"
    else
        row "tasklet_spawn of a function that returns" sched_spawn_exit
    fi
}

section_memory() {
    heading "Resident memory per idle tasklet (KiB, VmRSS)"
    for n in 100000 1000000; do
        for how in park chan; do
            case $how in
            park) what="in tasklet_park" ;;
            chan) what="in chan_receive" ;;
            esac
            label="$(printf '%s' "$n" | sed 's/000000$/M/; s/000$/k/') tasklets, each $what"
            k=sched_idle_rss_${how}_$n
            if have "$k"; then
                row "$label" "$k" "" "<= 8 KiB" "$(at_most "$(get "$k")" 8)"
            else
                row "$label" "$k"
            fi
            pte=sched_idle_pte_${how}_$n
            if have "$pte"; then
                row "  + its page tables (VmPTE, not in VmRSS)" "$pte"
            else
                shown="$shown$pte "
            fi
        done
    done
}

# Whatever no section showed: rows of newer benchmarks.
section_other() {
    awk -F, -v shown="$shown" 'index(shown, " " $1 " ") == 0' "$raw" >"$tmp.out"
    [ -s "$tmp.out" ] || return 0
    heading "Other results"
    while IFS=, read -r name value unit; do
        printf '  %-44s %10s   %s\n' "$name" "$value" "$unit"
    done <"$tmp.out"
}

SECTIONS="switch sched chan spawn memory"

say
say "Results, best of 5 runs each. 'Nx faster': the section's first row (the"
say "workbook) against that row's peer; 'Nx the bare switch': that row against"
say "the bare switch. The *_fpflags rows: see tests/bench/bench_switch.c."
printf '  %-44s %10s   %-28s %-18s %s\n' "" "value" "workbook vs this" \
    "target" "verdict"
for s in $SECTIONS; do
    "section_$s"
done
section_other
if [ -s "$notes" ]; then
    printf '\nNotes:\n'
    sed 's/^/  - /' "$notes"
fi
printf '\nSaved: %s\n' "$results"
exit 0
