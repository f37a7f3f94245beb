--[[
site.lua - one page of the multi-page site: a chapter (or appendix) read
back from its AST, with what the page template needs.

  - Links between chapters, written [text](02-tasklets.md#section) in the
    markdown (a folder before the name is ignored), point to the chapter's
    page: 02-tasklets.html#section. Links inside the page stay as they are.
  - Template variables: pagetitle (the chapter's title as text), page-toc
    (its sections), prev-href/prev-title and next-href/next-title (the
    neighbouring pages in reading order; the contents page before the
    first chapter and after the last), edition-name.
]]
local book = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE),
                                       "common.lua" }))

local list, by_slug = book.sources()
local slug = book.slug_of(book.source())
local me = by_slug[slug]

local function rewrite(link)
  local target, frag = book.book_link(link.target)
  if not target then return nil end
  if not by_slug[target] then
    book.warn("links to %s.md, which is not a page of the book (yet?)", target)
    link.target = target .. ".html" .. (frag and ("#" .. frag) or "")
  elseif target == slug and frag then
    link.target = "#" .. frag
  else
    link.target = target .. ".html" .. (frag and ("#" .. frag) or "")
  end
  return link
end

local function title_of(s)
  local h = book.title_header(book.read_ast(s.slug))
  return h and h.content or { pandoc.Str(s.slug) }
end

function Pandoc(doc)
  doc = doc:walk({ Link = rewrite })
  local title = book.title_header(doc)
  doc.meta.pagetitle = book.text(title and title.content or slug)
  doc.meta["edition-name"] = book.edition_name()
  doc.meta["edition"] = book.edition

  local items = {}
  for _, h in ipairs(book.sections(doc)) do
    items[#items + 1] = { pandoc.Plain({ pandoc.Link(h.content, "#" .. h.identifier) }) }
  end
  if #items > 0 then
    doc.meta["page-toc"] = pandoc.MetaBlocks({ pandoc.BulletList(items) })
  end

  local prev, next = list[me.index - 1], list[me.index + 1]
  doc.meta["prev-href"] = prev and (prev.slug .. ".html") or "index.html"
  doc.meta["prev-title"] = prev and pandoc.MetaInlines(title_of(prev))
                           or pandoc.MetaInlines({ pandoc.Str("Contents") })
  doc.meta["next-href"] = next and (next.slug .. ".html") or "index.html"
  doc.meta["next-title"] = next and pandoc.MetaInlines(title_of(next))
                           or pandoc.MetaInlines({ pandoc.Str("Contents") })
  return doc
end
