"""Build step of ``pip install ./python``: locate or build libricheta and
bundle it into the package (python/README.md, "Installing").

Where the shared library comes from, in this order:

* ``RICHETA_LIBRARY=/path/to/libricheta.so.1``: that file is bundled;
* ``RICHETA_BUNDLE=0``: nothing is bundled; at import the package finds
  libricheta through LIBRICHETA_PATH or the system loader;
* a source checkout (``../meson.build`` next to this file): libricheta is
  built with meson and ninja in a temporary directory (release, shared
  library only) and bundled;
* otherwise nothing is bundled (the installed system library is used).

A bundled library makes the wheel platform-specific. The version is the
meson project's (or, building from an sdist, the one in PKG-INFO).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(HERE)
SONAME = "libricheta.so.1"


def project_version():
    meson_build = os.path.join(SOURCE_ROOT, "meson.build")
    if os.path.isfile(meson_build):
        with open(meson_build) as f:
            m = re.search(r"project\([^)]*?version:\s*'([^']+)'", f.read(), re.S)
        if m:
            return m.group(1)
    pkg_info = os.path.join(HERE, "PKG-INFO")
    if os.path.isfile(pkg_info):
        with open(pkg_info) as f:
            for line in f:
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
    raise SystemExit("richeta: cannot tell the version (no ../meson.build, no PKG-INFO)")


def build_with_meson(workdir):
    """Build libricheta from the checkout into ``workdir``; return the library path."""
    meson, ninja = shutil.which("meson"), shutil.which("ninja")  # meson compile runs ninja
    if not meson or not ninja:
        raise SystemExit("richeta: building libricheta needs meson and ninja (Debian: apt-get "
                         "install meson ninja-build), or set RICHETA_LIBRARY to a built library, "
                         "or RICHETA_BUNDLE=0 to use an installed one")
    build = os.path.join(workdir, "build")
    subprocess.check_call([meson, "setup", build, SOURCE_ROOT, "--buildtype=release",
                           "-Ddefault_library=shared", "-Dtests=false", "-Dtools=false",
                           "-Ddocs=false", "-Dpython_interpreter=none"], stdout=sys.stderr)
    subprocess.check_call([meson, "compile", "-C", build, "richeta:shared_library"],
                          stdout=sys.stderr)
    return os.path.join(build, "lib", SONAME)


def library_to_bundle(workdir):
    """The shared library to copy into the package, or None."""
    given = os.environ.get("RICHETA_LIBRARY")
    if given:
        if not os.path.isfile(given):
            raise SystemExit("richeta: RICHETA_LIBRARY=%s does not exist" % given)
        return given
    if os.environ.get("RICHETA_BUNDLE", "1") == "0":
        return None
    if os.path.isfile(os.path.join(SOURCE_ROOT, "meson.build")) and \
            os.path.isdir(os.path.join(SOURCE_ROOT, "lib")):
        return build_with_meson(workdir)
    return None


class BuildPyWithLibrary(build_py):
    """build_py that also puts libricheta.so.1 into the built package."""

    def run(self):
        super().run()
        with tempfile.TemporaryDirectory(prefix="richeta-build-") as workdir:
            lib = library_to_bundle(workdir)
            if lib is None:
                sys.stderr.write("richeta: no library bundled; the installed libricheta is used\n")
                return
            dest = os.path.join(self.build_lib, "richeta", SONAME)
            shutil.copyfile(os.path.realpath(lib), dest)
            sys.stderr.write("richeta: bundled %s\n" % lib)


class MaybeBinaryDistribution(Distribution):
    """A wheel that bundles libricheta is tagged for this platform."""

    def has_ext_modules(self):
        return _bundles()


def _bundles():
    if os.environ.get("RICHETA_LIBRARY"):
        return True
    if os.environ.get("RICHETA_BUNDLE", "1") == "0":
        return False
    return os.path.isfile(os.path.join(SOURCE_ROOT, "meson.build"))


setup(version=project_version(), cmdclass={"build_py": BuildPyWithLibrary},
      distclass=MaybeBinaryDistribution)
