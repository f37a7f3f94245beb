--[[
include.lua - code in the book comes from the workbook's real, tested files.

A fenced code block with an `include` attribute is replaced by a file of
the repository, or by one named region of it:

    ```{.c include="solutions/02-tasklets/tasklet.c" region="schedule"}
    ```

A region is the lines between a marker comment `/* book: NAME */` and the
next `/* book: end */` (the marker lines themselves are left out, and so
is any other marker line; the common indentation is removed). Without
`region=`, the whole file (minus marker lines). Paths are relative to the
repository root, where make runs. A missing file, region or end marker
FAILS the build, naming the chapter, the file and the region.

The language is the block's first class (```{.c ...}; .asm, .gas and .S
mean gnuassembler, pandoc's name for GNU as); without one, it comes from
the file's extension (.c/.h: c, .S/.s: gnuassembler).

Above each listing goes a small label naming the file and its lines.

In the student edition (BOOK_EDITION=student), an include from solutions/
becomes a box naming the starter file to edit (the same path under
steps/) and the functions to write: for C, the functions the region
defines (a line at column 0 with a type, the name and "(", whose body's
"{" opens a following line); for assembly, its .globl labels. Includes
from steps/ (headers, starters) are shown in both editions.
]]
local book = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE),
                                       "common.lua" }))

-- Problems are collected, so that one build names every broken include
-- of a chapter, then fails.
local problems = {}
local function fail(fmt, ...)
  error({ msg = string.format(fmt, ...) }, 0)
end

local by_extension = {
  c = "c", h = "c", S = "gnuassembler", s = "gnuassembler",
  sh = "bash", mk = "makefile", lua = "lua", py = "python", go = "go",
  md = "markdown", csv = "default",
}

-- The region name of a marker line, or nil if the line is not one. A
-- marker is a whole line: a comment whose text is "book: NAME".
local function marker(line)
  local body = line:match("^%s*/%*%s*(.-)%s*%*/%s*$")        -- /* ... */
            or line:match("^%s*//%s*(.-)%s*$")                -- // ...
            or line:match("^%s*#%s*(.-)%s*$")                 -- # ...
  if not body then return nil end
  return body:match("^book:%s*([%w_.%-]+)$")
end

