--[[
bench.lua - the generated part of the performance appendix. A Div

    ::: bench-results
    :::

is replaced by the results of `make bench`: which file they come from and
the machine they were measured on, the workbook's targets with the
verdicts, bar charts drawn by gnuplot (book/plot/bars.gp) as SVG files in
the edition's figures/ folder, and a table of every row.

The results come from build/bench/results.csv when `make bench` has run
here; otherwise from the snapshot committed at book/data/bench-results.csv
(copied from a real run; never edited by hand). Both have the columns
benchmark,value,unit,machine. A file with no rows gives a paragraph that
says no measurement is available yet, and no charts.
]]
local book = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE),
                                       "common.lua" }))
local script_dir = pandoc.path.directory(PANDOC_SCRIPT_FILE)
local bars_gp = pandoc.path.join({ script_dir, "..", "plot", "bars.gp" })

local MEASURED = "build/bench/results.csv"
local SNAPSHOT = "book/data/bench-results.csv"

-- Names for people, for the rows tests/bench/run.sh knows; `ours` marks
-- the workbook's own figures (a different colour in the charts).
local labels = {
  switch_context_switch = { "context_switch (step 01)", true },
  switch_context_switch_fpflags = { "context_switch, the two MXCSR differ", true },
  switch_bare_asm = { "bare push/pop switch" },
  switch_swapcontext = { "glibc swapcontext" },
  switch_pthread_handoff = { "2 pthreads, one-way handoff" },
  sched_yield = { "tasklet_yield (step 02)", true },
  sched_yield_fpflags = { "tasklet_yield, one raised an FP flag", true },
  sched_spawn_exit = { "spawn + exit (step 02)", true },
  sched_chan_roundtrip = { "channel round trip (step 03)", true },
  go_chan_roundtrip_gomaxprocs1 = { "Go channel round trip, GOMAXPROCS=1" },
  go_chan_roundtrip_gomaxprocs_default = { "Go channel round trip, default GOMAXPROCS" },
  go_gomaxprocs_default = { "Go's default GOMAXPROCS here" },
}

local function label_of(name)
  if labels[name] then return labels[name][1], labels[name][2] or false end
  local what, how, n = name:match("^sched_idle_(%a+)_(%a+)_(%d+)$")
  if what then
    local count = n:gsub("000000$", "M"):gsub("000$", "k")
    local where = how == "park" and "parked" or ("in " .. how .. "_receive")
    return string.format("%s tasklets %s, %s", count, where,
                         what == "rss" and "resident" or "page tables"), true
  end
  return name, false
end

-- The charts: which rows each one shows, in this order. Rows no chart
-- claims are drawn by unit under "Other results".
local charts = {
  { title = "Context switch: nanoseconds per switch (shorter is faster)",
    xlabel = "ns per switch", take = function(r) return r.name:match("^switch_") and r.unit == "ns" end },
  { title = "Scheduler and channels: nanoseconds per operation (shorter is faster)",
    xlabel = "ns per operation",
    take = function(r) return (r.name:match("^sched_") or r.name:match("^go_")) and r.unit == "ns" end },
  { title = "Memory per idle tasklet, in KiB (shorter is smaller)",
    xlabel = "KiB per tasklet", take = function(r) return r.name:match("^sched_idle_") end },
}

