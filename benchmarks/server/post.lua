-- POSTs a purchase (or a plain earn) for a customer picked round-robin, with a unique order id.
-- Env: BENCH_PATH, BENCH_AUTH (Authorization header), BENCH_CUSTOMERS (comma-separated ids),
-- BENCH_KIND ("purchase" or "orm").
local customers = {}
for id in string.gmatch(os.getenv("BENCH_CUSTOMERS"), "[^,]+") do customers[#customers + 1] = id end
local path = os.getenv("BENCH_PATH")
local kind = os.getenv("BENCH_KIND")
local headers = {["Content-Type"] = "application/json", ["Authorization"] = os.getenv("BENCH_AUTH"), ["X-Tenant"] = "demo"}
local n = 0
local prefix = ""

function setup(thread)
  thread:set("tid", tostring(math.random(1, 1000000000)))
end

function init(args)
  prefix = tid .. "-" .. tostring(os.time())
end

function request()
  n = n + 1
  local cid = customers[(n % #customers) + 1]
  local body
  if kind == "orm" then
    body = string.format('{"order_id":"o-%s-%d","customer_id":"%s","amount":1850}', prefix, n, cid)
  else
    body = string.format('{"order_id":"b-%s-%d","customer_id":"%s","channel":"store","items":[' ..
      '{"sku":"coffee-1","category":"coffee","quantity":2,"unit_price":450},' ..
      '{"sku":"beans-2","category":"beans","quantity":1,"unit_price":950}]}', prefix, n, cid)
  end
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status ~= 201 then
    errors_seen = (errors_seen or 0) + 1
    if errors_seen < 3 then print("status " .. status .. ": " .. body) end
  end
end
