#!/bin/sh
# setup.sh - Gradescope runs this once, as root, when it builds the
# autograder's image. The workbook (this zip) is in /autograder/source.
set -eu
cd /autograder/source
sh tests/mk/deps.sh grade
# The trusted side, built before any submission is seen: the grader, the
# harness, the test objects and the reference archives.
make grade-build
