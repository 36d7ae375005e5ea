-- wrk script: the dashboards of many organizations in turn (bench/tenants.sh).
--   wrk -t THREADS -s bench/tenants.lua URL ORG_LIST_FILE COOKIE
-- Each thread walks the list from its own offset, one organization per request, so that
-- every request may find its organization's view gone from the cache.
local started = 0

function setup(thread)
  thread:set("tid", started)
  started = started + 1
end

function init(args)
  orgs = {}
  for line in io.lines(args[1]) do table.insert(orgs, line) end
  wrk.headers["Cookie"] = args[2]
  i = (tid or 0) * 7919 % #orgs
end

function request()
  i = i % #orgs + 1
  return wrk.format("GET", "/orgs/" .. orgs[i])
end
