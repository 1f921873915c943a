# Sphinx configuration of the Python API reference (docs/python).
# Built by the 'docs' test suite with warnings as errors:
#   RICHETA_LIBRARY=build/lib/libricheta.so.1 PYTHONPATH=python \
#     /usr/bin/python3 -m sphinx -W --keep-going -n -b html docs/python build/docs/python-html
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "python"))

import richeta  # noqa: E402 - needs libricheta (RICHETA_LIBRARY or a build directory)

project = "richeta"
author = "the libricheta authors"
copyright = "the libricheta authors, MIT license"
version = release = richeta.__version__
extensions = ["sphinx.ext.autodoc"]
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
html_theme = "alabaster"
exclude_patterns = ["_build"]
# Names outside this reference (no intersphinx: the build is offline).
nitpick_ignore_regex = [
    ("py:.*", r"(torch|numpy|matplotlib|ctypes|enum)\..*"),
    ("py:class", r"richeta\._handle\.Handle"),  # the private base of every handle class
    ("py:class", r"(Module|IntEnum|IntFlag|Structure)"),  # bases as torch / enum name them
    ("py:class", r"(int|float|str|bool|dict|list|tuple|object|Exception|ValueError|"
                 r"KeyError|TypeError|MemoryError|OSError|RuntimeError|ImportError|"
                 r"NotImplementedError|ArithmeticError|LookupError)"),
]
autodoc_default_options["undoc-members"] = True  # enumerators and every public function


def _enum_signature(app, what, name, obj, options, signature, return_annotation):
    """Enumerations: no constructor signature (it is Enum's, not ours)."""
    import enum

    if what == "class" and isinstance(obj, type) and issubclass(obj, enum.Enum):
        return "", None
    return None


def setup(app):
    app.connect("autodoc-process-signature", _enum_signature)
