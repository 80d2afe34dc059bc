-- POST /echo with a 1 KiB text body, echoed back by every server.
wrk.method = "POST"
wrk.path = "/echo"
wrk.body = string.rep("x", 1024)
wrk.headers["Content-Type"] = "text/plain"
