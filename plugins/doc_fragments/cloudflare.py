# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  api_token:
    description:
      - A Cloudflare API token.
      - If not set, the value of the E(CLOUDFLARE_API_TOKEN) environment variable is used.
      - Either O(api_token), or O(api_key) together with O(api_email), is required.
    type: str
  api_key:
    description:
      - A Cloudflare global API key, used together with O(api_email).
      - If not set, the value of the E(CLOUDFLARE_API_KEY) environment variable is used.
      - When both a key and a token are given, the key and email are used (as the Cloudflare SDK does).
    type: str
  api_email:
    description:
      - The e-mail address of the account that owns O(api_key).
      - If not set, the value of the E(CLOUDFLARE_EMAIL) environment variable is used.
    type: str
  account_id:
    description:
      - The Cloudflare account to work in.
      - If not set, the value of the E(CLOUDFLARE_ACCOUNT_ID) environment variable is used; if that is not set
        either, the only account the credentials can see is used, and the module fails if they see several.
    type: str
  api_base_url:
    description:
      - Base URL of the Cloudflare v4 API, for example the URL of a local emulator in tests.
      - If not set, the value of the E(CLOUDFLARE_BASE_URL) environment variable is used.
    type: str
    default: https://api.cloudflare.com/client/v4
  timeout:
    description:
      - Timeout of one HTTP request, in seconds.
    type: float
    default: 30
notes:
  - Reads and idempotent writes are retried on HTTP 429 (honouring C(Retry-After)), on 5xx answers and on
    connection errors, with bounded backoff. A create is never re-sent blindly; after an ambiguous failure the
    module reads the current state again and only re-sends when nothing was created.
  - "Set the credentials once per play with
    C(module_defaults: {group/websoft9.cloudflare.cloudflare: {api_token: ...}})."
requirements:
  - cloudflare >= 5.9, < 6 (the official Cloudflare Python SDK)
"""