local function read_rows(path)
  local text = book.read_file(path)
  if not text then return nil end
  local rows = {}
  for i, line in ipairs(book.split_lines(text)) do
    if i > 1 and line:match("%S") then
      local name, value, unit, machine = line:match("^([^,]*),([^,]*),([^,]*),?(.*)$")
      local v = tonumber(value)
      if not name or not v then
        book.fail("%s line %d is not benchmark,value,unit,machine: %s", path, i, line)
      end
      rows[#rows + 1] = { name = name, value = v, raw = value, unit = unit, machine = machine }
    elseif i == 1 and not line:match("^benchmark,value,unit,machine") then
      book.fail("%s does not start with the header benchmark,value,unit,machine", path)
    end
  end
  return rows
end

local function get(rows, name)
  for _, r in ipairs(rows) do if r.name == name then return r.value end end
  return nil
end

local function fmt(x)
  if x >= 100 then return string.format("%.0f", x) end
  if x >= 10 then return string.format("%.1f", x) end
  return string.format("%.2f", x)
end

local function plain(s) return { pandoc.Plain({ pandoc.Str(s) }) } end

local function table_of(headers, rows, aligns)
  local widths = {}
  for i = 1, #headers do widths[i] = 0 end
  local st = pandoc.SimpleTable({}, aligns, widths, headers, rows)
  return pandoc.utils.from_simple_table(st)
end

-- The workbook's targets (issue 2, tests/bench/run.sh), where the rows
-- they need were measured.
local function targets(rows)
  local out = {}
  local function add(what, value, target, ok)
    out[#out + 1] = { plain(what), plain(value), plain(target), plain(ok and "met" or "not met") }
  end
  local cs, bare = get(rows, "switch_context_switch"), get(rows, "switch_bare_asm")
  local swap, yield = get(rows, "switch_swapcontext"), get(rows, "sched_yield")
  local chan, go = get(rows, "sched_chan_roundtrip"), get(rows, "go_chan_roundtrip_gomaxprocs1")
  local spawn = get(rows, "sched_spawn_exit")
  if cs and bare then
    add("context_switch vs the bare switch", fmt(cs / bare) .. "\u{00d7}", "at most 1.2\u{00d7}", cs / bare <= 1.2)
  end
  local csf = get(rows, "switch_context_switch_fpflags")
  if csf and bare then
    add("context_switch, the two MXCSR differ, vs the bare switch", fmt(csf / bare) .. "\u{00d7}",
        "at most 1.2\u{00d7}", csf / bare <= 1.2)
  end
  if cs and swap then
    add("swapcontext vs context_switch", fmt(swap / cs) .. "\u{00d7} slower", "at least 20\u{00d7}", swap / cs >= 20)
  end
  if yield and bare then
    add("tasklet_yield vs the bare switch", fmt(yield / bare) .. "\u{00d7}", "at most 2\u{00d7}", yield / bare <= 2)
  end
  local yf = get(rows, "sched_yield_fpflags")
  if yf and bare then
    add("tasklet_yield, one raised an FP flag, vs the bare switch", fmt(yf / bare) .. "\u{00d7}",
        "at most 2\u{00d7}", yf / bare <= 2)
  end
  if chan and go then
    add("Go's channel round trip vs ours", fmt(go / chan) .. "\u{00d7} slower", "at least 3\u{00d7}", go / chan >= 3)
  end
  if spawn then
    add("spawn + exit", fmt(spawn) .. " ns", "at most 100 ns", spawn <= 100)
  end
  local worst
  for _, r in ipairs(rows) do
    if r.name:match("^sched_idle_rss_") and (not worst or r.value > worst) then worst = r.value end
  end
  if worst then
    add("resident memory per idle tasklet (largest row)", fmt(worst) .. " KiB", "at most 8 KiB", worst <= 8)
  end
  return out
end

local function chart(rows, spec, n)
  local data, lo, hi = {}, math.huge, 0
  for _, r in ipairs(rows) do
    local label, ours = label_of(r.name)
    data[#data + 1] = string.format("%s\t%s\t%d", label:gsub("\t", " "), r.value,
                                    ours and 0x3b6ea8 or 0x9aa3ad)
    if r.value > 0 then lo = math.min(lo, r.value) end
    hi = math.max(hi, r.value)
  end
  local logx = hi > 0 and lo < math.huge and hi / lo > 30
  local xmin = logx and 10 ^ math.floor(math.log(lo, 10)) or 0
  local xmax = logx and hi * 8 or (hi > 0 and hi * 1.25 or 1)
  local tsv = book.work .. "/bench-" .. n .. ".tsv"
  book.write_file(tsv, table.concat(data, "\n") .. "\n")
  local file = "figures/bench-" .. n .. ".svg"
  local args = { "-e", string.format(
    "datafile='%s'; outfile='%s'; xlabel_='%s'; nrows=%d; logx=%d; xmin=%.17g; xmax=%.17g",
    tsv, book.out .. "/" .. file, spec.xlabel .. (logx and " (logarithmic scale)" or ""),
    #data, logx and 1 or 0, xmin, xmax), bars_gp }
  local ok, err = pcall(pandoc.pipe, "gnuplot", args, "")
  if not ok then book.fail("gnuplot could not draw '%s': %s", spec.title, tostring(err)) end
  local img = pandoc.Image({ pandoc.Str(spec.title) }, file, "fig:",
                           pandoc.Attr("bench-chart-" .. n, { "chart" }))
  return pandoc.Para({ img })
end

local function results(div)
  local path, measured = MEASURED, true
  local rows = read_rows(MEASURED)
  if not rows then
    path, measured = SNAPSHOT, false
    rows = read_rows(SNAPSHOT)
    if not rows then book.fail("neither %s nor %s exists", MEASURED, SNAPSHOT) end
  end

  local blocks = {}
  if #rows == 0 then
    blocks[#blocks + 1] = pandoc.Para({
      pandoc.Strong({ pandoc.Str("No measurement is available yet.") }), pandoc.Space(),
      pandoc.Str("This book was built without "), pandoc.Code(MEASURED),
      pandoc.Str(" ("), pandoc.Code("make bench"),
      pandoc.Str(" has not run in the working copy that built it), and the snapshot "),
      pandoc.Code(SNAPSHOT), pandoc.Str(" holds no rows yet. Run "), pandoc.Code("make bench"),
      pandoc.Str(", then "), pandoc.Code("make book"), pandoc.Str(", to see the figures here.") })
    return pandoc.Div(blocks, pandoc.Attr("bench-results", { "bench-results" }))
  end

  local machines, seen = {}, {}
  for _, r in ipairs(rows) do
    if not seen[r.machine] then seen[r.machine] = true; machines[#machines + 1] = r.machine end
  end
  local source = measured
    and { pandoc.Str("The figures below were generated when this book was built, from "),
          pandoc.Code(path), pandoc.Str(", written by the last "), pandoc.Code("make bench"),
          pandoc.Str(" in the working copy that built it.") }
    or { pandoc.Str("The figures below were generated when this book was built, from the snapshot "),
         pandoc.Code(path), pandoc.Str(" committed with the book (a copy of a real run of "),
         pandoc.Code("make bench"), pandoc.Str("; this build found no "), pandoc.Code(MEASURED),
         pandoc.Str(").") }
  source[#source + 1] = pandoc.Space()
  source[#source + 1] = pandoc.Str(#machines == 1 and "Measured on: " or "Measured on several machines: ")
  for i, m in ipairs(machines) do
    if i > 1 then source[#source + 1] = pandoc.Str("; and ") end
    source[#source + 1] = pandoc.Emph({ pandoc.Str(m ~= "" and m or "(machine not recorded)") })
  end
  source[#source + 1] = pandoc.Str(".")
  blocks[#blocks + 1] = pandoc.Para(source)

  local t = targets(rows)
  if #t > 0 then
    blocks[#blocks + 1] = pandoc.Header(3, { pandoc.Str("The targets") }, pandoc.Attr("bench-targets"))
    blocks[#blocks + 1] = table_of(
      { plain("figure"), plain("measured"), plain("target"), plain("verdict") }, t,
      { pandoc.AlignLeft, pandoc.AlignRight, pandoc.AlignLeft, pandoc.AlignLeft })
  end

  blocks[#blocks + 1] = pandoc.Header(3, { pandoc.Str("Charts") }, pandoc.Attr("bench-charts"))
  blocks[#blocks + 1] = pandoc.Para({ pandoc.Str(
    "In the charts, the workbook's own figures are blue and its peers' grey; "
    .. "where the values span more than a factor of 30, the axis is logarithmic.") })
  local claimed, n = {}, 0
  local function draw(spec, list)
    if #list == 0 then return end
    n = n + 1
    blocks[#blocks + 1] = chart(list, spec, n)
  end
  for _, spec in ipairs(charts) do
    local list = {}
    for _, r in ipairs(rows) do
      if not claimed[r] and spec.take(r) then list[#list + 1] = r; claimed[r] = true end
    end
    draw(spec, list)
  end
  local by_unit, units = {}, {}
  for _, r in ipairs(rows) do
    if not claimed[r] then
      if not by_unit[r.unit] then by_unit[r.unit] = {}; units[#units + 1] = r.unit end
      table.insert(by_unit[r.unit], r)
    end
  end
  for _, u in ipairs(units) do
    if #by_unit[u] > 1 then
      draw({ title = "Other results, in " .. u, xlabel = u }, by_unit[u])
    end
  end

  blocks[#blocks + 1] = pandoc.Header(3, { pandoc.Str("Every row") }, pandoc.Attr("bench-rows"))
  local all = {}
  for _, r in ipairs(rows) do
    local label = label_of(r.name)
    all[#all + 1] = { plain(label), { pandoc.Plain({ pandoc.Code(r.name) }) },
                      plain(r.raw), plain(r.unit) }
  end
  blocks[#blocks + 1] = table_of(
    { plain("what"), plain("benchmark"), plain("value"), plain("unit") }, all,
    { pandoc.AlignLeft, pandoc.AlignLeft, pandoc.AlignRight, pandoc.AlignLeft })
  return pandoc.Div(blocks, pandoc.Attr("bench-results", { "bench-results" }))
end

function Div(div)
  if div.classes[1] == "bench-results" then return results(div) end
end
