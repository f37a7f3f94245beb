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
# The peers of bench_net's echo servers come as commands it runs:
#   BENCH_NET_GO      tests/bench/echo.go, built here like chanpingpong.go
#   BENCH_NET_GEVENT  tests/bench/echo_gevent.py, with the first python3
#                     that can import gevent (Debian's python3-gevent
#                     belongs to /usr/bin/python3, which need not be the
#                     first python3 on PATH)
# A peer that is missing is "not measured", with the reason.
#
# What it writes:
#   build/bench/results.csv   benchmark,value,unit,machine
#   build/bench/notes.txt     what the programs said on stderr
#
# The memory rows need many memory mappings (tests/bench/bench_sched.c):
# as root, this script raises vm.max_map_count for the run and puts it back
# afterwards; otherwise those rows are skipped, with a note. The
# 10,000-connection rows need more than 10,000 open files per process: as
# root, this script raises the hard limit (the programs raise their soft
# limit to it); it is per process, so there is nothing to put back.
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

# ---- open files, for the 10,000-connection rows ----

# bench_net holds 10,000 connections open, and each server it starts holds
# the other ends: each of those processes needs over 10,000 descriptors.
# (ulimit -H is not in POSIX, but dash and bash, Debian's sh, have it.)
want_files=32768
# shellcheck disable=SC3045
hard_files=$(ulimit -Hn)
# shellcheck disable=SC3045
if [ "$hard_files" != unlimited ] && [ "$hard_files" -lt "$want_files" ]; then
    if [ "$(id -u)" -eq 0 ] && ulimit -Hn "$want_files" 2>/dev/null; then
        say "Raised the hard limit of open files from $hard_files to" \
            "$want_files (ulimit -Hn), for the 10,000-connection rows."
    elif [ "$hard_files" -lt 10100 ]; then
        note "the hard limit of open files is $hard_files and could not be" \
             "raised (not root): the 10,000-connection rows are skipped." \
             "To run them: as root, ulimit -Hn $want_files, then make bench."
    fi
fi

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

# ---- the peers written in other languages ----

# go_build NAME: builds tests/bench/NAME.go into build/bench/NAME, offline
# and module-free: one file, the standard library only.
go_build() {
    GO111MODULE=off GOFLAGS='' GOPROXY=off GOTOOLCHAIN=local \
    GOCACHE="$PWD/$out/go-cache" GOPATH="$PWD/$out/go-path" \
    go build -o "$out/$1" "tests/bench/$1.go" 2>"$tmp.err" && return 0
    cat "$tmp.err"
    note "go build tests/bench/$1.go failed; skipping its rows"
    return 1
}

# Why the rows of a peer are missing, when they are: for the table.
go_missing=
gevent_missing=
chanpingpong=
unset BENCH_NET_GO BENCH_NET_GEVENT
if command -v go >/dev/null 2>&1; then
    go_build chanpingpong && chanpingpong=$out/chanpingpong
    if go_build echo; then
        export BENCH_NET_GO="$out/echo"
    else
        go_missing="go build tests/bench/echo.go failed"
    fi
else
    go_missing="Go is not installed (tests/mk/deps.sh bench)"
    note "Go was not found (tests/mk/deps.sh bench installs golang-go);" \
         "skipping the Go rows"
fi
for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null 2>&1 &&
       "$py" -c 'import gevent' 2>/dev/null; then
        py=$(command -v "$py")
        export BENCH_NET_GEVENT="$py tests/bench/echo_gevent.py"
        break
    fi
done
if [ -z "${BENCH_NET_GEVENT-}" ]; then
    gevent_missing="gevent is not installed (tests/mk/deps.sh bench)"
    note "no python3 here can import gevent (tests/mk/deps.sh bench" \
         "installs python3-gevent); skipping the gevent rows"
fi

# ---- the programs ----

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

if [ -n "$chanpingpong" ]; then
    # Unset, so that the program measures Go's own default too.
    unset GOMAXPROCS
    run "chanpingpong.go ($(go version | cut -d' ' -f3))" "$chanpingpong"
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

