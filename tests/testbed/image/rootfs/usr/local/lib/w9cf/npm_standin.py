#!/usr/bin/python3
"""TEST DOUBLE: a small stand-in for the Nginx Proxy Manager 2.12.6 admin API (port 81 in the gateway).

It follows shared/reference/websoft9.md ("Nginx Proxy Manager 2.12.6 API, as observed running its public
source"): token login and refresh, proxy hosts (create/partial update/delete, nginx -t then reload, meta.nginx_online
read back, conf file removed on failure), custom certificates (create, multipart upload, validate, soft delete),
and NPM's error bodies {"error": {"code", "message"}}. State lives in $W9CF_DATA/w9cf-npm.json; generated files
in $W9CF_DATA/nginx/proxy_host/{id}.conf and $W9CF_DATA/custom_ssl/npm-{id}/. The generated server block follows
NPM's order; it writes `listen 443 ssl http2` instead of `http2 on;` because Debian 12's nginx is 1.22.
Stdlib only. Run: npm_standin.py (env W9CF_DATA, W9CF_NPM_LISTEN=127.0.0.1:81, W9CF_NPM_EMAIL, W9CF_NPM_PASSWORD).
"""
import base64
import datetime as dt
import email.parser
import email.policy
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

DATA = os.environ.get("W9CF_DATA", "/data")
GW_DATA = os.environ.get("W9CF_GW_DATA", "/data")   # the path nginx sees (the container-side path)
DB = os.path.join(DATA, "w9cf-npm.json")
SECRET = hashlib.sha256(("w9cf" + DATA).encode()).digest()
REQLOG = "/var/log/w9cf-npm-requests.log"

HOST_FIELDS = {
    "domain_names": list, "forward_scheme": str, "forward_host": str, "forward_port": int,
    "certificate_id": int, "ssl_forced": bool, "http2_support": bool, "hsts_enabled": bool,
    "hsts_subdomains": bool, "block_exploits": bool, "caching_enabled": bool,
    "allow_websocket_upgrade": bool, "access_list_id": int, "advanced_config": str, "meta": dict,
    "locations": list, "enabled": bool,
}
HOST_REQUIRED = ["domain_names", "forward_scheme", "forward_host", "forward_port"]


def now():
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


class HTTPError(Exception):
    def __init__(self, status, message, debug=None, raw=None):
        super().__init__(message)
        self.status, self.message, self.debug, self.raw = status, message, debug, raw


def load():
    try:
        with open(DB, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        return {"users": [{"id": 1, "email": os.environ.get("W9CF_NPM_EMAIL", "admin@example.com"),
                           "name": "Administrator", "nickname": "Admin",
                           "secret": os.environ.get("W9CF_NPM_PASSWORD", "changeme")}],
                "proxy_hosts": [], "certificates": [], "next": {"host": 1, "cert": 1}}


def save(db):
    tmp = DB + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(db, fh, indent=1)
    os.replace(tmp, DB)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(uid, lifetime=86400):
    exp = int(time.time()) + lifetime
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"attrs": {"id": uid}, "scope": ["user"], "exp": exp}).encode())
    sig = b64(hmac.new(SECRET, (head + "." + body).encode(), hashlib.sha256).digest())
    expires = dt.datetime.fromtimestamp(exp, dt.timezone.utc).isoformat().replace("+00:00", "Z")
    return {"token": head + "." + body + "." + sig, "expires": expires}


