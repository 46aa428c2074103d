# A stand-in GitHub for benches/run-loadgen.sh with workers on: it answers every request at once
# with 404, so workers finish (or fail) items in milliseconds and a run measures their store
# traffic rather than waits on an unreachable GitHub. Usage: python3 github-404.py PORT
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def _answer(self):
        n = int(self.headers.get("content-length") or 0)
        if n: self.rfile.read(n)
        body = b'{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}'
        self.send_response(404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
