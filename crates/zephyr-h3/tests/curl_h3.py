# One HTTP/3-only request with libcurl (curl_cffi's bundled libcurl: ngtcp2 + nghttp3), which
# fails rather than fall back to TCP. Writes the body to OUT and prints status, HTTP version and
# size; exits 1 unless the status is 200 over HTTP/3 (CURL_HTTP_VERSION_3 = 30).
#   python curl_h3.py URL CAFILE OUT [POST_BODY_FILE]
import os
import sys
from curl_cffi import Curl, CurlHttpVersion, CurlInfo, CurlOpt

url, ca, out = sys.argv[1:4]
c = Curl()
c.setopt(CurlOpt.URL, url.encode())
c.setopt(CurlOpt.HTTP_VERSION, CurlHttpVersion.V3ONLY)
c.setopt(CurlOpt.CAINFO, ca.encode())
c.setopt(CurlOpt.TIMEOUT, 120)
if len(sys.argv) > 4:
    with open(sys.argv[4], "rb") as f:
        body = f.read()
    c.setopt(CurlOpt.POSTFIELDSIZE, len(body))
    c.setopt(CurlOpt.POSTFIELDS, body)
with open(out, "wb") as f:
    c.setopt(CurlOpt.WRITEDATA, f)
    c.perform()
status, version = c.getinfo(CurlInfo.RESPONSE_CODE), c.getinfo(CurlInfo.HTTP_VERSION)
size = os.path.getsize(out)
print(f"status {status} http_version {version} bytes {size}")
sys.exit(0 if status == 200 and version == 30 else 1)
