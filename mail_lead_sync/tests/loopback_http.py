"""The HTTP plumbing the test servers share: a threaded server on 127.0.0.1 whose
requests go to one method of the owning object. Plain Python."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackHttp:
    """Subclasses define ``answer(method, path, headers, body)`` returning
    ``(status, headers, payload bytes)``."""

    _httpd = None
    bind_port = 0  # a fixed port (443 in a private network namespace), else any free one

    @property
    def port(self):
        return self._httpd.server_address[1]

    def _wrap_socket(self, sock):
        return sock  # TLS servers wrap it

    def start(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _answer(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, payload = server.answer(self.command, self.path, self.headers, body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.bind_port), Handler)
        self._httpd.socket = self._wrap_socket(self._httpd.socket)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self):
        return self if self._httpd else self.start()

    def __exit__(self, *exc_info):
        self.stop()
