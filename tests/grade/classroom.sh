#!/bin/sh
# classroom.sh STEP - for GitHub Classroom's command grader: succeeds when
# `make grade` (which must have run first) found every test of STEP passing
# in cumulative mode. See tests/grade/README.md.
set -eu
line=$(grep "^step $1: " build/grade/self/brief.txt) || { echo "no grade for $1"; exit 1; }
echo "$line"
echo "$line" | awk '{ split($0, a, "cumulative "); split(a[2], b, " ");
                      exit !(b[1] == b[3] && b[3] > 0) }'
