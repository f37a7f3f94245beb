--[[
dot.lua - diagrams written in graphviz dot inside the chapter:

    ```{.dot caption="Tasklet states"}
    digraph { RUNNABLE -> RUNNING -> PARKED }
    ```

become an SVG file rendered at build time (`dot -Tsvg`), written to the
edition's figures/ folder and shown as a figure with that caption (the
caption is markdown; an id on the block, {#fig-states .dot ...}, lets
the text link to the figure). A diagram dot cannot render FAILS the
build, naming the chapter and the diagram; dot's own message, with the
line number inside the diagram, comes just before.
]]
local book = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE),
                                       "common.lua" }))

-- The same fonts in every diagram, installed with fonts-dejavu-core.
local dot_args = { "-Tsvg", "-Gfontname=DejaVu Sans", "-Nfontname=DejaVu Sans",
                   "-Efontname=DejaVu Sans", "-Gfontsize=12", "-Nfontsize=12",
                   "-Efontsize=11" }

local count = 0

function CodeBlock(el)
  if el.classes[1] ~= "dot" then return nil end
  count = count + 1
  local caption = el.attributes.caption or ""
  local name = caption ~= "" and ("'" .. caption .. "'") or ("number " .. count)

  local ok, svg = pcall(pandoc.pipe, "dot", dot_args, el.text)
  if not ok then
    book.fail("the dot diagram %s does not render (dot's message is above)", name)
  end
  local slug = book.slug_of(book.source()) or "figure"
  local file = string.format("figures/%s-%s.svg", slug,
                             pandoc.utils.sha1(el.text):sub(1, 12))
  book.write_file(book.out .. "/" .. file, svg)

  local inlines = {}
  if caption ~= "" then
    local parsed = pandoc.read(caption, "markdown").blocks[1]
    inlines = parsed and parsed.content or { pandoc.Str(caption) }
  end
  -- An image alone in a paragraph, titled "fig:", is pandoc's figure.
  local img = pandoc.Image(inlines, file, "fig:",
                           pandoc.Attr(el.identifier, { "diagram" }))
  return pandoc.Para({ img })
end
