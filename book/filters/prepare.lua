--[[
prepare.lua - the first filter on every source: gives the chapter the
shape the rest of the build relies on.

  - The chapter's title is its first block, a level-1 header. A chapter
    may instead give `title:` in a YAML block: then that title becomes the
    level-1 header and the chapter's own headers move down one level. With
    neither, the title is made from the file name (and a warning says so).
  - Local images (![...](images/x.png), relative to the chapter's folder)
    are copied to the edition's media/ folder and pointed there, so every
    format finds them; a missing image fails the build.
]]
local book = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE),
                                       "common.lua" }))

-- pandoc's auto_identifiers, near enough for a title we add ourselves.
local function make_id(text, taken)
  local id = text:lower():gsub("[^%w_%-%.%s]", ""):gsub("%s+", "-"):gsub("^[^%a]+", "")
  if id == "" then id = "chapter" end
  local base, n = id, 0
  while taken[id] do n = n + 1; id = base .. "-" .. n end
  return id
end

local function ids_in(doc)
  local taken = {}
  doc:walk({ Header = function(h) taken[h.identifier] = true end })
  return taken
end

local function copy_images(doc, slug)
  local dir = pandoc.path.directory(book.source())
  local copied = {}
  return doc:walk({
    Image = function(img)
      local src = img.src
      if src:match("^%a[%w+.-]*:") or src:match("^/") then return nil end
      local from = pandoc.path.normalize(pandoc.path.join({ dir, src }))
      local data = book.read_file(from)
      if not data then
        book.fail("image %s: no such file (%s; image paths are relative to the chapter)",
                  src, from)
      end
      local name = slug .. "-" .. from:gsub("[/\\]", "-")
      if not copied[name] then
        book.write_file(book.out .. "/media/" .. name, data)
        copied[name] = true
      end
      img.src = "media/" .. name
      return img
    end,
  })
end

function Pandoc(doc)
  local slug = book.slug_of(book.source()) or "chapter"
  local first
  for i, b in ipairs(doc.blocks) do
    if b.t == "Header" and b.level == 1 then first = i; break end
  end

  if doc.meta.title then
    local title = doc.meta.title
    if first then
      doc = doc:walk({ Header = function(h) h.level = h.level + 1; return h end })
    end
    local h = pandoc.Header(1, title, pandoc.Attr(make_id(book.text(title), ids_in(doc))))
    table.insert(doc.blocks, 1, h)
    doc.meta.title = nil
  elseif not first then
    local words = slug:gsub("^%d+%-", ""):gsub("[-_]", " ")
    local title = words:sub(1, 1):upper() .. words:sub(2)
    book.warn("no title (a '# Title' line or a title: in YAML); using '%s'", title)
    table.insert(doc.blocks, 1, pandoc.Header(1, title,
                 pandoc.Attr(make_id(title, ids_in(doc)))))
  elseif first > 1 then
    -- Text before the title would land on the previous chapter's page in
    -- the EPUB: move the title first.
    local h = table.remove(doc.blocks, first)
    table.insert(doc.blocks, 1, h)
  end
  return copy_images(doc, slug)
end

-- Code blocks written by hand: the same language names as includes.
function CodeBlock(el)
  local lang = el.classes[1]
  if lang and book.language_alias[lang] and not el.attributes.include then
    el.classes[1] = book.language_alias[lang]
    return el
  end
end
