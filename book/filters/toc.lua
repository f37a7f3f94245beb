--[[
toc.lua - the site's front page (index.html): the book's table of
contents, every chapter and appendix with its sections, linked to their
pages, plus links to the other formats of the same edition. It reads the
chapters' ASTs; its own input is empty.

Appendices are the sources that are not numbered chapters (book/*.md,
and any chapters/*.md whose name does not start with two digits).
]]
local book = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE),
                                       "common.lua" }))

local function entry(s)
  local doc = book.read_ast(s.slug)
  local h = book.title_header(doc)
  local page = s.slug .. ".html"
  local blocks = { pandoc.Plain({ pandoc.Link(h and h.content or { pandoc.Str(s.slug) }, page) }) }
  local subs = {}
  for _, sec in ipairs(book.sections(doc)) do
    subs[#subs + 1] = { pandoc.Plain({ pandoc.Link(sec.content, page .. "#" .. sec.identifier) }) }
  end
  if #subs > 0 then blocks[#blocks + 1] = pandoc.BulletList(subs) end
  return blocks
end

function Pandoc(doc)
  local list = book.sources()
  local chapters, appendices = {}, {}
  for _, s in ipairs(list) do
    local is_chapter = s.path:match("^chapters/%d%d[^/]*%.md$")
    table.insert(is_chapter and chapters or appendices, entry(s))
  end

  local blocks = {}
  local intro = book.edition == "student"
    and "This is the student edition: where the reader's edition shows the reference code, "
        .. "a box names the starter file and the functions you write."
    or "This is the reader's edition: it shows the reference code of every step."
  blocks[#blocks + 1] = pandoc.Para({ pandoc.Str(intro) })
  blocks[#blocks + 1] = pandoc.Para({
    pandoc.Str("The whole book in one file: "),
    pandoc.Link({ pandoc.Str("one HTML page") }, "book.html"),
    pandoc.Str(", "), pandoc.Link({ pandoc.Str("EPUB") }, "book.epub"),
    pandoc.Str(", "), pandoc.Link({ pandoc.Str("PDF") }, "book.pdf"), pandoc.Str(".") })
  blocks[#blocks + 1] = pandoc.Header(2, { pandoc.Str("Chapters") }, pandoc.Attr("chapters"))
  if #chapters > 0 then
    blocks[#blocks + 1] = pandoc.BulletList(chapters)
  else
    blocks[#blocks + 1] = pandoc.Para({ pandoc.Str("No chapter is written yet.") })
  end
  if #appendices > 0 then
    blocks[#blocks + 1] = pandoc.Header(2, { pandoc.Str("Appendices") }, pandoc.Attr("appendices"))
    blocks[#blocks + 1] = pandoc.BulletList(appendices)
  end
  doc.blocks = pandoc.List({ pandoc.Div(blocks, pandoc.Attr("contents", { "contents" })) })

  doc.meta.pagetitle = "Contents"
  doc.meta["is-index"] = true
  doc.meta["edition-name"] = book.edition_name()
  doc.meta["edition"] = book.edition
  local first = list[1]
  doc.meta["next-href"] = first and (first.slug .. ".html") or nil
  doc.meta["next-title"] = first and pandoc.MetaInlines(book.title_header(book.read_ast(first.slug)).content) or nil
  return doc
end