# ---- the echo servers (tests/bench/bench_net.c) ----

NET_PEERS="install reactor pthreads go_gomaxprocs1 go_gomaxprocs_default gevent"

net_label() {
    case $1 in
    tasklets) say "step 06: a tasklet per connection" ;;
    install) say "step 07: the same, plain POSIX + install()" ;;
    reactor) say "step 05: callback reactor" ;;
    pthreads) say "a pthread per connection" ;;
    go_gomaxprocs1) say "Go: a goroutine per conn., GOMAXPROCS=1" ;;
    go_gomaxprocs_default) say "Go: the same, GOMAXPROCS=$cores (default)" ;;
    gevent) say "Python gevent: a greenlet per connection" ;;
    esac
}

# Why a peer was not measured, if run.sh knows (else: see the notes).
net_missing() {
    case $1 in
    go_*) say "$go_missing" ;;
    gevent) say "$gevent_missing" ;;
    esac
}

# 10000 -> 10,000
thousands() { printf '%s' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/; ta'; }

# beats VALUE LIMIT: at_least, but strictly above.
beats() {
    awk -v v="$1" -v l="$2" 'BEGIN {
        if (v > l) print "met";
        else printf "NOT MET (%.0f%% short)\n", (1 - v / l) * 100 + 0.5 }'
}

# Throughput: step 06 against each peer, per number of connections.
section_net_throughput() {
    n=$1
    heading "Echo server, $(thousands "$n") connections (round trips/s; closed loop, 64-byte messages, 3 s)"
    ours=net_tasklets_${n}_msgs_per_s
    row "$(net_label tasklets)" "$ours"
    for peer in $NET_PEERS; do
        k=net_${peer}_${n}_msgs_per_s
        why=$(net_missing "$peer")
        if ! have "$ours" "$k"; then
            if [ -n "$why" ]; then
                shown="$shown$k "
                printf '  %-44s %10s   not measured: %s\n' \
                    "$(net_label "$peer")" "-" "$why"
            else
                row "$(net_label "$peer")" "$k"
            fi
            continue
        fi
        r=$(calc "$(get "$ours") / $(get "$k")")
        case $peer in
        install) target="(shown only)"; verdict= ;;
        reactor) target=">= 0.9x"; verdict=$(at_least "$r" 0.9) ;;
        pthreads) target="> 1x (beats it)"; verdict=$(beats "$r" 1) ;;
        go_*) target=">= 1x (on par)"; verdict=$(at_least "$r" 1) ;;
        gevent) target=">= 5x"; verdict=$(at_least "$r" 5) ;;
        esac
        row "$(net_label "$peer")" "$k" "step 06 does ${r}x this" \
            "$target" "$verdict"
    done
    [ "$n" = 10000 ] || return 0
    k=net_tasklets_${n}_echoing
    if have "$k"; then
        held=$(get "$k")
        verdict=$(awk -v v="$held" -v n="$n" 'BEGIN {
            if (v >= n) print "met"; else printf "NOT MET (%d short)\n", n - v }')
        row "step 06 holds them all, each echoing" "$k" \
            "connections echoing in 3 s" "= $(thousands "$n")" "$verdict"
    else
        row "step 06 holds them all, each echoing" "$k"
    fi
}

