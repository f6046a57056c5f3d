-- wrk script for `jianguan bench credit`: POST /api/v1/credit/check, one
-- applicant per request, rotating through a file of identifiers (one a line).
--
--   wrk -s scripts/credit-check.lua http://HOST/api/v1/credit/check -- IDS_FILE TOKEN MATTER AS_OF
--
-- Each wrk thread starts at its own offset in the file, so threads do not
-- send the same identifier at the same time.

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
  matter = args[3]
  as_of = args[4]
  counter = offset or 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[2]
end

function request()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  local body = string.format('{"matter":"%s","id":"%s","as_of":"%s"}', matter, id, as_of)
  return wrk.format(nil, nil, nil, body)
end
