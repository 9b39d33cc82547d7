-- wrk script for tools/bench/wrk_client.ts: POSTs one body file over every connection (closed loop),
-- counts answers by status, keeps one non-2xx body as a sample, stops a thread after its share of
-- --max-requests, and prints one JSON line with the counts and the raw latency distribution.
--
--   wrk -t1 -c64 -d10s -s wrk_load.lua URL -- BODY_FILE CONTENT_TYPE MAX_REQUESTS_PER_THREAD

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.method = "POST"
  wrk.body = file:read("*a")
  file:close()
  wrk.headers["Content-Type"] = args[2]
  max_requests = tonumber(args[3])
  answered = 0
  statuses = {}
  sample = nil
end

function response(status, headers, body)
  answered = answered + 1
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if (status < 200 or status > 299) and sample == nil then
    -- Kept JSON-safe by blanking what would need escaping: it is only a hint for the reader.
    sample = key .. " " .. string.sub(body or "", 1, 300):gsub('[%c"\\]', " ")
  end
  if answered >= max_requests then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local counts = {}
  local errorSample = nil
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
    errorSample = errorSample or thread:get("sample")
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%s":%d', status, n))
  end
  -- latency(i) is the i-th distinct latency in microseconds and how many requests took it.
  local dist = {}
  for i = 1, #latency do
    local value, count = latency(i)
    table.insert(dist, string.format("[%d,%d]", value, count))
  end
  local e = summary.errors
  io.write(string.format(
    '{"durationUs":%d,"requests":%d,"statuses":{%s},"socketErrors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"errorSample":%s,"latencyUs":[%s]}\n',
    summary.duration, summary.requests, table.concat(parts, ","), e.connect, e.read, e.write, e.timeout,
    errorSample and ('"' .. errorSample .. '"') or "null", table.concat(dist, ",")))
end