def check_token(headers):
    auth = headers.get("Authorization")
    if not auth:
        raise HTTPError(403, "Permission Denied")
    tok = auth.split(" ", 1)[-1]
    try:
        head, body, sig = tok.split(".")
        good = b64(hmac.new(SECRET, (head + "." + body).encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(good, sig):
            raise ValueError("signature")
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except Exception:
        raise HTTPError(500, "Internal Error")
    if payload["exp"] < time.time():
        raise HTTPError(401, "Token has expired")
    return payload["attrs"]["id"]


def validate(body, fields, required, partial=False):
    if not isinstance(body, dict):
        raise HTTPError(400, "data must be object")
    for key in body:
        if key not in fields:
            raise HTTPError(400, "data must NOT have additional properties")
    if not partial:
        for key in required:
            if key not in body:
                raise HTTPError(400, "data must have required property '%s'" % key)
    for key, kind in fields.items():
        if key in body:
            val = body[key]
            if kind is int and (isinstance(val, bool) or not isinstance(val, int)):
                if not (key == "certificate_id" and val == "new"):
                    raise HTTPError(400, "data/%s must be integer" % key)
            if kind is bool and not isinstance(val, bool):
                raise HTTPError(400, "data/%s must be boolean" % key)
            if kind is str and not isinstance(val, str):
                raise HTTPError(400, "data/%s must be string" % key)
            if kind is list and not isinstance(val, list):
                raise HTTPError(400, "data/%s must be array" % key)
            if kind is dict and not isinstance(val, dict):
                raise HTTPError(400, "data/%s must be object" % key)
    if "forward_scheme" in body and body["forward_scheme"] not in ("http", "https"):
        raise HTTPError(400, "data/forward_scheme must be equal to one of the allowed values")


def render_host(h, certs):
    cert = next((c for c in certs if c["id"] == h.get("certificate_id") and not c["is_deleted"]), None)
    ssl = cert is not None and cert.get("uploaded")
    lines = [
        "# ------------------------------------------------------------",
        "# " + ", ".join(h["domain_names"]),
        "# ------------------------------------------------------------",
        "", "map $scheme $hsts_header {", '    https   "max-age=63072000; preload";', "}", "",
        "server {",
        "  set $forward_scheme %s;" % h["forward_scheme"],
        '  set $server         "%s";' % h["forward_host"],
        "  set $port           %d;" % h["forward_port"],
        "", "  listen 80;", "  listen [::]:80;",
    ]
    if ssl:
        h2 = " http2" if h.get("http2_support") else ""
        lines += ["", "  listen 443 ssl%s;" % h2, "  listen [::]:443 ssl%s;" % h2]
    lines += ["", "  server_name %s;" % " ".join(h["domain_names"])]
    if ssl:
        d = "%s/custom_ssl/npm-%d" % (GW_DATA, cert["id"])
        lines += ["", "  # Custom SSL", "  ssl_certificate %s/fullchain.pem;" % d,
                  "  ssl_certificate_key %s/privkey.pem;" % d]
    if h.get("block_exploits"):
        lines += ["", "  # Block Exploits", "  include conf.d/include/block-exploits.conf;"]
    if ssl and h.get("ssl_forced"):
        lines += ["", "  # Force SSL", "  include conf.d/include/force-ssl.conf;"]
    lines += ["", "  access_log %s/logs/proxy-host-%d_access.log proxy;" % (GW_DATA, h["id"]),
              "  error_log %s/logs/proxy-host-%d_error.log warn;" % (GW_DATA, h["id"]), ""]
    if h.get("advanced_config"):
        lines += [h["advanced_config"], ""]
    lines += ["  location / {", "    include conf.d/include/proxy.conf;", "  }", "",
              "  # Custom", "  include %s/nginx/custom/server_proxy[.]conf;" % GW_DATA, "}", ""]
    return "\n".join(lines)


def nginx(*args):
    proc = subprocess.run(["nginx"] + list(args), capture_output=True, text=True, check=False)
    return proc.returncode, (proc.stderr + proc.stdout).strip()


def apply_host(db, h):
    """Write the host's conf, test it, reload; on failure remove the conf and record nginx_err (like NPM)."""
    path = os.path.join(DATA, "nginx", "proxy_host", "%d.conf" % h["id"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not h.get("enabled", True):
        if os.path.exists(path):
            os.remove(path)
        nginx("-s", "reload")
        return
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(render_host(h, db["certificates"]))
    rc, out = nginx("-t")
    if rc != 0:
        os.remove(path)
        h["meta"] = dict(h.get("meta", {}), nginx_online=False, nginx_err=out)
    else:
        h["meta"] = dict(h.get("meta", {}), nginx_online=True, nginx_err=None)
        nginx("-s", "reload")


def parse_cert(pem):
    with tempfile.NamedTemporaryFile("w", suffix=".pem") as fh:
        fh.write(pem)
        fh.flush()
        proc = subprocess.run(["openssl", "x509", "-in", fh.name, "-noout", "-subject", "-issuer",
                               "-startdate", "-enddate", "-ext", "subjectAltName", "-nameopt", "RFC2253"],
                              capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise HTTPError(400, "Certificate is not valid (%s)" % proc.stderr.strip().splitlines()[0]
                        if proc.stderr.strip() else "Certificate is not valid ()")
    out = proc.stdout
    info = {"cn": "", "issuer": "", "dates": {}, "names": []}
    for line in out.splitlines():
        if line.startswith("subject="):
            m = re.search(r"CN=([^,]+)", line)
            info["cn"] = m.group(1) if m else ""
        elif line.startswith("issuer="):
            info["issuer"] = line.split("=", 1)[1]
        elif line.startswith("notBefore="):
            info["dates"]["from"] = int(dt.datetime.strptime(line.split("=", 1)[1], "%b %d %H:%M:%S %Y %Z").timestamp())
        elif line.startswith("notAfter="):
            info["dates"]["to"] = int(dt.datetime.strptime(line.split("=", 1)[1], "%b %d %H:%M:%S %Y %Z").timestamp())
        elif "DNS:" in line:
            info["names"] += [p.strip()[4:] for p in line.split(",") if p.strip().startswith("DNS:")]
    return info


def check_key(pem):
    with tempfile.NamedTemporaryFile("w", suffix=".pem") as fh:
        fh.write(pem)
        fh.flush()
        proc = subprocess.run(["openssl", "pkey", "-in", fh.name, "-noout"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise HTTPError(400, "Certificate Key is not valid ()")


def multipart(headers, raw):
    ctype = headers.get("Content-Type", "")
    if not ctype.startswith("multipart/form-data"):
        raise HTTPError(400, None, raw={"error": "No files were uploaded"})
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
    files = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        files[name] = part.get_payload(decode=True).decode()
    if not files:
        raise HTTPError(400, None, raw={"error": "No files were uploaded"})
    return files


def public_cert(c):
    return {k: v for k, v in c.items() if k not in ("uploaded",)}


class Handler(BaseHTTPRequestHandler):
    server_version = "openresty"

    def log_message(self, fmt, *args):
        with open(REQLOG, "a", encoding="utf-8") as fh:
            fh.write("%s %s\n" % (self.command, self.path))

    def send(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _sep, query = self.path.partition("?")
        parts = [p for p in path.split("/") if p]
        try:
            if parts[:1] != ["api"]:
                raise HTTPError(404, "Not Found")
            status, obj = self.route(self.command, parts[1:], raw, query)
        except HTTPError as err:
            if err.raw is not None:
                return self.send(err.status, err.raw)
            body = {"error": {"code": err.status, "message": err.message}}
            if err.debug is not None:
                body["debug"] = err.debug
            return self.send(err.status, body)
        return self.send(status, obj)

    do_GET = do_POST = do_PUT = do_DELETE = handle_any

    def json_body(self, raw):
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            raise HTTPError(400, "Unexpected token in JSON")

    def route(self, method, parts, raw, query):
        db = load()
        if parts == []:
            return 200, {"status": "OK", "setup": True, "version": {"major": 2, "minor": 12, "revision": 6}}
        if parts == ["tokens"] and method == "POST":
            body = self.json_body(raw)
            validate(body, {"identity": str, "secret": str, "scope": str}, ["identity", "secret"])
            user = next((u for u in db["users"] if u["email"].lower() == body["identity"].lower()), None)
            if not user or user["secret"] != body["secret"]:
                raise HTTPError(401, "Invalid email or password")
            return 200, make_token(user["id"])
        uid = check_token(self.headers)
        if parts == ["tokens"] and method == "GET":
            return 200, make_token(uid)
        if parts[:2] == ["nginx", "proxy-hosts"]:
            return self.hosts(db, method, parts[2:], raw, query)
        if parts[:2] == ["nginx", "certificates"]:
            return self.certs(db, method, parts[2:], raw)
        raise HTTPError(404, "Not Found")

    def find_host(self, db, ident):
        for h in db["proxy_hosts"]:
            if str(h["id"]) == ident:
                return h
        raise HTTPError(404, "Item Not Found - %s" % ident)

    def hosts(self, db, method, rest, raw, query):
        expand = "certificate" in query

        def out(h):
            o = dict(h)
            if expand:
                c = next((c for c in db["certificates"] if c["id"] == h["certificate_id"]), None)
                o["certificate"] = public_cert(c) if c else None
            return o
        if not rest and method == "GET":
            return 200, [out(h) for h in db["proxy_hosts"]]
        if not rest and method == "POST":
            body = self.json_body(raw)
            validate(body, HOST_FIELDS, HOST_REQUIRED)
            self.domains_free(db, body["domain_names"], None)
            h = {"id": db["next"]["host"], "created_on": now(), "modified_on": now(), "owner_user_id": 1,
                 "certificate_id": 0, "ssl_forced": False, "http2_support": False, "hsts_enabled": False,
                 "hsts_subdomains": False, "block_exploits": False, "caching_enabled": False,
                 "allow_websocket_upgrade": False, "access_list_id": 0, "advanced_config": "",
                 "enabled": True, "locations": [], "meta": {"letsencrypt_agree": False, "dns_challenge": False}}
            h.update(body)
            h["domain_names"] = [d.lower() for d in h["domain_names"]]
            db["next"]["host"] += 1
            db["proxy_hosts"].append(h)
            apply_host(db, h)
            save(db)
            return 201, out(h)
        h = self.find_host(db, rest[0])
        if method == "GET":
            return 200, out(h)
        if method == "PUT":
            body = self.json_body(raw)
            validate(body, HOST_FIELDS, HOST_REQUIRED, partial=True)
            if "domain_names" in body:
                self.domains_free(db, body["domain_names"], h["id"])
                body["domain_names"] = [d.lower() for d in body["domain_names"]]
            h.update(body)
            h["modified_on"] = now()
            apply_host(db, h)
            save(db)
            return 200, out(h)
        if method == "DELETE":
            db["proxy_hosts"].remove(h)
            path = os.path.join(DATA, "nginx", "proxy_host", "%d.conf" % h["id"])
            if os.path.exists(path):
                os.remove(path)
            nginx("-s", "reload")
            save(db)
            return 200, True
        raise HTTPError(404, "Not Found")

    def domains_free(self, db, names, own_id):
        for name in names:
            for h in db["proxy_hosts"]:
                if h["id"] != own_id and name.lower() in [d.lower() for d in h["domain_names"]]:
                    raise HTTPError(400, "%s is already in use" % name)

    def certs(self, db, method, rest, raw):
        live = [c for c in db["certificates"] if not c["is_deleted"]]
        if not rest and method == "GET":
            return 200, [public_cert(c) for c in live]
        if rest == ["validate"] and method == "POST":
            files = multipart(self.headers, raw)
            if "certificate" not in files:
                raise HTTPError(400, "Certificate file was not provided")
            info = parse_cert(files["certificate"])
            if "certificate_key" in files:
                check_key(files["certificate_key"])
            return 200, {"certificate": {"cn": info["cn"], "issuer": info["issuer"], "dates": info["dates"]},
                         "certificate_key": True}
        if not rest and method == "POST":
            body = self.json_body(raw)
            validate(body, {"provider": str, "nice_name": str, "domain_names": list, "meta": dict}, ["provider"])
            c = {"id": db["next"]["cert"], "created_on": now(), "modified_on": now(), "owner_user_id": 1,
                 "provider": body["provider"], "nice_name": body.get("nice_name", ""), "domain_names": [],
                 "expires_on": now(), "meta": body.get("meta", {}), "is_deleted": 0, "uploaded": False}
            db["next"]["cert"] += 1
            db["certificates"].append(c)
            save(db)
            return 201, public_cert(c)
        c = next((c for c in live if str(c["id"]) == rest[0]), None)
        if c is None:
            raise HTTPError(404, "Item Not Found - %s" % rest[0])
        if rest[1:] == ["upload"] and method == "POST":
            files = multipart(self.headers, raw)
            if "certificate" not in files:
                raise HTTPError(400, "Certificate file was not provided", debug={"stack": []})
            if "certificate_key" not in files:
                raise HTTPError(400, "Certificate Key file was not provided", debug={"stack": []})
            info = parse_cert(files["certificate"])
            check_key(files["certificate_key"])
            d = os.path.join(DATA, "custom_ssl", "npm-%d" % c["id"])
            os.makedirs(d, exist_ok=True)
            chain = files["certificate"].strip() + "\n"
            if files.get("intermediate_certificate"):
                chain += files["intermediate_certificate"].strip() + "\n"
            with open(os.path.join(d, "fullchain.pem"), "w", encoding="utf-8") as fh:
                fh.write(chain)
            fd = os.open(os.path.join(d, "privkey.pem"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(files["certificate_key"].strip() + "\n")
            c["uploaded"] = True
            c["domain_names"] = info["names"] or [info["cn"]]
            c["expires_on"] = dt.datetime.fromtimestamp(info["dates"]["to"], dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            c["modified_on"] = now()
            for h in db["proxy_hosts"]:
                if h["certificate_id"] == c["id"]:
                    apply_host(db, h)
            save(db)
            return 200, {"certificate": files["certificate"], "certificate_key": files["certificate_key"]}
        if not rest[1:] and method == "GET":
            return 200, public_cert(c)
        if not rest[1:] and method == "DELETE":
            c["is_deleted"] = 1
            save(db)
            return 200, True
        raise HTTPError(404, "Not Found")


def main():
    host, _sep, port = os.environ.get("W9CF_NPM_LISTEN", "127.0.0.1:81").rpartition(":")
    # one request at a time: the state is a JSON file
    HTTPServer((host, int(port)), Handler).serve_forever()


if __name__ == "__main__":
    sys.exit(main())
