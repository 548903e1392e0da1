#!/usr/bin/python3
"""TEST DOUBLE: a small stand-in for the Websoft9 apphub API (console port 9000, base /api).

Follows shared/reference/websoft9.md: header `x-api-key`; a missing or wrong key is HTTP 400 ("No API Key
provided" / "Invalid API Key", body {"message": "Invalid Request", "details": ...} -- the body shape of apphub's
CustomException is an assumption, the status and texts are from the reference). Routes:
  GET  /api/apps                       apps from /etc/w9cf-testbed/apps.json
  GET  /api/proxys/{app_id}            the app's bindings, read from the NPM stand-in's proxy hosts whose
                                       forward_host:forward_port is the app's; 2.3 adds certificate_id,
                                       certificate_name, ssl_forced
  POST /api/proxys/{app_id}            {"domain_names": [...]} -> creates the NPM proxy host (through the NPM API)
  PUT  /api/proxys/{proxy_id}          {"domain_names": [...]} (2.3 also certificate_id, ssl_forced)
  DELETE /api/proxys/{proxy_id}        204
  GET  /api/proxys/ssl/certificates    NPM's certificates
Anything else under /api is 404 {"detail": "Not Found"} (FastAPI's default); "/" answers a console page stand-in.
Env: W9CF_APPHUB_KEY, W9CF_APPHUB_VERSION (2.2 or 2.3), W9CF_APPHUB_LISTEN=0.0.0.0:9000, W9CF_NPM_EMAIL/PASSWORD.
"""
import json
import os
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

KEY = os.environ.get("W9CF_APPHUB_KEY", "")
VERSION = os.environ.get("W9CF_APPHUB_VERSION", "2.2")
APPS = "/etc/w9cf-testbed/apps.json"
NPM = "http://127.0.0.1:81/api"
REQLOG = "/var/log/w9cf-apphub-requests.log"


class Err(Exception):
    def __init__(self, status, body):
        super().__init__(str(body))
        self.status, self.body = status, body


def npm(method, path, body=None):
    def call(m, p, b, token=None):
        req = urllib.request.Request(NPM + p, method=m, data=json.dumps(b).encode() if b is not None else None,
                                     headers={"Content-Type": "application/json"})
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            raise Err(e.code if e.code != 404 else 404, {"message": "Proxy Error", "details": e.read().decode()})
    tok = call("POST", "/tokens", {"identity": os.environ.get("W9CF_NPM_EMAIL", "admin@example.com"),
                                   "secret": os.environ.get("W9CF_NPM_PASSWORD", "changeme")})["token"]
    return call(method, path, body, tok)


def apps():
    with open(APPS, encoding="utf-8") as fh:
        return json.load(fh)


def binding(h, certs):
    out = {"proxy_id": h["id"], "domain_names": h["domain_names"]}
    if VERSION.startswith("2.3"):
        c = next((c for c in certs if c["id"] == h["certificate_id"]), None)
        out.update(certificate_id=h["certificate_id"], certificate_name=c["nice_name"] if c else None,
                   ssl_forced=h["ssl_forced"])
    return out


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        with open(REQLOG, "a", encoding="utf-8") as fh:
            fh.write("%s %s\n" % (self.command, self.path))

    def send(self, status, obj, ctype="application/json"):
        data = b"" if status == 204 else (obj.encode() if isinstance(obj, str) else json.dumps(obj).encode())
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def any(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        if parts[:1] != ["api"]:
            return self.send(200, "<html><title>Websoft9 console (test double)</title></html>", "text/html")
        try:
            key = self.headers.get("x-api-key")
            if not key:
                raise Err(400, {"message": "Invalid Request", "details": "No API Key provided"})
            if key != KEY:
                raise Err(400, {"message": "Invalid Request", "details": "Invalid API Key"})
            status, obj = self.route(self.command, parts[1:], json.loads(raw or b"null"))
        except Err as e:
            return self.send(e.status, e.body)
        return self.send(status, obj)

    do_GET = do_POST = do_PUT = do_DELETE = any

    def route(self, method, parts, body):
        if parts == ["apps"] and method == "GET":
            return 200, apps()
        if parts == ["proxys", "ssl", "certificates"] and method == "GET":
            return 200, npm("GET", "/nginx/certificates")
        if len(parts) == 2 and parts[0] == "proxys":
            ident = parts[1]
            app = next((a for a in apps() if a["app_id"] == ident), None)
            if method == "GET":
                if app is None:
                    raise Err(404, {"message": "Not Found", "details": "App %s not found" % ident})
                certs = npm("GET", "/nginx/certificates")
                return 200, [binding(h, certs) for h in npm("GET", "/nginx/proxy-hosts")
                             if h["forward_host"] == app["w9_forward_host"] and h["forward_port"] == app["w9_http_port"]]
            if method == "POST":
                if app is None:
                    raise Err(404, {"message": "Not Found", "details": "App %s not found" % ident})
                self.check_domains(body)
                h = npm("POST", "/nginx/proxy-hosts", {
                    "domain_names": body["domain_names"], "forward_scheme": "http",
                    "forward_host": app["w9_forward_host"], "forward_port": app["w9_http_port"],
                    "block_exploits": False, "allow_websocket_upgrade": True})
                return 200, binding(h, [])
            if method == "PUT":
                self.check_domains(body)
                upd = {"domain_names": body["domain_names"]}
                if VERSION.startswith("2.3"):
                    for k in ("certificate_id", "ssl_forced"):
                        if k in body:
                            upd[k] = body[k]
                h = npm("PUT", "/nginx/proxy-hosts/%s" % ident, upd)
                return 200, binding(h, npm("GET", "/nginx/certificates"))
            if method == "DELETE":
                npm("DELETE", "/nginx/proxy-hosts/%s" % ident)
                return 204, None
        raise Err(404, {"detail": "Not Found"})

    @staticmethod
    def check_domains(body):
        names = (body or {}).get("domain_names")
        if not names:
            raise Err(400, {"message": "Invalid Request", "details": "domain_names must not be empty"})
        if len(set(names)) != len(names):
            raise Err(400, {"message": "Invalid Request", "details": "domain_names must be unique"})
        for n in names:
            if n.startswith(("http://", "https://")):
                raise Err(400, {"message": "Invalid Request", "details": "%s must not start with http://" % n})


def main():
    host, _sep, port = os.environ.get("W9CF_APPHUB_LISTEN", "0.0.0.0:9000").rpartition(":")
    HTTPServer((host, int(port)), Handler).serve_forever()


if __name__ == "__main__":
    sys.exit(main())
