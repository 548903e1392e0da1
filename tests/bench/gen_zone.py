# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate a BIND zone file of N records for the DNS benchmark (deterministic for a seed).

    python tests/bench/gen_zone.py --zone bench.example --records 10000 [--change 0.05] [--seed 1] > bench.zone

A mix of A (some proxied, with Cloudflare's cf_tags mark), AAAA, CNAME, TXT, MX, SRV and CAA, each at names that
respect Cloudflare's exclusivity rules.  --change rewrites that share of the records (new value or new TTL) so a
converge of the changed file is an update of exactly those records.
"""
from __future__ import annotations

import argparse
import random
import sys


def record(i, rng, changed=False):
    """One zone-file line for record number i."""
    kind = i % 20
    new_value = changed and rng.random() < 0.5     # a changed record gets a new value, or else a new TTL
    ttl = 600 if changed and not new_value else 300
    bump = 1 if new_value else 0
    if kind < 8:
        address = "10.%d.%d.%d" % ((i // 62500) % 250, (i // 250) % 250, i % 250 + 1)
        if new_value or (changed and kind == 0):
            address = "172.16.%d.%d" % ((i // 250) % 250, i % 250 + 1)
        if kind == 0:
            return "h%05d 1 IN A %s ; cf_tags=cf-proxied:true" % (i, address)
        return "h%05d %d IN A %s" % (i, ttl, address)
    if kind < 11:
        return "h%05d %d IN AAAA 2001:db8:%x::%x" % (i, ttl, i // 65536, i % 65536 + bump)
    if kind < 14:
        return "c%05d %d IN CNAME target%d.example.net." % (i, ttl, i % 97 + bump * 100)
    if kind < 17:
        suffix = "-v2" if new_value else ""
        return 't%05d %d IN TXT "site-verification=%08x%s"' % (i, ttl, i * 2654435761 % 2 ** 32, suffix)
    if kind == 17:
        return "m%05d %d IN MX %d mx%d.example.net." % (i, ttl, 10 + bump, i % 5)
    if kind == 18:
        return "_s%05d._tcp %d IN SRV 10 %d %d srv%d.example.net." % (i, ttl, 5 + bump, 1000 + i % 50000, i % 7)
    return 'ca%05d %d IN CAA 0 issue "ca%d.example.net"' % (i, ttl, i % 3 + bump * 10)


def zone_text(zone, count, change=0.0, seed=1):
    rng = random.Random(seed)
    pick = random.Random(seed + 1)
    changed = set(pick.sample(range(count), int(round(count * change)))) if change else set()
    lines = ["$ORIGIN %s." % zone, "$TTL 300",
             "@ 3600 IN SOA ns1.%s. hostmaster.%s. 1 7200 3600 1209600 3600" % (zone, zone)]
    lines += [record(i, rng, i in changed) for i in range(count)]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--zone", default="bench.example")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--change", type=float, default=0.0, help="share of records changed (0.05 = 5%%)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sys.stdout.write(zone_text(args.zone, args.records, args.change, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
