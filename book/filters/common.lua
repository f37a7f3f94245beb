--[[
common.lua - helpers shared by the book's pandoc filters (loaded with
dofile, not run as a filter).

The build (book/build.sh) tells the filters what they work on through
environment variables, so that no filter needs command-line metadata:

  BOOK_EDITION   reader or student
  BOOK_OUT       the edition's output folder (build/book/<edition>)
  BOOK_WORK      the edition's scratch folder (build/book/.work/<edition>),
                 which holds one pandoc AST (JSON) per source
  BOOK_SOURCES   every source of the book, in reading order, separated by
                 spaces: chapters/NN-slug.md ..., then the appendices
  BOOK_SOURCE    the source this run of pandoc reads (for messages)

A source's slug is its file name without ".md"; it names the page
(SLUG.html) and, in the single-page formats, prefixes its ids.
]]
local M = {}

M.edition = os.getenv("BOOK_EDITION") or "reader"
M.out = os.getenv("BOOK_OUT") or "build/book/reader"
M.work = os.getenv("BOOK_WORK") or "build/book/.work/reader"

-- The source being converted, for error messages.
function M.source()
  return os.getenv("BOOK_SOURCE")
      or (PANDOC_STATE and PANDOC_STATE.input_files[1])
      or "(the book)"
end

-- Stops the build: pandoc's own filters only warn, ours must fail.
function M.fail(fmt, ...)
  io.stderr:write("book: error: " .. M.source() .. ": "
                  .. string.format(fmt, ...) .. "\n")
  os.exit(1)
end

function M.warn(fmt, ...)
  io.stderr:write("book: warning: " .. M.source() .. ": "
                  .. string.format(fmt, ...) .. "\n")
end

function M.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

function M.write_file(path, text)
  local f = io.open(path, "wb")
  if not f then M.fail("cannot write %s", path) end
  f:write(text)
  f:close()
end

function M.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

function M.split_lines(text)
  local lines = {}
  for line in (text .. (text:sub(-1) == "\n" and "" or "\n")):gmatch("(.-)\r?\n") do
    lines[#lines + 1] = line
  end
  return lines
end

function M.slug_of(path)
  return (path:match("([^/]+)%.md$"))
end

-- The sources in reading order: { {path=..., slug=...}, ... }, and an
-- index by slug.
function M.sources()
  local list, by_slug = {}, {}
  for path in (os.getenv("BOOK_SOURCES") or ""):gmatch("%S+") do
    local s = { path = path, slug = M.slug_of(path), index = #list + 1 }
    list[#list + 1] = s
    by_slug[s.slug] = s
  end
  return list, by_slug
end

-- The AST of a source, as the first stage of the build left it.
function M.read_ast(slug)
  local path = M.work .. "/ast/" .. slug .. ".json"
  local text = M.read_file(path)
  if not text then M.fail("missing %s (run book/build.sh)", path) end
  return pandoc.read(text, "json")
end

-- The chapter's title: its first level-1 header (prepare.lua makes sure
-- there is one, first of all blocks).
function M.title_header(doc)
  for _, b in ipairs(doc.blocks) do
    if b.t == "Header" and b.level == 1 then return b end
  end
  return nil
end

-- Its sections: the level-2 headers, for tables of contents.
function M.sections(doc)
  local list = {}
  for _, b in ipairs(doc.blocks) do
    if b.t == "Header" and b.level == 2 then list[#list + 1] = b end
  end
  return list
end

-- In the single-page formats all chapters share one document, so each
-- chapter's ids get a prefix: "tasklets" in 02-tasklets.md becomes
-- "ch-02-tasklets--tasklets" (an id may not start with a digit in EPUB).
function M.id_prefix(slug)
  if slug:match("^%a") then return slug .. "--" end
  return "ch-" .. slug .. "--"
end

-- A link written as "02-tasklets.md#section" (with or without a folder,
-- with or without a fragment) to a source of the book: returns its slug
-- and fragment (or nil). Other links: nil.
function M.book_link(target)
  if target:match("^%a[%w+.-]*:") then return nil end -- has a scheme
  local path, frag = target:match("^([^#?]*)#(.*)$")
  if not path then path, frag = target, nil end
  if not path:match("^[%w_./-]+%.md$") then return nil end
  local slug = path:match("([^/]+)%.md$")
  return slug, (frag ~= "" and frag or nil)
end

-- Names authors use for a language, and pandoc's highlighter's name
-- (pandoc --list-highlight-languages).
M.language_alias = {
  asm = "gnuassembler", gas = "gnuassembler", s = "gnuassembler",
  S = "gnuassembler", assembly = "gnuassembler", att = "gnuassembler",
  sh = "bash", shell = "bash", make = "makefile",
}

-- Inlines to plain text, for titles in <title> and navigation.
function M.text(x)
  return pandoc.utils.stringify(x)
end

-- The edition's name, as readers see it.
function M.edition_name()
  return M.edition == "student" and "Student edition" or "Reader's edition"
end

return M
