"""The reliability scenarios share the DNS module tests' helpers (tests/modules/dns_support.py)."""
from __future__ import annotations

import os
import sys

MODULES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "modules")
if MODULES not in sys.path:
    sys.path.insert(0, MODULES)
