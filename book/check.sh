#!/bin/sh
# check.sh - `make book-check`: checks editions of the book that
# book/build.sh has built (make builds them first).
#
#   sh book/check.sh [EDITION...]      (default: reader student)
#
# What it checks, for each edition in build/book/<edition>/:
#   1. the build made every format: index.html, a page per source,
#      book.html, book.epub (a zip with the EPUB mimetype), book.pdf;
#      (that every include resolved is already proven: a missing file or
#      region stops the build);
#   2. every internal link and image of the HTML pages (site and book.html)
#      and of the EPUB resolves, #fragments included, and nothing is
#      loaded from the network (book/tools/linkcheck.py);
#   3. a headless Chromium loads every HTML page, at a desktop and a phone
#      size, without console errors or failed loads
#      (book/tools/browsercheck.py). Without chromium this step says
#      SKIPPED, loudly, and does not pass silently.
# The last line sums up; the exit status is non-zero if anything failed.
set -u
cd "$(dirname "$0")/.." || exit 2

editions=${*:-reader student}
failed=0
pages=

command -v python3 >/dev/null 2>&1 || {
    echo "book-check: python3 is missing: run 'sh tests/mk/deps.sh book'"
    exit 1
}

for e in $editions; do
    d=build/book/$e
    sources=build/book/.work/$e/sources
    if [ ! -f "$sources" ]; then
        echo "$d: not built (run make book EDITION=$e)"
        failed=1
        continue
    fi
    n=0
    for f in index.html book.html book.epub book.pdf book.css print.css \
             $(sed 's|.*/||; s|\.md$|.html|' "$sources"); do
        if [ ! -s "$d/$f" ]; then
            echo "$d/$f: missing or empty"
            failed=1
        fi
        n=$((n + 1))
    done
    head -c 4 "$d/book.pdf" 2>/dev/null | grep -q '%PDF' ||
        { echo "$d/book.pdf: not a PDF"; failed=1; }
    python3 - "$d/book.epub" <<'EOF' || failed=1
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
if bad or z.read("mimetype") != b"application/epub+zip":
    print(sys.argv[1] + ": not a valid EPUB container")
    sys.exit(1)
EOF
    echo "$d: $n files present (site pages, book.html, book.epub, book.pdf)"
    pages="$pages $(ls "$d"/*.html)"
done

dirs=
for e in $editions; do [ -d "build/book/$e" ] && dirs="$dirs build/book/$e"; done
# shellcheck disable=SC2086 # word splitting intended
python3 book/tools/linkcheck.py $dirs || failed=1

browser=
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    python3 book/tools/browsercheck.py $pages || failed=1
    browser="loaded in headless chromium"
else
    echo "SKIPPED: chromium not installed, pages were not loaded in a browser"
    browser="SKIPPED: chromium not installed, pages were not loaded in a browser"
fi

count=$(echo "$pages" | wc -w)
if [ "$failed" -eq 0 ]; then
    echo "book-check: passed ($editions): $count pages; includes and links resolve; $browser"
else
    echo "book-check: FAILED (see above); $browser"
fi
exit $failed
