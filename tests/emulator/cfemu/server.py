"""HTTP server around the Emulator: in-process (tests) or as a process (`python -m cfemu`)."""
from __future__ import annotations

import argparse
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .core import Dropped, Emulator, State


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a kept-alive client's delayed ACK stalls each
    # response after the first by ~40 ms.
    disable_nagle_algorithm = True
    emulator = None  # set on the subclass made by make_server

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            status, headers, payload = self.emulator.handle(self.command, self.path, dict(self.headers), body)
        except Dropped:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("%s\n" % (fmt % args))


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, emulator, host="127.0.0.1", port=0, verbose=False):
        handler = type("Handler", (_Handler,), {"emulator": emulator})
        super().__init__((host, port), handler)
        self.emulator = emulator
        self.verbose = verbose

    @property
    def base_url(self):
        host, port = self.server_address[:2]
        return "http://%s:%d/client/v4" % (host, port)

    def start_background(self):
        thread = threading.Thread(target=self.serve_forever, name="cfemu", daemon=True)
        thread.start()
        return thread


def main(argv=None):
    parser = argparse.ArgumentParser(prog="cfemu", description="Cloudflare v4 API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--token", default="emulator-token")
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--api-email", default=None)
    parser.add_argument("--state", default=None, help="JSON state file, kept between runs")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    state = State(token=args.token, api_key=args.api_key, api_email=args.api_email, state_file=args.state)
    server = EmulatorServer(Emulator(state), args.host, args.port, args.verbose)
    print("cfemu listening on %s (account %s)" % (server.base_url, state.account_id), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        state.save()
    return 0
