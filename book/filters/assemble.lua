--[[
assemble.lua - the whole book as one document, for the single-page HTML,
the EPUB and the PDF. Its own input is empty: it reads the chapters' ASTs
in reading order and joins them.

Every chapter's ids get the chapter's prefix (common.lua: id_prefix), so
that two chapters may both have a section "Pitfalls". Links follow:
  [x](#pitfalls)                   -> #ch-02-tasklets--pitfalls (same chapter)
  [x](03-channels.md#select)       -> #ch-03-channels--select
  [x](03-channels.md)              -> the id of that chapter's title
The EPUB writer then turns "#id" into "chNNN.xhtml#id" by itself.
]]
local book = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE),
                                       "common.lua" }))

function Pandoc(doc)
  local list, by_slug = book.sources()
  local asts, title_id = {}, {}
  for _, s in ipairs(list) do
    asts[s.slug] = book.read_ast(s.slug)
    local h = book.title_header(asts[s.slug])
    title_id[s.slug] = book.id_prefix(s.slug) .. h.identifier
  end

  local blocks = pandoc.List()
  for _, s in ipairs(list) do
    local prefix = book.id_prefix(s.slug)
    local function reid(el)
      if el.identifier and el.identifier ~= "" then
        el.identifier = prefix .. el.identifier
        return el
      end
    end
    local function relink(link)
      local target, frag = book.book_link(link.target)
      if target then
        if not by_slug[target] then
          io.stderr:write(string.format("book: warning: %s: links to %s.md, "
            .. "which is not a chapter of the book (yet?)\n", s.path, target))
          return nil
        end
        link.target = "#" .. (frag and (book.id_prefix(target) .. frag) or title_id[target])
      elseif link.target:match("^#.") then
        link.target = "#" .. prefix .. link.target:sub(2)
      end
      return link
    end
    local chapter = asts[s.slug]:walk({
      Header = reid, Div = reid, Span = reid, CodeBlock = reid, Code = reid,
      Image = reid, Table = reid,
      Link = function(l) reid(l); return relink(l) end,
    })
    blocks:extend(chapter.blocks)
  end
  doc.blocks = blocks
  doc.meta["edition-name"] = book.edition_name()
  doc.meta["edition"] = book.edition
  return doc
end
