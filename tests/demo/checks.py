"""What Cloudflare would see of the origins: checks run from the host, which the origins' firewall treats as
Cloudflare, presenting the emulator's origin-pull client certificate (as Cloudflare presents its own).

  python tests/demo/checks.py --base-url URL --origin NAME=ADDRESS=DOMAIN [...] [--certificate PEM-file]

Prints one line per check and exits 1 when one fails (used by the demo and the Molecule verify playbooks).
Standard library only (cryptography, when importable, names the certificate's issuer).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import ssl
import sys
import tempfile
import urllib.request

HEALTH = "/.well-known/origin-health"
VISITOR = "203.0.113.7"


def https_get(address, hostname, path, client_cert=None, headers=None):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if client_cert:
        context.load_cert_chain(*client_cert)
    try:
        with socket.create_connection((address, 443), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=hostname) as tls:
                der = tls.getpeercert(binary_form=True)
                lines = ["GET %s HTTP/1.1" % path, "Host: " + hostname, "Connection: close"]
                lines += ["%s: %s" % kv for kv in (headers or {}).items()]
                tls.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
                data = b""
                while True:
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        head, _sep, body = data.decode("utf-8", "replace").partition("\r\n\r\n")
        return {"status": int(head.split()[1]) if head else 0, "body": body, "issuer": _issuer(der),
                "pem": ssl.DER_cert_to_PEM_cert(der) if der else ""}
    except (OSError, ssl.SSLError) as err:
        return {"status": 0, "body": "", "error": "%s: %s" % (type(err).__name__, err), "issuer": "", "pem": ""}


def _issuer(der):
    try:
        from cryptography import x509
        return x509.load_der_x509_certificate(der).issuer.rfc4514_string()
    except Exception:  # noqa: BLE001 - only for display
        return ""


def tcp_state(address, port):
    try:
        with socket.create_connection((address, port), timeout=3):
            return "open"
    except ConnectionRefusedError:
        return "refused"
    except OSError as err:
        return "closed (%s)" % (err.strerror or type(err).__name__)


def client_certificate(base_url, workdir):
    """The emulator's origin-pull client certificate and key, as files (from its state via the control API)."""
    root = base_url[: -len("/client/v4")] if base_url.endswith("/client/v4") else base_url
    with urllib.request.urlopen(root + "/__emulator__/state", timeout=30) as resp:
        state = json.loads(resp.read())
    data = state.get("origin_pull") or state.get("state", {}).get("origin_pull") or {}
    paths = []
    for key in ("client_certificate", "client_key"):
        fd, path = tempfile.mkstemp(prefix="w9cf-pull-", suffix=".pem", dir=workdir)
        with os.fdopen(fd, "w") as fh:
            fh.write(data[key])
        paths.append(path)
    return tuple(paths)


def check_origins(origins, client_cert, expected_certificate=""):
    """origins: [(name, address, domain)]; returns (lines, all_ok)."""
    lines, all_ok = [], True
    for name, address, domain in origins:
        site = https_get(address, domain, "/", client_cert, {"CF-Connecting-IP": VISITOR})
        nocert = https_get(address, domain, "/")
        health = https_get(address, domain, HEALTH, client_cert)
        app_port = tcp_state(address, 9001)
        realip = ("x-real-ip=%s" % VISITOR) in site["body"]
        checks = [
            ("the site, over TLS with the origin-pull certificate", site["status"] == 200, "HTTP %s" % site["status"]),
            ("the app sees the visitor from CF-Connecting-IP", realip,
             "X-Real-IP %s" % VISITOR if realip else site["body"][:80].strip()),
            ("the certificate is Cloudflare's Origin CA one", "Origin" in site["issuer"], site["issuer"][:72]),
            ("without the origin-pull certificate: refused", nocert["status"] in (0, 400),
             "HTTP %s" % nocert["status"] if nocert["status"] else nocert.get("error", "")[:60]),
            ("health endpoint for the load balancer monitor", health["status"] == 200
             and health["body"].strip() == "ok", "HTTP %s %r" % (health["status"], health["body"].strip()[:20])),
            ("the direct app port 9001", app_port != "open", app_port),
        ]
        if expected_certificate:
            same = site["pem"].strip() == expected_certificate.strip()
            checks.append(("it is the certificate issued for the zone", same, "same PEM" if same else "differs"))
        lines.append("  %s (%s, %s)" % (name, address, domain))
        for label, good, detail in checks:
            all_ok = all_ok and good
            lines.append("    %-4s %-52s %s" % ("ok" if good else "FAIL", label, detail))
    return lines, all_ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="the emulator's API base URL")
    parser.add_argument("--origin", action="append", required=True, help="NAME=ADDRESS=DOMAIN")
    parser.add_argument("--certificate", default="", help="the Origin CA certificate the origins must serve")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="w9cf-checks-")
    cert = client_certificate(args.base_url, workdir)
    expected = open(args.certificate).read() if args.certificate else ""
    lines, ok = check_origins([tuple(o.split("=", 2)) for o in args.origin], cert, expected)
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
