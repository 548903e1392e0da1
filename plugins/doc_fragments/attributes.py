# -*- coding: utf-8 -*-
# Copyright (c) websoft9.cloudflare contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
  action_group:
    description: Use C(group/websoft9.cloudflare.cloudflare) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - websoft9.cloudflare.cloudflare
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: This module only reads.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: N/A
    details: This module only reads.
  action_group:
    description: Use C(group/websoft9.cloudflare.cloudflare) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - websoft9.cloudflare.cloudflare
"""