local function region_names(lines)
  local names = {}
  for _, line in ipairs(lines) do
    local m = marker(line)
    if m and m ~= "end" then names[#names + 1] = m end
  end
  return names
end

-- The lines of region `name` (or of the whole file), and the line
-- numbers of the first and last line shown.
local function extract(lines, path, name)
  local first, last = 1, #lines
  if name then
    first = nil
    for i, line in ipairs(lines) do
      if marker(line) == name then
        if first then
          fail("region '%s' is marked twice in %s (lines %d and %d)",
                    name, path, first - 1, i)
        end
        first = i + 1
      end
    end
    if not first then
      local known = region_names(lines)
      fail("include of %s: no region '%s' in that file (%s)", path, name,
                #known > 0 and ("its regions: " .. table.concat(known, ", "))
                           or "it marks no regions")
    end
    last = nil
    for i = first, #lines do
      if marker(lines[i]) == "end" then last = i - 1; break end
    end
    if not last then
      fail("include of %s: region '%s' has no '/* book: end */' after it",
                path, name)
    end
  end
  local kept, numbers = {}, {}
  for i = first, last do
    if not marker(lines[i]) then
      kept[#kept + 1] = lines[i]
      numbers[#numbers + 1] = i
    end
  end
  -- Blank lines at either end say nothing.
  while #kept > 0 and kept[1]:match("^%s*$") do
    table.remove(kept, 1); table.remove(numbers, 1)
  end
  while #kept > 0 and kept[#kept]:match("^%s*$") do
    table.remove(kept); table.remove(numbers)
  end
  if #kept == 0 then
    fail("include of %s: region '%s' is empty", path, name or "(whole file)")
  end
  return kept, numbers[1], numbers[#numbers]
end

-- Removes the indentation that every non-blank line shares.
local function dedent(lines)
  local common
  for _, line in ipairs(lines) do
    if not line:match("^%s*$") then
      local ind = line:match("^[ \t]*")
      if not common then
        common = ind
      else
        local n = 0
        while n < #common and n < #ind and common:sub(n + 1, n + 1) == ind:sub(n + 1, n + 1) do
          n = n + 1
        end
        common = common:sub(1, n)
      end
    end
  end
  if common and #common > 0 then
    for i, line in ipairs(lines) do
      lines[i] = line:sub(1, #common) == common and line:sub(#common + 1)
                 or line:gsub("^%s+", "")
    end
  end
  return lines
end

local not_names = { ["if"] = true, ["while"] = true, ["for"] = true,
                    ["switch"] = true, ["return"] = true, ["sizeof"] = true }

-- The C functions a region defines, in order.
local function c_functions(lines)
  local names = {}
  for i, line in ipairs(lines) do
    if line:match("^[%a_]") and not line:match("^typedef%f[%W]")
       and not line:match(";%s*$") then
      local before = line:match("^([^(=;{}]*)%(")
      local name = before and before:match("([%a_][%w_]*)%s*$")
      local type = name and before:sub(1, #before - #before:match("[%a_][%w_]*%s*$"))
      if name and type:match("[%w_*]") and not not_names[name] then
        -- A definition when a line starting with "{" follows before any
        -- line that ends a declaration.
        for j = i + 1, math.min(#lines, i + 12) do
          if lines[j]:match("^{") then names[#names + 1] = name; break end
          if lines[j]:match(";%s*$") or lines[j]:match("^%s*$") then break end
        end
      end
    end
  end
  return names
end

-- The global labels an assembly region declares.
local function asm_globals(lines)
  local names = {}
  for _, line in ipairs(lines) do
    local list = line:match("^%s*%.globa?l%s+([^/#;]+)")
    if list then
      for name in list:gmatch("[%w_.$]+") do names[#names + 1] = name end
    end
  end
  return names
end

-- "`a`", "`a` and `b`", "`a`, `b` and `c`", as inlines.
local function name_list(names)
  local inl = {}
  for i, n in ipairs(names) do
    if i > 1 then
      inl[#inl + 1] = pandoc.Str(i == #names and " and " or ", ")
    end
    inl[#inl + 1] = pandoc.Code(n)
  end
  return inl
end

-- The student's box in place of a solution.
local function task_box(path, region, lines, lang, attr)
  local starter = "steps/" .. path:sub(#"solutions/" + 1)
  if not book.exists(starter) then
    fail("include of %s%s: the student edition names the starter %s, "
              .. "which does not exist", path,
              region and (" region '" .. region .. "'") or "", starter)
  end
  local is_asm = lang == "gnuassembler"
  local names = is_asm and asm_globals(lines) or c_functions(lines)
  local step = path:match("^solutions/(%d%d)%-")

  local what
  if #names > 0 then
    what = { pandoc.Str("write ") }
    if is_asm then
      table.insert(what, pandoc.Str(#names > 1 and "the routines " or "the routine "))
    end
    for _, x in ipairs(name_list(names)) do what[#what + 1] = x end
    what[#what + 1] = pandoc.Str(".")
  else
    what = { pandoc.Str("write the code this section describes.") }
  end
  local body = { pandoc.Str("In "), pandoc.Code(starter), pandoc.Str(", ") }
  for _, x in ipairs(what) do body[#body + 1] = x end

  local blocks = {
    pandoc.Para({ pandoc.Strong({ pandoc.Str("Your turn.") }), pandoc.Space(),
                  table.unpack(body) }),
  }
  if step then
    blocks[#blocks + 1] = pandoc.Para({
      pandoc.Str("Then check it with "), pandoc.Code("make check STEP=" .. step),
      pandoc.Str(".") })
  end
  return pandoc.Div(blocks, pandoc.Attr(attr.identifier, { "your-turn" },
                    { ["data-file"] = starter }))
end

local function include(el)
  local path = el.attributes.include
  if not path then return nil end
  local region = el.attributes.region
  if region == "" then region = nil end

  if path == "" or path:match("^/") or path:match("%.%.") then
    fail("include=\"%s\": give a path inside the repository, relative to its root", path)
  end
  local text = book.read_file(path)
  if not text then
    fail("include of %s%s: no such file (paths are relative to the repository root)",
              path, region and (" region '" .. region .. "'") or "")
  end
  if el.text:match("%S") then
    fail("include of %s: the block must be empty, its text comes from the file", path)
  end

  local all = book.split_lines(text)
  local lines, from, to = extract(all, path, region)
  lines = dedent(lines)

  local classes = {}
  for _, c in ipairs(el.classes) do classes[#classes + 1] = c end
  local lang = classes[1]
  if lang and book.language_alias[lang] then
    lang = book.language_alias[lang]
    classes[1] = lang
  end
  if not lang then
    lang = by_extension[path:match("%.([%w]+)$") or ""]
    if lang then table.insert(classes, 1, lang) end
  end

  local attrs = {}
  for k, v in pairs(el.attributes) do
    if k ~= "include" and k ~= "region" then attrs[k] = v end
  end

  if book.edition == "student" and path:match("^solutions/") then
    return task_box(path, region, lines, lang, el.attr)
  end

  local where = (from == 1 and to == #all) and "" or
                string.format(", lines %d\u{2013}%d", from, to)
  local label = pandoc.Plain({ pandoc.Span({ pandoc.Code(path), pandoc.Str(where) },
                                           pandoc.Attr("", { "listing-file" })) })
  local code = pandoc.CodeBlock(table.concat(lines, "\n"),
                                pandoc.Attr("", classes, attrs))
  return pandoc.Div({ label, code }, pandoc.Attr(el.identifier, { "listing" }))
end

function CodeBlock(el)
  if not el.attributes.include then return nil end
  local ok, result = pcall(include, el)
  if ok then return result end
  if type(result) ~= "table" then error(result, 0) end
  problems[#problems + 1] = result.msg
  return nil
end

function Pandoc(doc)
  if #problems > 0 then
    for i = 1, #problems - 1 do
      io.stderr:write("book: error: " .. book.source() .. ": " .. problems[i] .. "\n")
    end
    book.fail("%s", problems[#problems])
  end
end
