-- wrk script for `jianguan bench licences`: GET /api/v1/licences?holder=ID,
-- rotating through a file of holders' identifiers (one a line).
--
--   wrk -s scripts/licence-lookup.lua http://HOST/api/v1/licences -- IDS_FILE TOKEN

local threads = {}

function setup(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end

function init(args)
  ids = {}
  for line in io.lines(args[1]) do
    if #line > 0 then
      ids[#ids + 1] = line
    end
  end
  if #ids == 0 then
    error("no identifiers in " .. args[1])
  end
  counter = offset or 0
  wrk.headers["Authorization"] = "Bearer " .. args[2]
end

function request()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  return wrk.format("GET", "/api/v1/licences?holder=" .. id)
end
