"""Shared set-up of the Python tests.

With RICHETA_NO_NUMPY=1 NumPy is made unimportable (sys.modules entry set to
None) before richeta is imported, so the core tests prove the binding works
without it. The package is found through PYTHONPATH (the meson test sets it)
or, failing that, the source tree next to this file.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("RICHETA_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))

if os.environ.get("RICHETA_NO_NUMPY"):
    sys.modules["numpy"] = None  # any "import numpy" now raises ImportError

try:
    import richeta  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(SOURCE_DIR, "python"))
    import richeta  # noqa: F401

NO_NUMPY = bool(os.environ.get("RICHETA_NO_NUMPY"))


def tolist(a):
    """Nested lists from an ndarray or a list."""
    return a.tolist() if hasattr(a, "tolist") else a


def flat(a):
    a = tolist(a)
    out = []
    for v in a:
        if isinstance(v, list):
            out.extend(flat(v))
        else:
            out.append(v)
    return out
