#!/usr/bin/env python
"""Run on a Websoft9-like origin: check that the NPM and apphub test doubles answer like the reference
(shared/reference/websoft9.md) on the error paths the role does not walk. Prints a JSON list of failures."""
import json
import sys
import urllib.error
import urllib.request

NPM = "http://127.0.0.1:81/api"
HUB = "http://127.0.0.1:9000/api"
email, password, key = sys.argv[1:4]
failures = []


def call(method, url, body=None, headers=None, raw=None, ctype="application/json"):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, method=method, data=data, headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def expect(name, got, status, body):
    if got[0] != status or got[1] != body:
        failures.append({"check": name, "want": [status, body], "got": list(got)})


def npm_error(code, message):
    return {"error": {"code": code, "message": message}}


expect("no auth", call("GET", NPM + "/nginx/proxy-hosts"), 403, npm_error(403, "Permission Denied"))
expect("wrong password", call("POST", NPM + "/tokens", {"identity": email, "secret": "nope"}),
       401, npm_error(401, "Invalid email or password"))
expect("extra login field", call("POST", NPM + "/tokens", {"identity": email, "secret": password, "x": 1}),
       400, npm_error(400, "data must NOT have additional properties"))
expect("forged token", call("GET", NPM + "/nginx/proxy-hosts", headers={"Authorization": "Bearer a.b.c"}),
       500, npm_error(500, "Internal Error"))
tok = call("POST", NPM + "/tokens", {"identity": email, "secret": password, "scope": "user"})[1]["token"]
auth = {"Authorization": "Bearer " + tok}
expect("missing field", call("POST", NPM + "/nginx/proxy-hosts",
                             {"domain_names": ["x.test"], "forward_host": "127.0.0.1", "forward_port": 1}, auth),
       400, npm_error(400, "data must have required property 'forward_scheme'"))
expect("wrong type", call("POST", NPM + "/nginx/proxy-hosts",
                          {"domain_names": ["x.test"], "forward_scheme": "http", "forward_host": "h", "forward_port": "1"}, auth),
       400, npm_error(400, "data/forward_port must be integer"))
hosts = call("GET", NPM + "/nginx/proxy-hosts", headers=auth)[1]
taken = hosts[0]["domain_names"][0]
expect("domain in use (case-insensitive)", call("POST", NPM + "/nginx/proxy-hosts",
       {"domain_names": [taken.upper()], "forward_scheme": "http", "forward_host": "h", "forward_port": 1}, auth),
       400, npm_error(400, "%s is already in use" % taken.upper()))
expect("unknown id", call("GET", NPM + "/nginx/proxy-hosts/99", headers=auth), 404, npm_error(404, "Item Not Found - 99"))
expect("upload as JSON", call("POST", NPM + "/nginx/certificates/1/upload", {"certificate": "x"}, auth),
       400, {"error": "No files were uploaded"})
# an invalid advanced_config: 201, but meta.nginx_online false and no conf file
st, bad = call("POST", NPM + "/nginx/proxy-hosts", {"domain_names": ["broken.test"], "forward_scheme": "http",
               "forward_host": "127.0.0.1", "forward_port": 9001, "advanced_config": "no_such_directive on;"}, auth)
if st != 201 or bad["meta"].get("nginx_online") is not False or not bad["meta"].get("nginx_err"):
    failures.append({"check": "invalid advanced_config", "got": [st, bad]})
else:
    expect("delete", call("DELETE", NPM + "/nginx/proxy-hosts/%d" % bad["id"], headers=auth), 200, True)
expect("apphub no key", call("GET", HUB + "/apps"), 400, {"message": "Invalid Request", "details": "No API Key provided"})
expect("apphub bad key", call("GET", HUB + "/apps", headers={"x-api-key": "nope"}),
       400, {"message": "Invalid Request", "details": "Invalid API Key"})
st, apps = call("GET", HUB + "/apps", headers={"x-api-key": key})
if st != 200 or not {"app_id", "app_name", "status", "domain_names", "env", "containers", "endpointId"} <= set(apps[0]):
    failures.append({"check": "apphub apps", "got": [st, apps]})
print(json.dumps(failures))
