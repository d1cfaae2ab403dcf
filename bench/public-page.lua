-- wrk script: GET random public request pages. Codes come from `kotapintar-bench --serve FILE`.
local codes = {}
for line in io.lines(os.getenv("CODES") or "/tmp/kp-codes.txt") do codes[#codes + 1] = line end
math.randomseed(42)
request = function()
  return wrk.format("GET", "/laporan/" .. codes[math.random(#codes)])
end
