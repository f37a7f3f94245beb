#!/bin/sh
# handout.sh - `make handout`: the student edition of the workbook, as the
# folder build/handout/ and the tarball build/handout.tar.gz.
#
# It holds every file of the work tree (tracked, or new and not ignored)
# except what is the instructor's: solutions/, CI (.ci/), the grader's
# adversarial suite and instructor scripts (selftest, figures, handout,
# autograder), and, in points.txt, the `test` lines whose visibility is
# not `visible` (they would name hidden tests). Instructor-only tests
# (--extra-tests) live outside the repository and never enter it.
#
# It then proves the edition works without solutions/: `make build` and
# `make grade` (the student's own grading: cumulative mode, since the
# isolated mode needs the reference archives) run inside it. The book's
# student edition is added as book-student/ when `make book
# EDITION=student` builds here; otherwise the handout says so and keeps
# the chapters as markdown.
set -eu
out=build/handout
rm -rf "$out" "$out.tar.gz"
mkdir -p "$out"

instructor_only() {
    case $1 in
    solutions/*|.ci/*|build/*) return 0 ;;
    tests/grade/adversarial/*|tests/grade/selftest.sh|tests/grade/figures.sh) return 0 ;;
    tests/grade/handout.sh|tests/grade/autograder.sh|tests/grade/autograder/*) return 0 ;;
    esac
    return 1
}

if git rev-parse --git-dir >/dev/null 2>&1; then
    files=$(git ls-files -co --exclude-standard)
else
    files=$(find . -type f ! -path './build/*' ! -path './.git/*' | sed 's|^\./||')
fi
n=0
for f in $files; do
    [ -f "$f" ] || continue
    instructor_only "$f" && continue
    mkdir -p "$out/$(dirname "$f")"
    cp -p "$f" "$out/$f"
    n=$((n + 1))
done
# Hidden tests' names stay with the instructor.
awk '!($1 == "test" && /visibility/ && !/visibility visible/)' tests/grade/points.txt \
    >"$out/tests/grade/points.txt"
echo "handout: $n files in $out (no solutions/, no instructor-only files)"

# The book's student edition, if it builds here.
if sh tests/mk/deps.sh book >build/handout-book.log 2>&1 &&
   sh book/build.sh student >>build/handout-book.log 2>&1 &&
   [ -d build/book/student ]; then
    cp -r build/book/student "$out/book-student"
    echo "handout: the book's student edition is in $out/book-student/"
else
    echo "handout: the book's student edition did not build (build/handout-book.log);"
    echo "         the handout has the chapters as markdown only"
fi

# It must build, and grade itself, without solutions/.
echo "handout: checking that it builds and grades without solutions/ ..."
if ! make -C "$out" --no-print-directory build >build/handout-check.log 2>&1 ||
   ! make -C "$out" --no-print-directory grade >>build/handout-check.log 2>&1; then
    echo "handout: FAILED to build or grade without solutions/ (build/handout-check.log)"
    exit 1
fi
grep '^total:' build/handout-check.log | sed 's/^/handout: its starters grade to /'
rm -rf "$out/build"
tar -C build -czf "$out.tar.gz" handout
echo "handout: $out/ and $out.tar.gz"
