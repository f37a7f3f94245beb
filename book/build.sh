#!/bin/sh
# build.sh - builds one edition of the book: `make book` runs it.
#
#   sh book/build.sh [reader|student]
#
# Into build/book/<edition>/ (and nowhere else; scratch files go to
# build/book/.work/<edition>/):
#   index.html, SLUG.html   the multi-page site: a contents page, then one
#                           page per chapter and appendix
#   book.html               the whole book on one page
#   book.epub               the EPUB, from the same document
#   book.pdf                printed from book.html by weasyprint
#   book.css, print.css     the shared stylesheets (book/css/)
#   figures/, media/        diagrams (dot), charts (gnuplot), images
#
# The sources, in reading order: chapters/NN-*.md, then the appendices:
# any other chapters/*.md but README.md, then book/appendix-*.md (in the order of
# APPENDICES below; one of chapters/ with the same name replaces it).
#
# How: pandoc reads each source once, through the filters that make the
# book's content (book/filters/: prepare, include, dot, bench), into a
# JSON AST. From those ASTs it writes each page (site.lua, toc.lua,
# templates/page.html) and, joined into one document (assemble.lua),
# book.html (templates/single.html) and book.epub. pandoc runs with
# --fail-if-warnings, and our filters stop it on any error, so a broken
# include, diagram or image fails the build and names the chapter.
set -eu
cd "$(dirname "$0")/.."

edition=${1:-reader}
case $edition in
reader|student) ;;
*) echo "book/build.sh: unknown edition '$edition' (reader or student)" >&2; exit 2 ;;
esac

APPENDICES="book/appendix-debugging.md book/appendix-performance.md
            book/appendix-instructors.md"

out=build/book/$edition
work=build/book/.work/$edition
filters=book/filters
jobs=$(nproc 2>/dev/null || echo 2)

for tool in pandoc dot gnuplot weasyprint; do
    command -v $tool >/dev/null 2>&1 || {
        echo "book: $tool is missing: run 'sh tests/mk/deps.sh book' (make book does)" >&2
        exit 1
    }
done

# ---- the sources ----

sources=$(ls chapters/[0-9][0-9]-*.md 2>/dev/null || true)
for f in chapters/*.md; do
    [ -f "$f" ] || continue
    case ${f#chapters/} in [0-9][0-9]-*|README.md) ;; *) sources="$sources $f" ;; esac
done
for f in $APPENDICES; do
    if [ -f "$f" ] && [ ! -f "chapters/${f#book/}" ]; then
        sources="$sources $f"
    fi
done
# One space between names (the sources never contain spaces).
# shellcheck disable=SC2086 # splitting them is the point
sources=$(printf '%s\n' $sources | tr '\n' ' ' | sed 's/ *$//')
dups=$(for f in $sources; do basename "$f"; done | sort | uniq -d)
if [ -n "$dups" ]; then
    echo "book: two sources have the same name: $dups" >&2
    exit 1
fi

export BOOK_EDITION="$edition" BOOK_OUT="$out" BOOK_WORK="$work" BOOK_SOURCES="$sources"

rm -rf "$out" "$work"
mkdir -p "$out/figures" "$out/media" "$work/ast"
cp book/css/book.css book/css/print.css "$out/"
echo "$sources" | tr ' ' '\n' >"$work/sources"

say() { printf '  %-6s %s\n' "$1" "$2"; }

# Runs "$@" for each source in the background, $jobs at a time; fails if
# any run failed (each prints its own error).
each_source() {
    pids='' n=0 failed=0
    for src in $sources; do
        (BOOK_SOURCE=$src; export BOOK_SOURCE; "$@" "$src") &
        pids="$pids $!"
        n=$((n + 1))
        if [ "$n" -ge "$jobs" ]; then
            for p in $pids; do wait "$p" || failed=1; done
            pids='' n=0
        fi
    done
    for p in $pids; do wait "$p" || failed=1; done
    return $failed
}

slug() { basename "$1" .md; }

# ---- 1. each source, through the content filters, to an AST ----

read_source() {
    pandoc "$1" -f markdown -t json --fail-if-warnings \
        --lua-filter $filters/prepare.lua --lua-filter $filters/include.lua \
        --lua-filter $filters/dot.lua --lua-filter $filters/bench.lua \
        -o "$work/ast/$(slug "$1").json" ||
        { echo "book: $1 did not build (the reason is above)" >&2; return 1; }
}
say PANDOC "$(echo "$sources" | wc -w) sources ($edition edition)"
each_source read_source || { echo "book: the $edition edition failed (see above)" >&2; exit 1; }

# ---- 2. the multi-page site ----

page() {
    pandoc "$work/ast/$(slug "$1").json" -f json -t html5 -s --fail-if-warnings \
        --metadata-file book/book.yaml --lua-filter $filters/site.lua \
        --template book/templates/page.html -o "$out/$(slug "$1").html" ||
        { echo "book: the page of $1 did not build (the reason is above)" >&2; return 1; }
}
say HTML "$out/index.html and a page per chapter"
each_source page || exit 1
pandoc -f markdown -t html5 -s --fail-if-warnings --metadata-file book/book.yaml \
    --lua-filter $filters/toc.lua --template book/templates/page.html \
    -o "$out/index.html" </dev/null

# ---- 3. one document: book.html, book.epub, book.pdf ----

date=$(git log -1 --format=%cd --date=short 2>/dev/null || date +%Y-%m-%d)
pandoc -f markdown -t json --fail-if-warnings --metadata-file book/book.yaml \
    -M date="$date" --lua-filter $filters/assemble.lua -o "$work/book.json" </dev/null

say HTML "$out/book.html"
pandoc "$work/book.json" -f json -t html5 -s --fail-if-warnings \
    --toc --toc-depth=2 --template book/templates/single.html -o "$out/book.html"

say EPUB "$out/book.epub"
pandoc "$work/book.json" -f json -t epub3 --fail-if-warnings \
    --toc --toc-depth=2 --css book/css/epub.css --resource-path="$out" \
    -o "$out/book.epub"

say PDF "$out/book.pdf"
# weasyprint warns about CSS it does not support (screen-only rules);
# those lines are noise here, the rest is shown.
weasyprint "$out/book.html" "$out/book.pdf" 2>"$work/weasyprint.log" || {
    cat "$work/weasyprint.log" >&2
    echo "book: weasyprint could not print $out/book.html" >&2
    exit 1
}
grep -v -E 'Ignored `|Unsupported|Expected a media type|Invalid media type' "$work/weasyprint.log" >&2 || true

echo "book: the $edition edition is in $out/ (open $out/index.html)"
