"""richeta: Python binding of libricheta (ctypes; NumPy optional).

Train MLPs with online SGD across the feature-learning strength gamma::

    import richeta
    run = richeta.train(gamma=1, N=64, act="tanh", T=1000)
    run["train_loss"][-1], run["status"]

Library discovery: RICHETA_LIBRARY (full path), LIBRICHETA_PATH (directory),
the library installed with the package by ``meson install``, one bundled in
the package directory (``pip install``), a meson build directory of a source
checkout, then the system loader. Set RICHETA_NO_NUMPY=1 to use plain lists even when NumPy
is installed.
"""

from ._lib import EXPECTED_ABI, lib as _clib, missing_symbols, path as library_path
from ._arrays import HAVE_NUMPY, as_array
from ._errors import *  # noqa: F401,F403 - the exception classes
from . import _errors, enums
from ._errors import RichetaError, Status, error_class
from .enums import *  # noqa: F401,F403
from .config import Config, param_bounds, param_info, param_key, value_name
from .model import Model, Optim, Sched, gamma_rule_theory
from .training import Stream, Trainer, train
from .timewarp import CurveSet, align, option_info as curveset_option_info
from .data import Dataset
from .sweep import Sweep, sweep, merge, fit_powerlaw, fit_eta_star, Axis, SweepMode, SweepOption, RunStatus, EtaStarFlag, Journal
from . import diag
from .store import Store


def version():
    """Runtime library version "MAJOR.MINOR.PATCH"."""
    return _clib.richeta_version_string().decode()


def version_number():
    """Runtime library version as MAJOR*10000 + MINOR*100 + PATCH."""
    return _clib.richeta_version_number()


def abi_version():
    """ABI version (soname major) of the loaded library."""
    return _clib.richeta_abi_version()


def build_info():
    """Build description as a dict of key=value pairs."""
    import shlex

    s = _clib.richeta_build_info().decode()
    out = {}
    for tok in shlex.split(s):
        k, _, v = tok.partition("=")
        out[k] = v
    return out


def status_string(status):
    """Short English description of a status code."""
    return _clib.richeta_status_string(int(status)).decode()


def blas_threads(threads=None):
    """Get (no argument) or set the number of BLAS threads (process-wide)."""
    if threads is not None:
        from ._errors import check_global

        check_global(_clib.richeta_blas_set_threads(int(threads)), "richeta_blas_set_threads")
    return _clib.richeta_blas_get_threads()


__version__ = version()

__all__ = [
    # loading
    "EXPECTED_ABI", "library_path", "missing_symbols", "HAVE_NUMPY", "as_array",
    "version", "version_number", "abi_version", "build_info", "status_string", "blas_threads",
    # errors and enumerations
    "Status", "RichetaError", "error_class",
] + _errors.__all__ + enums.__all__ + [
    # handles and helpers
    "Config", "param_bounds", "param_info", "param_key", "value_name",
    "Model", "Optim", "Sched", "gamma_rule_theory",
    "Stream", "Trainer", "train",
    "CurveSet", "align", "curveset_option_info", "Dataset",
    "Sweep", "sweep", "merge", "Journal", "fit_powerlaw", "fit_eta_star", "Axis", "SweepMode", "SweepOption",
    "RunStatus", "EtaStarFlag", "diag", "Store",
]
