-- POST /heavy: ~5 ms of CPU per request in every server.
wrk.method = "POST"
wrk.path = "/heavy"
wrk.body = '{"text":"zephyr-bench"}'
wrk.headers["Content-Type"] = "application/json"
