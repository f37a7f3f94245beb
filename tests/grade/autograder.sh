#!/bin/sh
# autograder.sh - `make autograder`: build/autograder.zip for Gradescope,
# and build/classroom/ for GitHub Classroom (tests/grade/README.md).
#
# The zip is the instructor's workbook (solutions/ included: the isolated
# mode links the reference archives; Gradescope keeps the zip from
# students) with setup.sh and run_autograder at its root, and the
# instructor-only tests of GRADE_EXTRA_TESTS=DIR as extra-tests/.
set -eu
stage=build/autograder
rm -rf "$stage" build/autograder.zip build/classroom
mkdir -p "$stage"
if git rev-parse --git-dir >/dev/null 2>&1; then
    files=$(git ls-files -co --exclude-standard)
else
    files=$(find . -type f ! -path './build/*' ! -path './.git/*' | sed 's|^\./||')
fi
for f in $files; do
    case $f in build/*|.ci/*) continue ;; esac
    [ -f "$f" ] || continue
    mkdir -p "$stage/$(dirname "$f")"
    cp -p "$f" "$stage/$f"
done
cp tests/grade/autograder/setup.sh tests/grade/autograder/run_autograder "$stage/"
chmod +x "$stage/setup.sh" "$stage/run_autograder"
if [ -n "${GRADE_EXTRA_TESTS:-}" ]; then
    cp -r "$GRADE_EXTRA_TESTS" "$stage/extra-tests"
    echo "autograder: with the extra tests of $GRADE_EXTRA_TESTS"
fi
(cd "$stage" && zip -qr ../autograder.zip .)
echo "autograder: build/autograder.zip ($(du -h build/autograder.zip | cut -f1)): upload it as the assignment's autograder"

# GitHub Classroom: one command grader per graded step.
mkdir -p build/classroom/.github/workflows
steps= env= runners=
for d in tests/[0-9][0-9]-*; do
    s=${d#tests/}
    line=$(grep "^step $s " tests/grade/points.txt || true)
    case $line in *" skip"*) continue ;; esac
    pts=$(echo "$line" | sed -n 's/.* points \([0-9]*\).*/\1/p')
    id=$(echo "$s" | tr -c 'a-z0-9\n' -)
    steps="$steps      - name: step $s
        id: step-$id
        uses: classroom-resources/autograding-command-grader@v1
        with:
          test-name: step $s
          command: sh tests/grade/classroom.sh $s
          timeout: 10
          max-score: ${pts:-10}
"
    env="$env          STEP-$(echo "$id" | tr a-z A-Z)_RESULTS: \"\${{steps.step-$id.outputs.result}}\"
"
    runners="${runners:+$runners,}step-$id"
done
awk -v steps="$steps" -v env="$env" -v runners="$runners" '
    /^@STEPS@$/ { printf "%s", steps; next }
    /^@ENV@$/ { printf "%s", env; next }
    { gsub(/@RUNNERS@/, runners); print }' tests/grade/autograder/classroom.yml \
    >build/classroom/.github/workflows/classroom.yml
echo "autograder: build/classroom/.github/workflows/classroom.yml: copy it into the template repository"