# net_cells FORMAT NAME...: for each server, a line with one cell per
# number of connections; FORMAT is an awk program that prints the cell
# from the values of the rows net_<server>_<n>_<NAME> (v[1], v[2]...)
# and the number of connections (n). Missing values: "-".
net_cells() {
    fmt=$1; shift
    for s in tasklets $NET_PEERS; do
        line=
        for n in 100 10000; do
            vals=
            for what; do
                k=net_${s}_${n}_$what
                shown="$shown$k "
                vals="$vals $(get "$k")"
            done
            cell=$(printf '%s\n' "$vals" | awk -v want=$# -v n="$n" "{
                if (NF < want) { print \"-\"; exit }
                for (i = 1; i <= NF; i++) v[i] = \$i
                $fmt }")
            line=$(printf '%s%-32s ' "$line" "$cell")
        done
        printf '  %-44s %s\n' "$(net_label "$s")" "$line"
    done
}

# Latency and CPU use, every server, both numbers of connections.
section_net_latency() {
    heading "Echo round trip, p50 / p99 (us)"
    printf '  %-44s %-32s %s\n' "" "100 connections" "10,000 connections"
    net_cells 'printf "%.0f / %.0f", v[1], v[2]
               if (v[3] < n) printf " (%d echoing)", v[3]' \
        p50_us p99_us echoing
    heading "Echo server CPU per round trip (us); CPU used, % of one CPU: server / load generator / others"
    printf '  %-44s %-32s %s\n' "" "100 connections" "10,000 connections"
    net_cells 'printf "%.2f   %.0f / %.0f / %.0f", v[2] * 10000 / v[1], v[2], v[3], v[4]' \
        msgs_per_s server_cpu_pct loadgen_cpu_pct others_cpu_pct
}

section_net() {
    heading "Echo servers (tests/bench/bench_net.c): one run each, repeated (up to 3, the"
    say "fastest kept) when other processes took over 20% of a CPU meanwhile."
    say "'step 06 does Nx this': step 06's round trips per second over this server's."
    section_net_throughput 100
    section_net_throughput 10000
    section_net_latency
    say "  A one-thread side near 100% set the pace. The load generator costs about"
    say "  as much per round trip as the cheapest server: where it is near 100%,"
    say "  the server's CPU per round trip compares servers better than round trips/s."
}

# ---- the MUD (tests/bench/bench_mud.c) ----

# No peer: no other MUD is in the workbook to measure beside step 09's, so
# this section shows the figures and the targets only, no ratios.

# below VALUE LIMIT: at_most, but strictly below ("p99 under 20 ms").
below() {
    awk -v v="$1" -v l="$2" 'BEGIN {
        if (v < l) print "met";
        else if (v < 2 * l) printf "NOT MET (%.0f%% over)\n", (v / l - 1) * 100;
        else printf "NOT MET (%.1fx the limit)\n", v / l }'
}

# exactly VALUE WANT: a count that should be WANT.
exactly() {
    awk -v v="$1" -v w="$2" 'BEGIN {
        if (v == w) print "met"; else printf "NOT MET (%d of %d)\n", v, w }'
}

# mud_row LABEL NAME TARGET VERDICT_FN LIMIT: a row with a target, or
# without one if the value is missing.
mud_row() {
    if have "$2"; then
        row "$1" "$2" "" "$3" "$($4 "$(get "$2")" "$5")"
    else
        row "$1" "$2"
    fi
}

# mud_line LABEL FORMAT NAME...: one line of several values (FORMAT for
# printf), "-" for each one missing.
mud_line() {
    label=$1 fmt=$2; shift 2
    vals=
    for k; do
        shown="$shown$k "
        v=$(get "$k")
        vals="$vals ${v:--}"
    done
    # shellcheck disable=SC2086 # one word per value
    printf "  %-44s $fmt\n" "$label" $vals
}

