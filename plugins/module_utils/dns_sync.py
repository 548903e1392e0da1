# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DNS plan: desired records vs the zone's records -> creates, updates, deletes, unchanged; then applied
through the batch endpoint in chunks.  Shared by dns_record and dns_records; nothing here is record-type-specific
(dns_types.py knows the types).

Reads: the zone lookup plus ONE listing of the zone (or of one name, for dns_record).  Writes: only
``POST /zones/{id}/dns_records/batch``.

Chunk order.  Cloudflare runs one batch as a transaction in the order deletes, patches, puts, posts.  The plan is
flattened in that same order (all deletes, then all puts, then all posts) and cut into chunks, so every state the
zone passes through, between chunks and inside one, is a subset of the records before the task (while deleting)
or of the records after it (while updating and creating: puts never change a record's name or type).  Exclusivity
rules (a CNAME alone at its name, ...) hold for any subset of a valid set, so no intermediate state can violate
them when the final state does not; the final state is checked before the first write.

A create and a delete of the same name and type are paired into one put of the old record's id (a replacement),
so a changed value never leaves the name without a record between two chunks.

Retries never duplicate.  A batch that failed ambiguously (5xx, connection lost after sending) may or may not
have been committed: the zone is re-read and the rest re-planned from what is there, never re-sent blindly.
"""

from __future__ import annotations

import time

from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import CloudflareAPIError
from ansible_collections.websoft9.cloudflare.plugins.module_utils.dns_types import (
    RecordError,
    identity,
    differs,
    merged,
    normalise_record,
    presentation,
    record_fqdn,
    record_from_api,
    relative_name,
    wire_body,
)

LIST_PER_PAGE = 5000000      # the API's maximum: a zone of any size is one page (cf.list pages if it is capped)
MAX_RECONCILE_STREAK = 6     # ambiguous batch failures in a row (no chunk succeeding in between) before giving up
RECONCILE_PAUSE = 0.5        # seconds before re-reading after an ambiguous failure (doubles, capped at 4)
MAX_ERRORS_SHOWN = 20
BATCH_LIMIT_MAX = 3500       # the largest plan limit (Enterprise); Free zones allow 200
# Exclusivity: (type, types allowed beside it).  A CNAME is alone at its name; NS below the apex only beside DS.
EXCLUSIVE_TYPES = (("CNAME", ()), ("NS", ("NS", "DS")))
RECORD_VIEW = ("id", "name", "type", "content", "data", "priority", "ttl", "proxied", "comment", "tags",
               "settings")


class PlanError(Exception):
    """Problems found before the first write: a list of messages, each naming the record and the field."""

    def __init__(self, messages):
        super(PlanError, self).__init__("; ".join(messages))
        self.messages = messages


def record_options():
    """The argument spec of one record (dns_record's options, and each item of dns_records' records)."""
    return dict(
        name=dict(type="str", aliases=["record"]),
        type=dict(type="str"),
        content=dict(type="str", aliases=["value"]),
        data=dict(type="dict"),
        priority=dict(type="int"),
        ttl=dict(type="int"),
        proxied=dict(type="bool"),
        comment=dict(type="str"),
        tags=dict(type="list", elements="str"),
        settings=dict(type="dict", options=dict(
            flatten_cname=dict(type="bool"),
            ipv4_only=dict(type="bool"),
            ipv6_only=dict(type="bool"),
        )),
    )


def record_input(params):
    """A record dict for dns_types.normalise_record from module parameters (None = not managed)."""
    keys = ("name", "type", "content", "data", "priority", "ttl", "proxied", "comment", "tags", "settings")
    rec = dict((key, params.get(key)) for key in keys)
    if rec["settings"] is not None:
        rec["settings"] = dict((k, v) for k, v in rec["settings"].items() if v is not None)
    return rec


def min_ttl_of(zone):
    plan = (zone.get("plan") or {}).get("legacy_id") or (zone.get("plan") or {}).get("name") or ""
    return 30 if "enterprise" in str(plan).lower() else 60


def view(rec):
    """What the modules return for a canonical record."""
    out = dict((key, rec.get(key)) for key in RECORD_VIEW if key in rec)
    if out.get("data") is None:
        out.pop("data", None)
    if out.get("priority") is None:
        out.pop("priority", None)
    return out


def line(rec, zone):
    """One zone-file-like line for diffs: 'www 300 IN A 192.0.2.1 ; proxied, comment=...'."""
    flags = []
    if rec.get("proxied"):
        flags.append("proxied")
    if rec.get("comment"):
        flags.append("comment=%r" % rec["comment"])
    if rec.get("tags"):
        flags.append("tags=%s" % ",".join(rec["tags"]))
    on = sorted(k for k, v in (rec.get("settings") or {}).items() if v)
    if on:
        flags.append("settings=%s" % ",".join(on))
    text = "%s %s IN %s %s" % (relative_name(rec["name"], zone), rec.get("ttl") or 1, rec["type"], presentation(rec))
    return text + (" ; " + ", ".join(flags) if flags else "")


class Selector(object):
    """A record to delete without its content: every record of a name and type."""

    def __init__(self, name, rtype):
        self.name = name
        self.type = rtype


def absent_selector(rec, zone, label):
    """For state absent: a canonical record when content/data is given, else a Selector on name and type."""
    if rec.get("content") is not None or rec.get("data") is not None:
        return normalise(rec, zone, label)
    try:
        name = record_fqdn(rec.get("name"), zone)
    except ValueError as exc:
        raise PlanError(["%s: name %r %s" % (label, rec.get("name"), exc)])
    rtype = str(rec.get("type") or "").strip().upper()
    if not rtype:
        raise PlanError(["%s: type is required" % label])
    return Selector(name, rtype)


def normalise(rec, zone, label, min_ttl=60):
    try:
        return normalise_record(rec, zone, min_ttl=min_ttl)
    except RecordError as err:
        raise PlanError(["%s: %s" % (label, err.message)])


class Scope(object):
    """Which existing records not listed are deleted (purge)."""

    def __init__(self, zone, purge=False, names=None, types=None, apex_ns=False, keep_names=None):
        self.zone = zone
        self.purge = purge
        self.names = self._names(names, "purge_names") if names else None
        self.keep = self._names(keep_names, "purge_keep_names") if keep_names else set()
        self.types = set(str(t).strip().upper() for t in types) if types else None
        self.apex_ns = apex_ns

    def _names(self, names, option):
        bad, out = [], set()
        for name in names:
            try:
                out.add(record_fqdn(name, self.zone))
            except ValueError as exc:
                bad.append("%s: %r %s" % (option, name, exc))
        if bad:
            raise PlanError(bad)
        return out

    def covers(self, rec):
        if not self.purge or rec["name"] in self.keep:
            return False
        if self.names is not None and rec["name"] not in self.names:
            return False
        if self.types is not None and rec["type"] not in self.types:
            return False
        if rec["name"] == self.zone and rec["type"] in ("NS", "SOA") and not self.apex_ns:
            return False
        return True


class Change(object):
    __slots__ = ("action", "label", "before", "after", "fields", "body")

    def __init__(self, action, label=None, before=None, after=None, fields=None, body=None):
        self.action = action    # create | update | replace | delete | unchanged
        self.label = label
        self.before = before
        self.after = after
        self.fields = fields or []
        self.body = body


class Plan(object):
    def __init__(self, zone, changes):
        self.zone = zone
        self.changes = changes

    def of(self, *actions):
        return [c for c in self.changes if c.action in actions]

    @property
    def counts(self):
        return counts_of(self.changes)

    @property
    def changed(self):
        return any(c.action != "unchanged" for c in self.changes)

    def ops(self):
        """Batch operations in execution order: deletes, then puts, then posts."""
        return ([("deletes", c) for c in self.of("delete")] + [("puts", c) for c in self.of("update", "replace")]
                + [("posts", c) for c in self.of("create")])

    def diff(self):
        """Ansible diff: the records that change, before and after, one line each, sorted so they pair up."""
        before, after = [], []
        for c in self.changes:
            if c.action == "unchanged":
                continue
            if c.before is not None:
                before.append(line(c.before, self.zone))
            if c.after is not None:
                after.append(line(c.after, self.zone))
        return {"before": "".join(x + "\n" for x in sorted(before)), "after": "".join(x + "\n" for x in sorted(after)),
                "before_header": "%s (records that change)" % self.zone, "after_header": self.zone}

    def details(self):
        """Per-record changes for the result in diff mode."""
        out = []
        for c in self.changes:
            if c.action == "unchanged":
                continue
            entry = {"action": "update" if c.action == "replace" else c.action}
            if c.before is not None:
                entry["before"] = line(c.before, self.zone)
            if c.after is not None:
                entry["after"] = line(c.after, self.zone)
            if c.fields:
                entry["fields"] = c.fields
            out.append(entry)
        return out


def counts_of(changes):
    out = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
    key = {"create": "created", "update": "updated", "replace": "updated", "delete": "deleted",
           "unchanged": "unchanged"}
    for c in changes:
        out[key[c.action]] += 1
    return out


def _ops_counts(ops):
    out = {"created": 0, "updated": 0, "deleted": 0}
    for kind, _c in ops:
        out[{"deletes": "deleted", "puts": "updated", "posts": "created"}[kind]] += 1
    return out


def make_plan(zone, desired, actual, scope, absent=()):
    """desired: [(label, canonical)] present records; absent: [(label, canonical or Selector)];
    actual: canonical records from the API.  Raises PlanError for what cannot be written."""
    errors = []
    # Duplicates in the desired list (same name, type and content by meaning).
    seen = {}
    for label, rec in desired:
        key = identity(rec)
        if key in seen:
            errors.append("%s: the same record as %s (%s %s %s): list each record once"
                          % (label, seen[key], rec["name"], rec["type"], rec["content"]))
        else:
            seen[key] = label
    if errors:
        raise PlanError(errors)

    pool = {}
    for rec in actual:
        pool.setdefault(identity(rec), []).append(rec)
    used = set()
    changes = []
    deleted = []
    for label, sel in absent:
        if isinstance(sel, Selector):
            hits = [r for r in actual if r["name"] == sel.name and r["type"] == sel.type]
        else:
            hits = list(pool.get(identity(sel), []))
        for rec in hits:
            if id(rec) not in used:
                used.add(id(rec))
                deleted.append((label, rec))
    creates = []
    for label, rec in desired:
        found = pool.get(identity(rec))
        candidates = [r for r in found if id(r) not in used] if found else None
        if not candidates:
            creates.append((label, rec))
            continue
        # Prefer an existing record that needs no change (several can mean the same, e.g. TXT split differently).
        match, fields = candidates[0], differs(rec, candidates[0])
        for other in candidates[1:] if fields else ():
            if not differs(rec, other):
                match, fields = other, []
                break
        used.add(id(match))
        if not fields:
            changes.append(Change("unchanged", label, before=match, after=match))
            continue
        try:
            after = merged(rec, match)
            body = wire_body(rec, match)
        except RecordError as err:
            errors.append("%s: %s" % (label, err.message))
            continue
        body["id"] = match["id"]
        changes.append(Change("update", label, before=match, after=after, fields=fields, body=body))
    for rec in actual:
        if id(rec) not in used and scope.covers(rec):
            used.add(id(rec))
            deleted.append((None, rec))

    # Pair creates with deletes of the same name and type: one put, no moment without a record.
    spare = {}
    for label, rec in deleted:
        spare.setdefault((rec["name"], rec["type"]), []).append((label, rec))
    for label, rec in creates:
        olds = spare.get((rec["name"], rec["type"]))
        try:
            if olds:
                _old_label, old = olds.pop(0)
                after = merged(rec, None)
                body = wire_body(after, old)
                body["id"] = old["id"]
                after["id"] = old["id"]
                changes.append(Change("replace", label, before=old, after=after,
                                      fields=differs(after, old), body=body))
            else:
                changes.append(Change("create", label, after=merged(rec, None), body=wire_body(rec)))
        except RecordError as err:
            errors.append("%s: %s" % (label, err.message))
    for olds in spare.values():
        for label, old in olds:
            changes.append(Change("delete", label, before=old, body={"id": old["id"]}))
    errors.extend(_exclusivity(zone, changes, actual, used))
    if errors:
        raise PlanError(errors)
    return Plan(zone, changes)


def _exclusivity(zone, changes, actual, used):
    """The zone after the plan must not have a CNAME beside another record at the same name."""
    touched = set(c.after["name"] for c in changes if c.action != "unchanged" and c.after is not None)
    if not touched:
        return []
    final = {}
    for c in changes:
        if c.after is not None and c.after["name"] in touched:
            final.setdefault(c.after["name"], []).append((c.label, c.after))
    for rec in actual:
        if rec["name"] in touched and id(rec) not in used:
            final.setdefault(rec["name"], []).append((None, rec))
    errors = []
    for name in sorted(touched):
        recs = final[name]
        if len(recs) < 2:
            continue
        for rtype, allowed in EXCLUSIVE_TYPES:
            if rtype == "NS" and name == zone:
                continue  # apex NS live beside everything
            mine = [(label, r) for label, r in recs if r["type"] == rtype]
            others = [(label, r) for label, r in recs if r["type"] not in allowed]
            if not mine or not others or (rtype == "CNAME" and len(recs) < 2):
                continue
            label, rec = next(((lb, r) for lb, r in mine if lb), mine[0])
            listed = ["%s %s%s" % (r["type"], r["content"], " (%s)" % lb if lb else " (existing, not listed)")
                      for lb, r in others if r is not rec][:5]
            if not listed:
                continue
            errors.append("%s: a %s record cannot share its name with %s records: %s would also have %s; remove "
                          "them (state: absent, or purge) or use another name"
                          % (label or "existing record", rtype, "other" if not allowed else "non-%s"
                             % "/".join(allowed), name, ", ".join(listed)))
            break
    return errors


class DnsSync(object):
    """Reads a zone's records and applies plans through the batch endpoint."""

    def __init__(self, module, cf, zone, batch_size=200):
        self.module = module
        self.cf = cf
        self.zone = zone
        self.zone_id = zone["id"]
        self.zone_name = zone["name"].lower()
        self.batch_size = batch_size
        self.path = "/zones/%s/dns_records" % self.zone_id
        self.batches = 0
        self.rereads = 0
        self.desired = ()  # [(label, canonical)] for read() hints after an ambiguous failure

    def read(self, name=None, rtype=None, desired=()):
        """The zone's records (of one name / type), canonical.  desired: [(label, canonical)] the records are
        expected to be; an API record that is exactly one of them is not parsed again (dns_types hint)."""
        query = {}
        if name:
            query["name.exact"] = name
        if rtype:
            query["type"] = rtype
        items = self.cf.list(self.path, query=query or None, what="DNS records of %s" % self.zone_name,
                             per_page=LIST_PER_PAGE)
        hints = dict(((rec["name"], rec["type"], rec["content"]), rec) for _label, rec in desired)
        zone = self.zone_name
        return [record_from_api(item, zone, hints.get((str(item.get("name") or "").lower(),
                                                       str(item.get("type") or "").upper(),
                                                       str(item.get("content") or ""))))
                for item in items]

    def apply(self, plan, replan):
        """Send plan's operations in chunks.  replan(actual) -> Plan, used after an ambiguous failure.
        Returns the written records, canonical, by the label of their change."""
        ops = plan.ops()
        planned = _ops_counts(ops)
        total = -(-len(ops) // self.batch_size) if ops else 0
        written = {}
        chunk_no = 0
        streak = 0
        while ops:
            chunk, rest = ops[:self.batch_size], ops[self.batch_size:]
            body = {}
            for kind, change in chunk:
                body.setdefault(kind, []).append(change.body)
            try:
                response = self.cf.request("POST", self.path + "/batch", body=body, retry=False,
                                           what="DNS batch %d of %s" % (chunk_no + 1, self.zone_name))
                self.batches += 1
            except CloudflareAPIError as error:
                self.batches += 1
                if not error.ambiguous or streak >= MAX_RECONCILE_STREAK:
                    self._fail(error, plan, planned, ops, chunk, chunk_no, total)
                streak += 1
                time.sleep(min(RECONCILE_PAUSE * 2 ** (streak - 1), 4.0))
                # May or may not have been committed: re-read and plan the rest from what is there.
                self.rereads += 1
                try:
                    fresh = replan(self.read(desired=self.desired))
                except PlanError as err:
                    self.module.fail_json(msg="DNS records of %s: after an ambiguous batch failure (%s) the zone no "
                                              "longer allows the plan: %s" % (self.zone_name, error, err))
                for change in fresh.changes:
                    if change.action == "unchanged" and change.label:
                        written.setdefault(change.label, change.before)  # committed by the lost batch
                ops = fresh.ops()
                continue
            streak = 0
            chunk_no += 1
            result = response.get("result") if isinstance(response, dict) else None
            for kind in ("puts", "posts"):
                sent = [c for k, c in chunk if k == kind]
                for change, rec in zip(sent, (result or {}).get(kind) or []):
                    written[change.label] = record_from_api(rec, self.zone_name)
            ops = rest
        return written

    def _fail(self, error, plan, planned, ops, chunk, chunk_no, total):
        left = _ops_counts(ops)
        applied = dict((k, planned[k] - left[k]) for k in planned)
        verbs = {"deletes": "delete", "puts": "update", "posts": "create"}
        failed = ["%s %s" % (verbs[kind], line(c.after if c.after is not None else c.before, self.zone_name))
                  for kind, c in chunk]
        msg = ("DNS records of %s: batch %d failed: %s. Applied before the failure: %d batch(es), %s. Not applied: %s. "
               "%s" % (self.zone_name, chunk_no + 1, error, chunk_no, _say(applied), _say(left),
                       "Nothing was changed by the failed batch (a batch is one transaction); fix the cause and "
                       "re-run: the task continues from what is there." if not error.ambiguous else
                       "The zone was re-read %d time(s) after ambiguous failures; re-run the task to converge."
                       % self.rereads))
        self.module.fail_json(msg=msg, status=error.status, errors=error.errors, changed=chunk_no > 0,
                              applied=applied, not_applied=left, batches_done=chunk_no, failed_batch=failed,
                              counts=plan.counts)


def _say(counts):
    return ", ".join("%d %s" % (counts[k], k) for k in ("deleted", "updated", "created"))


def validate_batch_size(module, value):
    if not 1 <= value <= BATCH_LIMIT_MAX:
        module.fail_json(msg="batch_size: %d is out of range 1..%d (Cloudflare allows 200 records per batch on "
                             "Free zones, 3500 on paid plans)" % (value, BATCH_LIMIT_MAX))
