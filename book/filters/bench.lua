--[[
bench.lua - the generated part of the performance appendix. A Div

    ::: bench-results
    :::

is replaced by the results of `make bench`: which file they come from and
the machine they were measured on, the workbook's targets with the
verdicts, bar charts drawn by gnuplot (book/plot/bars.gp) as SVG files in
the edition's figures/ folder, tables of the servers (the echo servers,
the MUD) and of the player saves, and a table of every row.

Any row may be missing (a peer not installed, a benchmark skipped, an
older results file): a target, chart or table whose rows are all missing
is left out, and a table shows a dash where one value is missing.

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
  store_save_p50 = { "save with 2 fsyncs and a rename, p50", true },
  store_save_p99 = { "save with 2 fsyncs and a rename, p99", true },
  store_inplace_p50 = { "written in place, no fsync (unsafe), p50" },
  store_autosave_tick = { "one autosave tick: 17 saves at the p50", true },
}

-- The echo servers of tests/bench/bench_net.c (rows net_SERVER_N_WHAT),
-- in the order of their tables: a label, a short one for the tables,
-- and `ours` for the workbook's own.
local net_servers = {
  { "tasklets", "step 06 (a tasklet per connection)", "step 06, tasklets", true },
  { "install", "step 07 (plain POSIX calls + install())", "step 07, install()", true },
  { "reactor", "step 05 (the callback reactor)", "step 05, reactor", true },
  { "pthreads", "a pthread per connection", "pthreads" },
  { "go_gomaxprocs1", "Go (goroutine per conn., GOMAXPROCS=1)", "Go, GOMAXPROCS=1" },
  { "go_gomaxprocs_default", "Go (the same, default GOMAXPROCS)", "Go, default" },
  { "gevent", "Python gevent (a greenlet per conn.)", "gevent" },
  { "external", "your own server (bench_net -p)", "your server" },
}
local net_server = {}
for i, s in ipairs(net_servers) do
  net_server[s[1]] = { label = s[2], short = s[3], ours = s[4] or false, order = i }
end
local net_what = {
  msgs_per_s = "round trips per second",
  p50_us = "round trip, p50",
  p99_us = "round trip, p99",
  echoing = "connections echoing",
  server_cpu_pct = "CPU of the server",
  loadgen_cpu_pct = "CPU of the load generator",
  others_cpu_pct = "CPU of everything else",
}

-- The MUD's rows (tests/bench/bench_mud.c): mud_RUN_WHAT.
local mud_run = { load = "MUD under load", living = "Step 10's MUD under load", abuse = "MUD under abuse" }
local mud_what = {
  bots = "bots in the game", active = "of which active", players = "players in the game",
  failed = "failed to log in", setup_s = "time to log in", window_s = "window counted",
  commands = "commands sent in the window",
  p50 = "command latency, p50", p99 = "command latency, p99", max = "command latency, max",
  late = "commands late (answer still awaited)", unanswered = "commands unanswered",
  lost = "connections lost", server_drops = "players dropped (output queue full)",
  server_cpu_pct = "CPU of the server", bots_cpu_pct = "CPU of the bots",
  players_cpu_pct = "CPU of the players", hostile_cpu_pct = "CPU of the hostile clients",
  others_cpu_pct = "CPU of everything else",
  hostile_clients = "hostile clients at once", hostile_s = "time the hostile clients ran",
}
local mud_kinds = {
  { "drip", "slow drip" }, { "silent", "never reading" },
  { "noise", "random bytes" }, { "churn", "connect-close churn" },
}
for _, k in ipairs(mud_kinds) do
  mud_what[k[1] .. "_conns"] = k[2] .. ": connections made"
  mud_what[k[1] .. "_ended"] = k[2] .. ": connections the server ended"
end

-- 10000 -> "10,000"
local function thousands(s)
  s = tostring(s)
  local int, rest = s:match("^(%d+)(.*)$")
  if not int then return s end
  int = int:reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "")
  return int .. rest
