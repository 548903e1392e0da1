#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: analytics_info
short_description: Read a zone's traffic from the Cloudflare GraphQL Analytics API
version_added: 0.1.0
description:
  - Returns a zone's HTTP traffic over a time range, per day or per hour, from Cloudflare's GraphQL Analytics API
    (datasets C(httpRequests1dGroups) and C(httpRequests1hGroups)).
  - Totals (requests, cached requests and cache ratio, bytes, threats, page views, unique visitors), a per-period
    series, and optional breakdowns by edge response status code and by client country.
  - The GraphQL query is built from the options; no raw query is needed. Each task sends exactly one GraphQL
    request (the endpoint is rate limited, at most 300 queries in 5 minutes), after one zone lookup.
  - Errors that GraphQL returns with HTTP 200 make the task fail with their message and path.
  - The time range is checked before any request is sent.
author:
  - websoft9.cloudflare contributors (@websoft9)
options:
  zone:
    description:
      - The zone, by name or by id.
    type: str
    required: true
    aliases: [name, zone_id]
  since:
    description:
      - Start of the range (inclusive). An ISO date (V(2024-05-01)), an ISO datetime (V(2024-05-01T10:00:00Z);
        without an offset it is UTC), V(now), or a time relative to now such as V(-7d), V(-12h), V(-30m) or V(-2w).
      - With O(granularity=day) only the date counts; with O(granularity=hour) the time is rounded down to the
        hour.
      - Defaults to V(-7d) for O(granularity=day) and V(-24h) for O(granularity=hour).
    type: str
  until:
    description:
      - End of the range (inclusive), in the same forms as O(since). Must not be before O(since).
      - Defaults to V(now).
    type: str
  granularity:
    description:
      - V(day) reads C(httpRequests1dGroups), at most 366 days per query.
      - V(hour) reads C(httpRequests1hGroups), at most 72 hours (3 days) per query.
      - These are the Free plan's limits as far as they are known; a longer range fails before any request.
    type: str
    choices: [day, hour]
    default: day
  breakdowns:
    description:
      - Which breakdowns to add. V(status_codes) gives RV(status_codes), V(countries) gives RV(countries).
      - Only what is asked for is queried.
    type: list
    elements: str
    choices: [status_codes, countries]
    default: []
  limit:
    description:
      - Keep only the top O(limit) entries (by requests) of each breakdown. All entries when not set.
    type: int
extends_documentation_fragment:
  - websoft9.cloudflare.cloudflare
  - websoft9.cloudflare.attributes.INFO_MODULE
notes:
  - The GraphQL Analytics API is not part of the cloudflare SDK; the module posts to C({api_base_url}/graphql)
    through the SDK's generic client with the usual credentials (the token needs Analytics Read on the zone).
  - RV(totals.uniques) is the sum of the per-period unique visitors, which counts a visitor seen on two
    days twice.
"""

EXAMPLES = r"""
- name: Last week's traffic, per day, with status codes and the top 5 countries
  websoft9.cloudflare.analytics_info:
    zone: example.com
    since: -7d
    breakdowns: [status_codes, countries]
    limit: 5
  register: traffic

- name: Show the cache ratio
  ansible.builtin.debug:
    msg: "{{ traffic.totals.requests }} requests, {{ (traffic.totals.cache_ratio * 100) | round(1) }}% cached"

- name: Yesterday per hour
  websoft9.cloudflare.analytics_info:
    zone: example.com
    granularity: hour
    since: "2024-05-01T00:00:00Z"
    until: "2024-05-01T23:00:00Z"
"""

RETURN = r"""
zone:
  description: The zone read.
  returned: always
  type: dict
  sample: {id: 023e105f4ecef8ad9ca31a8372d0c353, name: example.com}
window:
  description: The range queried (dates for V(day), UTC hours for V(hour)), the granularity and the dataset.
  returned: always
  type: dict
  sample: {granularity: day, dataset: httpRequests1dGroups, since: "2024-05-01", until: "2024-05-07"}
totals:
  description:
    - Sums over the range. RV(totals.cache_ratio) is cached_requests / requests (0 without requests),
      rounded to 4 decimals.
  returned: always
  type: dict
  contains:
    requests: {description: Requests, type: int, returned: always}
    cached_requests: {description: Requests served from cache, type: int, returned: always}
    cache_ratio: {description: cached_requests / requests, type: float, returned: always}
    bytes: {description: Bytes sent to clients, type: int, returned: always}
    cached_bytes: {description: Bytes served from cache, type: int, returned: always}
    threats: {description: Requests classified as threats, type: int, returned: always}
    page_views: {description: Page views, type: int, returned: always}
    uniques: {description: Sum of the per-period unique visitors, type: int, returned: always}
  sample: {requests: 1200, cached_requests: 300, cache_ratio: 0.25, bytes: 5000000, cached_bytes: 1000000,
           threats: 3, page_views: 900, uniques: 150}
series:
  description:
    - One item per period with traffic, oldest first, with the keys of RV(totals) and C(date) (V(day)) or
      C(datetime) (V(hour)). Periods without traffic are absent.
  returned: always
  type: list
  elements: dict
  sample:
    - {date: "2024-05-01", requests: 200, cached_requests: 50, cache_ratio: 0.25, bytes: 800000,
       cached_bytes: 200000, threats: 0, page_views: 150, uniques: 30}
status_codes:
  description: Requests per edge response status code, most requests first.
  returned: when O(breakdowns) contains V(status_codes)
  type: list
  elements: dict
  sample: [{status: 200, requests: 1100}, {status: 404, requests: 100}]
countries:
  description: Requests and threats per client country (ISO code), most requests first.
  returned: when O(breakdowns) contains V(countries)
  type: list
  elements: dict
  sample: [{country: US, requests: 700, threats: 1}, {country: DE, requests: 500, threats: 2}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.websoft9.cloudflare.plugins.module_utils.analytics import (
    AnalyticsInputError,
    build_query,
    graphql_error,
    plan,
    shape,
)
from ansible_collections.websoft9.cloudflare.plugins.module_utils.client import (
    CloudflareAPIError,
    CloudflareClient,
    cloudflare_argument_spec,
)


def main():
    argument_spec = cloudflare_argument_spec()
    argument_spec.update(
        zone=dict(type="str", required=True, aliases=["name", "zone_id"]),
        since=dict(type="str"),
        until=dict(type="str"),
        granularity=dict(type="str", choices=["day", "hour"], default="day"),
        breakdowns=dict(type="list", elements="str", choices=["status_codes", "countries"], default=[]),
        limit=dict(type="int"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        window = plan(module.params)
    except AnalyticsInputError as exc:
        module.fail_json(msg=str(exc), field=exc.field)
    cf = CloudflareClient(module)
    zone = cf.zone(module.params["zone"])
    query, variables = build_query(zone["id"], window)
    try:
        response = cf.request("POST", "/graphql", body={"query": query, "variables": variables},
                              what="GraphQL analytics of zone %s" % zone["name"], retry=True)
    except CloudflareAPIError as error:
        cf.fail(error)
    message = graphql_error(response)
    if message:
        module.fail_json(msg=message, errors=(response or {}).get("errors") if isinstance(response, dict) else None)
    result = shape(response, window)
    module.exit_json(changed=False, zone={"id": zone["id"], "name": zone["name"]},
                     window={k: window[k] for k in ("granularity", "dataset", "since", "until")}, **result)


if __name__ == "__main__":
    main()
