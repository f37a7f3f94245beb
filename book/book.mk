# book.mk - the book's commands; the top-level Makefile includes it.
#
#   make book                   the reader's edition, into build/book/reader/
#   make book EDITION=student   the student's edition, into build/book/student/
#   make book-all               both editions
#   make book-check             both editions, then check them: includes
#                               resolve (or the build fails), every internal
#                               link and image resolves, and a headless
#                               Chromium loads every page without errors
#
# Each edition holds a multi-page site (index.html, one page per chapter),
# book.html (one page), book.epub and book.pdf; book/build.sh says how
# they are made and book/README.md how chapters use the filters. The
# Debian packages come from `tests/mk/deps.sh book`.

EDITION ?= reader
BOOK_EDITIONS := reader student

.PHONY: book book-all book-check book-deps $(addprefix book-,$(BOOK_EDITIONS))

book: book-deps
	@sh book/build.sh $(EDITION)

book-all: $(addprefix book-,$(BOOK_EDITIONS))

$(addprefix book-,$(BOOK_EDITIONS)): book-deps
	@sh book/build.sh $(@:book-%=%)

book-check: book-all
	@sh book/check.sh $(BOOK_EDITIONS)

book-deps:
	@sh tests/mk/deps.sh book