section_mud() {
    heading "MUD, steps 09 and 10 (tests/bench/bench_mud.c): latency of a command, from its send to"
    say "the IAC GA of the prompt after its answer, ms. Loopback; no peer to compare with."
    say "  Load: 5,000 bots log in; 1,000 of them send a command a second each."
    mud_row "bots in the game" mud_load_bots "= 5,000" exactly 5000
    mud_row "  of which active" mud_load_active "= 1,000" exactly 1000
    row "  bots that failed to log in" mud_load_failed
    row "  time to log them in (s)" mud_load_setup_s
    row "window counted (s)" mud_load_window_s
    row "commands sent in it" mud_load_commands
    row "p50" mud_load_p50
    mud_row "p99" mud_load_p99 "< 20 ms" below 20
    row "max" mud_load_max
    mud_line "late / unanswered / connections lost" "%s / %s / %s" \
        mud_load_late mud_load_unanswered mud_load_lost
    row "players the server dropped (queue full)" mud_load_server_drops
    mud_line "CPU, % of one: server / bots / others" "%s / %s / %s" \
        mud_load_server_cpu_pct mud_load_bots_cpu_pct mud_load_others_cpu_pct

    say "  Living: the same load on step 10's server: players in files (an fsync"
    say "  per save, every tasklet waiting), NPCs, and the tick autosaving ~17 a second."
    mud_row "bots in the game" mud_living_bots "= 5,000" exactly 5000
    row "  bots that failed to log in" mud_living_failed
    row "  time to log them in (s)" mud_living_setup_s
    row "window counted (s)" mud_living_window_s
    row "commands sent in it" mud_living_commands
    row "p50" mud_living_p50
    mud_row "p99" mud_living_p99 "< 20 ms" below 20
    row "max" mud_living_max
    mud_line "late / unanswered / connections lost" "%s / %s / %s" \
        mud_living_late mud_living_unanswered mud_living_lost
    row "players the server dropped (queue full)" mud_living_server_drops
    mud_line "CPU, % of one: server / bots / others" "%s / %s / %s" \
        mud_living_server_cpu_pct mud_living_bots_cpu_pct mud_living_others_cpu_pct
    shown="$shown mud_living_active "

    say "  Abuse: 100 players, a command a second each, among 1,000 hostile clients"
    say "  (250 each: slow drip, never reading, random bytes, connect-close churn)."
    mud_row "players in the game" mud_abuse_players "= 100" exactly 100
    mud_row "hostile clients at once" mud_abuse_hostile_clients "= 1,000" exactly 1000
    row "  players that failed to log in" mud_abuse_failed
    row "window counted (s)" mud_abuse_window_s
    row "commands sent in it" mud_abuse_commands
    row "p50" mud_abuse_p50
    mud_row "p99" mud_abuse_p99 "< 50 ms" below 50
    row "max" mud_abuse_max
    mud_line "late / unanswered / connections lost" "%s / %s / %s" \
        mud_abuse_late mud_abuse_unanswered mud_abuse_lost
    hs=$(get mud_abuse_hostile_s)
    shown="$shown mud_abuse_hostile_s "
    mud_line "hostile conns in ${hs:-?} s: drip/silent/noise/churn" \
        "%s / %s / %s / %s" mud_abuse_drip_conns mud_abuse_silent_conns \
        mud_abuse_noise_conns mud_abuse_churn_conns
    mud_line "  of which the server ended" "%s / %s / %s / %s" \
        mud_abuse_drip_ended mud_abuse_silent_ended mud_abuse_noise_ended \
        mud_abuse_churn_ended
    row "players the server dropped (queue full)" mud_abuse_server_drops
    mud_line "CPU, % of one: server/players/hostile/others" "%s / %s / %s / %s" \
        mud_abuse_server_cpu_pct mud_abuse_players_cpu_pct \
        mud_abuse_hostile_cpu_pct mud_abuse_others_cpu_pct
    shown="$shown mud_abuse_setup_s "
}

section_store() {
    heading "Saving a player, step 10 (tests/bench/bench_store.c), us; every tasklet waits"
    row "store save: tmp file, fsync, rename, fsync dir" store_save_p50 "p50"
    row "  p99" store_save_p99
    if have store_save_p50 store_inplace_p50; then
        row "the same bytes written in place, no fsync" store_inplace_p50 \
            "p50; $(calc "$(get store_save_p50) / $(get store_inplace_p50)")x cheaper, unsafe"
    else
        row "the same bytes written in place, no fsync" store_inplace_p50
    fi
    row "one autosave tick of 5,000 players (ms)" store_autosave_tick \
        "17 saves at the p50"
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

SECTIONS="switch sched chan spawn memory net mud store"

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
