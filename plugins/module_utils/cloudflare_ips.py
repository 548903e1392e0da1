# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloudflare's published edge ranges, bundled as a fallback for when GET /ips cannot be reached.

They are the lists at https://www.cloudflare.com/ips-v4 and https://www.cloudflare.com/ips-v6 (the same as
``GET /client/v4/ips``), which change rarely. Prefer the live answer; this copy is dated so the warning can say
how old it is.
"""

from __future__ import annotations

BUNDLED_ON = "2026-12-03"  # when this copy was taken into the collection

IPV4_CIDRS = (
    "173.245.48.0/20",
    "103.21.244.0/22",
    "103.22.200.0/22",
    "103.31.4.0/22",
    "141.101.64.0/18",
    "108.162.192.0/18",
    "190.93.240.0/20",
    "188.114.96.0/20",
    "197.234.240.0/22",
    "198.41.128.0/17",
    "162.158.0.0/15",
    "104.16.0.0/13",
    "104.24.0.0/14",
    "172.64.0.0/13",
    "131.0.72.0/22",
)

IPV6_CIDRS = (
    "2400:cb00::/32",
    "2606:4700::/32",
    "2803:f800::/32",
    "2405:b500::/32",
    "2405:8100::/32",
    "2a06:98c0::/29",
    "2c0f:f248::/32",
)


def bundled():
    return {"ipv4_cidrs": list(IPV4_CIDRS), "ipv6_cidrs": list(IPV6_CIDRS), "etag": None, "source": "bundled",
            "bundled_on": BUNDLED_ON}