end

local function net_parts(name)
  return name:match("^net_(.-)_(%d+)_([%w_]+)$")
end

local function label_of(name)
  if labels[name] then return labels[name][1], labels[name][2] or false end
  local what, how, n = name:match("^sched_idle_(%a+)_(%a+)_(%d+)$")
  if what then
    local count = n:gsub("000000$", "M"):gsub("000$", "k")
    local where = how == "park" and "parked" or ("in " .. how .. "_receive")
    return string.format("%s tasklets %s, %s", count, where,
                         what == "rss" and "resident" or "page tables"), true
  end
  local server, conns, metric = net_parts(name)
  if server and net_what[metric] then
    local s = net_server[server]
    return string.format("echo, %s conns, %s: %s", thousands(conns),
                         s and s.short or server, net_what[metric]), s and s.ours or false
  end
  local run, m = name:match("^mud_(%a+)_([%w_]+)$")
  if run and mud_run[run] and mud_what[m] then
    return mud_run[run] .. ": " .. mud_what[m], true
  end
  return name, false
end

-- The label of a row in the echo charts: its server only (the title says
-- the rest).
local function net_chart_label(r)
  local server = net_parts(r.name)
  local s = net_server[server]
  return s and s.label or server, s and s.ours or false
end

local function mud_chart_label(r)
  local run, m = r.name:match("^mud_(%a+)_(%w+)$")
  local what = run == "living" and "step 10 under load" or "under " .. run
  return string.format("%s: %s", what, m), true
end

local function net_msgs(n)
  return function(r)
    local _, conns, metric = net_parts(r.name)
    return conns == n and metric == "msgs_per_s"
  end
end

