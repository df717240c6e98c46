-- GETs BENCH_PATH with the BENCH_AUTH Authorization header.
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
wrk.headers["X-Tenant"] = "demo"
wrk.path = os.getenv("BENCH_PATH")
function response(status, headers, body)
  if status ~= 200 then
    errors_seen = (errors_seen or 0) + 1
    if errors_seen < 3 then print("status " .. status .. ": " .. body) end
  end
end
