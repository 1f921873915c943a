"""OPENBLAS_CORETYPE before libricheta loads OpenBLAS.

OpenBLAS 0.3.21 does not know some recent CPUs (Intel family 6 model 207)
and falls back to its "Prescott" kernels, about 5x slower for sgemm than
the "SkylakeX" ones the CPU runs. It reads ``OPENBLAS_CORETYPE`` once, when
it is loaded, and the library never changes the environment. So before the
binding loads libricheta it asks a short-lived child process which core
OpenBLAS chooses and which one the CPU runs faster (``blas_core_advice`` of
``richeta_build_info()``, decided in C next to the BLAS), and sets the
variable when:

* ``OPENBLAS_CORETYPE`` is unset (a user's value is never overridden),
* ``RICHETA_NO_CORETYPE_FIX`` is unset or "0" (the escape hatch),
* OpenBLAS is not loaded in this process yet (else it is too late: a
  warning says what to set before starting Python),
* the CPU has AVX2 (otherwise nothing better exists; no child is started).

``RICHETA_CORETYPE_FIXED`` records OpenBLAS's own choice when it was set.
"""

import os
import subprocess
import sys
import warnings

_PROBE = (
    "import ctypes, sys\n"
    "lib = ctypes.CDLL(sys.argv[1])\n"
    "f = lib.richeta_build_info\n"
    "f.restype = ctypes.c_char_p\n"
    "print(f().decode())\n"
)


def _cpu_has_avx2():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return " avx2" in line
    except OSError:
        pass
    return False


def _openblas_loaded():
    """True when some OpenBLAS is mapped into this process already."""
    try:
        with open("/proc/self/maps") as f:
            return any("openblas" in os.path.basename(line.split()[-1]).lower()
                       for line in f if "/" in line)
    except OSError:
        return False


def _build_info_of(path):
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env["OPENBLAS_NUM_THREADS"] = "1"  # the child only asks
    try:
        out = subprocess.run([sys.executable, "-c", _PROBE, path], env=env, capture_output=True,
                             timeout=60, check=True).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return {}
    keys = {}
    for word in out.split():
        k, sep, v = word.partition("=")
        if sep:
            keys[k] = v
    return keys


def prepare(path):
    """Set OPENBLAS_CORETYPE for the library at ``path`` when worth it (see
    the module docstring). Returns the core set, or None."""
    if os.environ.get("OPENBLAS_CORETYPE"):
        return None
    if os.environ.get("RICHETA_NO_CORETYPE_FIX", "0") not in ("", "0"):
        return None
    if not sys.platform.startswith("linux") or not _cpu_has_avx2():
        return None
    info = _build_info_of(path)
    better, chosen = info.get("blas_core_advice", "none"), info.get("blas_core", "none")
    if better in ("", "none"):
        return None
    if _openblas_loaded():
        warnings.warn(
            "OpenBLAS was loaded before richeta (by numpy?) and may run its %s kernels; this "
            "CPU runs %s kernels up to 5x faster: set OPENBLAS_CORETYPE=%s before starting "
            "Python" % (chosen, better, better), RuntimeWarning, stacklevel=3)
        return None
    os.environ["OPENBLAS_CORETYPE"] = better
    os.environ["RICHETA_CORETYPE_FIXED"] = chosen
    return better
