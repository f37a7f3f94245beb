#!/usr/bin/env python3
"""linkcheck.py - every internal link and image of the generated book
resolves: the file exists, and a #fragment names an id in it.

    python3 book/tools/linkcheck.py build/book/reader [build/book/student ...]

For each edition folder it reads every .html page (the site's pages and
book.html) and the XHTML inside book.epub, and checks:
  - a[href], link[href], img[src], script[src] and the like: a relative
    target must exist inside the edition folder (or inside the EPUB);
    "#id" or "page.html#id" must name an id (or <a name>) of that page;
  - no resource (stylesheet, image, script, font) comes from the network;
    links to web sites (a href="https://...") are allowed, not followed;
  - no page has two elements with the same id;
  - the SVG files the pages show reference nothing outside themselves.
Prints each problem as FILE: message, then a summary line. Exit status 1
if anything is wrong.
"""
import html.parser
import os
import re
import sys
import tempfile
import urllib.parse
import zipfile

# Attributes that load something (a resource) versus links a reader follows.
RESOURCE_ATTRS = {("img", "src"), ("script", "src"), ("link", "href"),
                  ("source", "src"), ("video", "src"), ("audio", "src"),
                  ("iframe", "src"), ("embed", "src"), ("object", "data"),
                  ("image", "href"), ("image", "xlink:href"), ("use", "href"),
                  ("use", "xlink:href"), ("video", "poster")}
LINK_ATTRS = {("a", "href"), ("area", "href")}


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = {}
        self.dups = set()
        self.refs = []   # (kind, url)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id",) + (("name",) if tag == "a" else ()):
            v = a.get(key)
            if v:
                if key == "id" and v in self.ids:
                    self.dups.add(v)
                self.ids[v] = True
        for name, value in attrs:
            if value is None:
                continue
            if (tag, name) in LINK_ATTRS:
                self.refs.append(("link", value))
            elif (tag, name) in RESOURCE_ATTRS:
                if tag == "link" and "stylesheet" not in a.get("rel", "") \
                        and a.get("rel") not in ("icon",):
                    self.refs.append(("link", value))   # rel=prev/next
                else:
                    self.refs.append(("resource", value))
            elif name == "srcset":
                for part in value.split(","):
                    if part.strip():
                        self.refs.append(("resource", part.split()[0]))
            elif name == "style" and "url(" in value:
                for u in re.findall(r"url\(\s*['\"]?([^'\")]+)", value):
                    self.refs.append(("resource", u))

    handle_startendtag = handle_starttag


def parse(path, cache):
    if path not in cache:
        p = Page()
        with open(path, encoding="utf-8", errors="replace") as f:
            p.feed(f.read())
        cache[path] = p
    return cache[path]


def check_tree(root, pages, label, problems, counts):
    """Checks the given pages (paths under root)."""
    cache = {}
    svgs = set()
    root = os.path.realpath(root)
    for page in pages:
        doc = parse(page, cache)
        where = os.path.join(label, os.path.relpath(page, root))
        for d in sorted(doc.dups):
            problems.append("%s: the id '%s' is used twice" % (where, d))
        for kind, url in doc.refs:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme in ("http", "https", "ftp", "ws", "wss") or url.startswith("//"):
                if kind == "resource":
                    problems.append("%s: loads %s from the network" % (where, url))
                else:
                    counts["external"] += 1
                continue
            if parts.scheme in ("mailto", "data", "tel"):
                continue
            if parts.scheme:
                problems.append("%s: a link with an unexpected scheme: %s" % (where, url))
                continue
            counts["resources" if kind == "resource" else "links"] += 1
            path = urllib.parse.unquote(parts.path)
            target = page if path == "" else os.path.normpath(
                os.path.join(os.path.dirname(page), path))
            if not os.path.realpath(target).startswith(root + os.sep) and \
                    os.path.realpath(target) != root:
                problems.append("%s: %s points outside %s" % (where, url, label))
                continue
            if not os.path.isfile(target):
                problems.append("%s: %s: no such file" % (where, url))
                continue
            if target.endswith(".svg"):
                svgs.add(target)
            frag = urllib.parse.unquote(parts.fragment)
            if frag:
                if not target.endswith((".html", ".xhtml", ".htm")):
                    continue
                if frag not in parse(target, cache).ids:
                    problems.append("%s: %s: no id '%s' in %s" % (
                        where, url, frag, os.path.relpath(target, root)))
    for svg in sorted(svgs):
        with open(svg, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for m in re.finditer(r'(?:xlink:)?href\s*=\s*"([^"#][^"]*)"', text):
            problems.append("%s: the SVG refers to %s" % (
                os.path.join(label, os.path.relpath(svg, root)), m.group(1)))
    counts["pages"] += len(pages)


def main(dirs):
    problems = []
    counts = {"pages": 0, "links": 0, "resources": 0, "external": 0}
    for d in dirs:
        pages = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".html"))
        if not pages:
            problems.append("%s: no HTML pages (was the book built?)" % d)
        check_tree(d, pages, d, problems, counts)
        epub = os.path.join(d, "book.epub")
        if os.path.isfile(epub):
            with tempfile.TemporaryDirectory(prefix="book-epub-") as tmp:
                with zipfile.ZipFile(epub) as z:
                    z.extractall(tmp)
                xhtml = []
                for dirpath, _, files in os.walk(tmp):
                    xhtml += [os.path.join(dirpath, f) for f in files if f.endswith(".xhtml")]
                check_tree(tmp, sorted(xhtml), epub, problems, counts)
        else:
            problems.append("%s: no book.epub" % d)
    for p in problems:
        print(p)
    print("links: %d pages (HTML and EPUB) in %s: %d internal links and %d resources %s; "
          "%d links to web sites not followed" % (
              counts["pages"], ", ".join(dirs), counts["links"], counts["resources"],
              "all resolve" if not problems else "checked, %d problems" % len(problems),
              counts["external"]))
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
