-- 16 GET / requests per write: wrk counts each response, so req/s stays comparable.
init = function(args)
  local batch = {}
  for i = 1, 16 do
    batch[i] = wrk.format("GET", "/")
  end
  pipelined = table.concat(batch)
end

request = function()
  return pipelined
end
