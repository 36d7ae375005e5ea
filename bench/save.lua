-- wrk script: save answers of the open assessment as the questionnaire page does (htmx POST
-- with the session cookie and the CSRF header), always naming the current version, so that
-- every request is a real write (a stale version would only be a conflict).
--
-- bench/run.sh writes bench-state.lua (org, cookie, csrf, criteria, versions) and runs:
--   wrk -t THREADS -s bench/save.lua URL /path/to/bench-state.lua THREADS
-- Each wrk thread saves its own share of the criteria (it only learns the versions of the
-- answers it saved); a conflict remains possible when one thread has two requests in flight
-- for the same answer, and is counted.
--
-- At the end the versions the threads learned are written beside the state file
-- (bench-state.lua.versions) and read by the next run, so a second run on the same state
-- (bench/instructions.sh, bench/cpu.sh, a run by hand) does not start with stale versions,
-- whose first save of each criterion would be a cheaper conflict. bench/run.sh deletes it
-- when it writes a fresh state.

local statuses = { "not_started", "partial", "largely", "implemented" }
-- Globals (not locals): done() reads them from each thread with thread:get.
n, conflicts, saved, errors = 0, 0, 0, 0

function init(args)
  dofile(args[1])      -- defines state = { org, cookie, csrf, criteria = {...}, versions = {...} }
  state_file = args[1]
  local learned = loadfile(state_file .. ".versions")
  if learned then
    for dom, v in pairs(learned()) do state.versions[dom] = v end
  end
  versions = state.versions -- a global, for done()
  local threads = tonumber(args[2] or "1")
  local mine = {}
  for i, c in ipairs(state.criteria) do
    if (i - 1) % threads == (tid or 0) then table.insert(mine, c) end
  end
  state.criteria = mine
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  wrk.method = "POST"
  wrk.headers["Cookie"] = state.cookie
  wrk.headers["X-CSRF-Token"] = state.csrf
  wrk.headers["HX-Request"] = "true"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  n = n + 1
  local c = state.criteria[math.random(#state.criteria)]
  local dom = c:gsub("%.", "-")
  local v = state.versions[dom] or 0
  local body = "status=" .. statuses[(n % #statuses) + 1] .. "&version=" .. v ..
               "&notes=benchmark+save+" .. n
  return wrk.format("POST", "/orgs/" .. state.org .. "/answers/" .. c, nil, body)
end

function response(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    return
  end
  if body:find("changed this answer while you were editing", 1, true) then
    conflicts = conflicts + 1
  elseif body:find("Saved at", 1, true) then
    saved = saved + 1
  end
  -- The fragment carries the row's version now (after a save, or the winner's on a conflict).
  local dom, v = body:match('id="version%-([^"]+)" value="(%d+)"')
  if dom then state.versions[dom] = tonumber(v) end
end

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local s, c, e = 0, 0, 0
  local merged = {}
  for _, t in ipairs(threads) do
    s = s + (t:get("saved") or 0)
    c = c + (t:get("conflicts") or 0)
    e = e + (t:get("errors") or 0)
    for dom, v in pairs(t:get("versions") or {}) do
      if (merged[dom] or 0) < v then merged[dom] = v end
    end
  end
  io.write(string.format("SAVES saved=%d conflicts=%d errors=%d\n", s, c, e))
  local file = threads[1] and threads[1]:get("state_file")
  if file then
    local out = assert(io.open(file .. ".versions", "w"))
    out:write("return {\n")
    for dom, v in pairs(merged) do out:write(string.format("  [%q] = %d,\n", dom, v)) end
    out:write("}\n")
    out:close()
  end
end