-- The charts: which rows each one shows, in this order (and, if `label`
-- is given, what each bar is called). Rows no chart or table claims are
-- drawn by unit under "Other results".
local charts = {
  { title = "Context switch: nanoseconds per switch (shorter is faster)",
    xlabel = "ns per switch", take = function(r) return r.name:match("^switch_") and r.unit == "ns" end },
  { title = "Scheduler and channels: nanoseconds per operation (shorter is faster)",
    xlabel = "ns per operation",
    take = function(r) return (r.name:match("^sched_") or r.name:match("^go_")) and r.unit == "ns" end },
  { title = "Memory per idle tasklet, in KiB (shorter is smaller)",
    xlabel = "KiB per tasklet", take = function(r) return r.name:match("^sched_idle_") end },
  { title = "Echo servers, 100 connections: round trips per second (longer is faster)",
    xlabel = "round trips per second, all connections", take = net_msgs("100"), label = net_chart_label },
  { title = "Echo servers, 10,000 connections: round trips per second (longer is faster)",
    xlabel = "round trips per second, all connections", take = net_msgs("10000"), label = net_chart_label },
  { title = "MUD: from a command to the end of the next prompt, in ms (shorter is faster)",
    xlabel = "ms per command",
    take = function(r)
      return r.name:match("^mud_%a+_p%d%d$") or r.name:match("^mud_%a+_max$")
    end, label = mud_chart_label },
  { title = "Saving a player: microseconds per save (shorter is faster)",
    xlabel = "µs per save",
    take = function(r) return r.name:match("^store_") and r.unit == "us" end },
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

local function table_of(headers, rows, aligns, caption)
  local widths = {}
  for i = 1, #headers do widths[i] = 0 end
  local st = pandoc.SimpleTable(caption and { pandoc.Str(caption) } or {}, aligns, widths,
                                headers, rows)
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
  -- The echo servers: step 06's round trips per second over each peer's.
  local peers = {
    { "reactor", "step 05's reactor", "at least 0.9\u{00d7}", function(x) return x >= 0.9 end },
    { "pthreads", "a pthread per connection", "more than 1\u{00d7}", function(x) return x > 1 end },
    { "go_gomaxprocs1", "Go, GOMAXPROCS=1", "at least 1\u{00d7}", function(x) return x >= 1 end },
    { "go_gomaxprocs_default", "Go, default GOMAXPROCS", "at least 1\u{00d7}", function(x) return x >= 1 end },
    { "gevent", "gevent", "at least 5\u{00d7}", function(x) return x >= 5 end },
  }
  for _, n in ipairs({ "100", "10000" }) do
    local ours = get(rows, "net_tasklets_" .. n .. "_msgs_per_s")
    for _, p in ipairs(peers) do
      local theirs = get(rows, "net_" .. p[1] .. "_" .. n .. "_msgs_per_s")
      if ours and theirs and theirs > 0 then
        add(string.format("echo round trips/s, %s conns: step 06 vs %s", thousands(n), p[2]),
            fmt(ours / theirs) .. "\u{00d7}", p[3], p[4](ours / theirs))
      end
    end
  end
  local echoing = get(rows, "net_tasklets_10000_echoing")
  if echoing then
    add("echo, 10,000 conns: step 06's connections echoing", thousands(string.format("%.0f", echoing)),
        "all 10,000", echoing >= 10000)
  end
  -- The MUD: everyone in the game, and the p99 of a command.
  local function count(name, what, want)
    local v = get(rows, name)
    if v then add(what, thousands(string.format("%.0f", v)), "all " .. thousands(want), v == want) end
  end
  local function p99(name, what, limit)
    local v = get(rows, name)
    if v then add(what, fmt(v) .. " ms", "under " .. limit .. " ms", v < limit) end
  end
  count("mud_load_bots", "MUD under load: bots in the game", 5000)
  count("mud_load_active", "MUD under load: active bots", 1000)
  p99("mud_load_p99", "MUD under load: a command's p99", 20)
  count("mud_living_bots", "Step 10's MUD under load: bots in the game", 5000)
  p99("mud_living_p99", "Step 10's MUD under load: a command's p99", 20)
  count("mud_abuse_players", "MUD under abuse: players in the game", 100)
  count("mud_abuse_hostile_clients", "MUD under abuse: hostile clients at once", 1000)
  p99("mud_abuse_p99", "MUD under abuse: a command's p99", 50)
  return out
end

-- ---- the tables of the servers ----

local DASH = "\u{2013}"

-- A value for a table: whole numbers (counts) and numbers from 100 up
-- without decimals, with thousands separators; else as fmt does.
local function num(x)
  if not x then return DASH end
  if x >= 100 or x == math.floor(x) then return thousands(string.format("%.0f", x)) end
  return fmt(x)
end

local function pct(x) return x and string.format("%.0f", x) or DASH end

local function cells(list)
  local out = {}
  for i, c in ipairs(list) do out[i] = plain(c) end
  return out
end

-- One table per number of connections: the echo servers side by side.
local function net_tables(rows, claim)
  local by = {}            -- by[n][server][metric] = row
  local ns, servers, seen = {}, {}, {}
  for _, r in ipairs(rows) do
    local server, n, metric = net_parts(r.name)
    if server and net_what[metric] then
      claim(r)
      if not by[n] then by[n] = {}; ns[#ns + 1] = n end
      if not by[n][server] then by[n][server] = {} end
      by[n][server][metric] = r
      if not seen[server] then seen[server] = true; servers[#servers + 1] = server end
    end
  end
  table.sort(ns, function(a, b) return tonumber(a) < tonumber(b) end)
  table.sort(servers, function(a, b)
    local oa = net_server[a] and net_server[a].order or math.huge
    local ob = net_server[b] and net_server[b].order or math.huge
    if oa ~= ob then return oa < ob end
    return a < b
  end)
  local out = {}
  local NB = "\u{00a0}"
  for _, n in ipairs(ns) do
    -- Latencies in ms where they run to tens of thousands of µs.
    local ms = false
    for _, m in pairs(by[n]) do
      if m.p50_us and m.p50_us.value >= 10000 then ms = true end
    end
    local function lat(r)
      if not r then return DASH end
      return ms and num(r.value / 1000) or num(r.value)
    end
    local body = {}
    for _, server in ipairs(servers) do
      local m = by[n][server]
      if m then
        local function v(k) return m[k] and m[k].value end
        local per = v("server_cpu_pct") and v("msgs_per_s") and v("msgs_per_s") > 0
          and fmt(v("server_cpu_pct") * 10000 / v("msgs_per_s")) or DASH
        local cpu = DASH
        if v("server_cpu_pct") or v("loadgen_cpu_pct") or v("others_cpu_pct") then
          cpu = table.concat({ pct(v("server_cpu_pct")), pct(v("loadgen_cpu_pct")),
                               pct(v("others_cpu_pct")) }, NB .. "/" .. NB)
        end
        body[#body + 1] = cells({
          net_server[server] and net_server[server].short or server,
          num(v("msgs_per_s")), lat(m.p50_us), lat(m.p99_us), num(v("echoing")), per, cpu })
      end
    end
    local unit = ms and "ms" or "\u{00b5}s"
    out[#out + 1] = table_of(
      cells({ "server", "round trips/s", "p50 (" .. unit .. ")", "p99 (" .. unit .. ")", "echoing",
              "CPU per trip (\u{00b5}s)", "CPU % (server / load gen. / others)" }),
      body,
      { pandoc.AlignLeft, pandoc.AlignRight, pandoc.AlignRight, pandoc.AlignRight,
        pandoc.AlignRight, pandoc.AlignRight, pandoc.AlignRight },
      string.format("Echo servers, %s connections. CPU per trip: the server's CPU time per "
                    .. "round trip; CPU %%: of one CPU.", thousands(n)))
  end
  return out
end

-- The MUD's runs side by side, and the hostile clients of the abuse run.
local function mud_tables(rows, claim)
  local have = {}
  for _, r in ipairs(rows) do
    local run, m = r.name:match("^mud_(%a+)_([%w_]+)$")
    if run and mud_run[run] and mud_what[m] then have[r.name] = r; claim(r) end
  end
  local function v(name) return have[name] and have[name].value end
  local lines = {
    { "players in the game", "bots", "players" },
    { "of which sending a command a second", "active", "players" },
    { "hostile clients at once", nil, "hostile_clients" },
    { "failed to log in", "failed", "failed" },
    { "time to log in (s)", "setup_s", "setup_s" },
    { "window counted (s)", "window_s", "window_s" },
    { "commands sent in the window", "commands", "commands" },
    { "latency, p50 (ms)", "p50", "p50" },
    { "latency, p99 (ms)", "p99", "p99" },
    { "latency, max (ms)", "max", "max" },
    { "commands late (previous answer awaited)", "late", "late" },
    { "commands unanswered", "unanswered", "unanswered" },
    { "connections lost", "lost", "lost" },
    { "players the server dropped (queue full)", "server_drops", "server_drops" },
    { "CPU, % of one: the server", "server_cpu_pct", "server_cpu_pct" },
    { "CPU, % of one: the players", "bots_cpu_pct", "players_cpu_pct" },
    { "CPU, % of one: the hostile clients", nil, "hostile_cpu_pct" },
    { "CPU, % of one: everything else", "others_cpu_pct", "others_cpu_pct" },
  }
  -- A column for each run that has rows (a run may be missing).
  local runs = {}
  -- The living run (step 10's server) has the load run's rows.
  for _, spec in ipairs({ { "load", 2 }, { "living", 2 }, { "abuse", 3 } }) do
    local run, col = spec[1], spec[2]
    for _, l in ipairs(lines) do
      if l[col] and v("mud_" .. run .. "_" .. l[col]) then
        runs[#runs + 1] = { run = run, col = col }
        break
      end
    end
  end
  local out, body = {}, {}
  for _, l in ipairs(lines) do
    local f = l[1]:match("^CPU") and pct or num
    local row, any = { l[1] }, false
    for _, c in ipairs(runs) do
      local x = l[c.col] and v("mud_" .. c.run .. "_" .. l[c.col])
      any = any or x ~= nil
      row[#row + 1] = f(x)
    end
    if any then body[#body + 1] = cells(row) end
  end
  if #body > 0 then
    local head, aligns = { "" }, { pandoc.AlignLeft }
    for _, c in ipairs(runs) do
      head[#head + 1] = c.run == "living" and "step 10, under load" or "under " .. c.run
      aligns[#aligns + 1] = pandoc.AlignRight
    end
    out[#out + 1] = table_of(cells(head), body, aligns,
      "The MUD: a command from its send to the end of the next prompt")
  end
  body = {}
  for _, k in ipairs(mud_kinds) do
    local made, ended = v("mud_abuse_" .. k[1] .. "_conns"), v("mud_abuse_" .. k[1] .. "_ended")
    if made or ended then body[#body + 1] = cells({ k[2], num(made), num(ended) }) end
  end
  if #body > 0 then
    local secs = v("mud_abuse_hostile_s")
    out[#out + 1] = table_of(cells({ "hostile kind", "connections made", "ended by the server" }), body,
      { pandoc.AlignLeft, pandoc.AlignRight, pandoc.AlignRight },
      "The MUD's hostile clients" .. (secs and (", over the " .. fmt(secs) .. " s they ran") or ""))
  end
  return out
end

-- Saving a player (step 10).
local function store_tables(rows, claim)
  local body = {}
  for _, r in ipairs(rows) do
    if r.name:match("^store_") then
      claim(r)
      body[#body + 1] = cells({ (label_of(r.name)), num(r.value), r.unit == "us" and "\u{00b5}s" or r.unit })
    end
  end
  if #body == 0 then return {} end
  return { table_of(cells({ "", "value", "unit" }), body,
                    { pandoc.AlignLeft, pandoc.AlignRight, pandoc.AlignLeft },
                    "Saving a player, step 10: every tasklet waits meanwhile") }
end

local function chart(rows, spec, n)
  local data, lo, hi = {}, math.huge, 0
  for _, r in ipairs(rows) do
    local label, ours = (spec.label or function(x) return label_of(x.name) end)(r)
    -- Whole numbers from 1,000 up: the bar's label needs no decimals.
    local value = r.value >= 1000 and string.format("%.0f", r.value) or r.value
    data[#data + 1] = string.format("%s\t%s\t%d", label:gsub("\t", " "), value,
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
    "datafile='%s'; outfile='%s'; xlabel_='%s'; nrows=%d; logx=%d; xmin=%.17g; xmax=%.17g; kilo=%d",
    tsv, book.out .. "/" .. file, spec.xlabel .. (logx and " (logarithmic scale)" or ""),
    #data, logx and 1 or 0, xmin, xmax, (not logx and hi >= 10000) and 1 or 0), bars_gp }
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
    blocks[#blocks + 1] = measured and pandoc.Para({
      pandoc.Strong({ pandoc.Str("No measurement is available yet.") }), pandoc.Space(),
      pandoc.Str("This book was built from "), pandoc.Code(MEASURED),
      pandoc.Str(", which holds no rows: the last "), pandoc.Code("make bench"),
      pandoc.Str(" ran no benchmark to the end. Run it again, then "), pandoc.Code("make book"),
      pandoc.Str(", to see the figures here.") }) or pandoc.Para({
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
  -- The tables of the servers; drawn after the charts, but their rows
  -- must not fall into "Other results".
  local tables = {}
  local function claim(r) claimed[r] = true end
  for _, make in ipairs({ net_tables, mud_tables, store_tables }) do
    for _, t in ipairs(make(rows, claim)) do tables[#tables + 1] = t end
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

  if #tables > 0 then
    blocks[#blocks + 1] = pandoc.Header(3, { pandoc.Str("The servers and the saves") },
                                        pandoc.Attr("bench-tables"))
    for _, t in ipairs(tables) do blocks[#blocks + 1] = t end
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
