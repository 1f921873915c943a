"""The richeta package installs and imports from outside the source tree.

* ``meson install`` (staged with DESTDIR) puts the package into
  /usr/bin/python3's site-packages for the prefix, and the package finds
  the library installed with it first;
* ``pip install ./python`` (offline, ``--no-build-isolation``, Debian's
  setuptools and wheel) bundles a located library (RICHETA_LIBRARY), builds
  one with meson from the checkout, or bundles none (RICHETA_BUNDLE=0);

each checked in a child interpreter started in an empty directory with no
RICHETA_* variables, without NumPy (``python -S``: no site-packages at
all) and with it (plus richeta.torch when torch is there).
"""

import ctypes.util
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import _support
import richeta

BUILD_DIR = os.environ.get("RICHETA_TEST_BUILD_DIR")
MESON = os.environ.get("RICHETA_MESON") or shutil.which("meson")
LIBRARY = os.environ.get("RICHETA_LIBRARY") or richeta.library_path

# What a child checks: where the package and the library came from, that a
# short training run works, and whether NumPy is in use.
PROBE = r"""
import json, sys
import richeta
run = richeta.train(D=4, N=8, C=1, L=2, T=20, B=8, eval_n=16, gamma=1.0, eta0=0.05)
out = {"package": richeta.__file__, "library": richeta.library_path, "numpy": richeta.HAVE_NUMPY,
       "status": run["status"], "version": richeta.__version__,
       "numpy_importable": True, "torch": None}
try:
    import numpy
except ImportError:
    out["numpy_importable"] = False
try:
    import torch
except ImportError:
    pass
else:
    import richeta.torch as rt
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    out["torch"] = rt.GammaLR(opt, gamma=4.0, depth=2, width_mult=8).get_last_lr()[0]
print(json.dumps(out))
"""


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RICHETA_") and k not in ("LIBRICHETA_PATH", "PYTHONPATH")}
    env.update(PYTHONDONTWRITEBYTECODE="1", PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.update(extra)
    return env


def probe(python, cwd, env, no_site=False):
    import json

    args = [python] + (["-S"] if no_site else []) + ["-c", PROBE]
    r = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError("probe failed:\n" + r.stdout[-2000:] + r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def site_dir(root):
    """The directory holding the installed richeta package under ``root``."""
    found = glob.glob(os.path.join(root, "**", "richeta", "__init__.py"), recursive=True)
    if len(found) != 1:
        raise AssertionError("expected one installed richeta package under %s, found %s" % (root, found))
    return os.path.dirname(os.path.dirname(found[0]))


def copy_source(dest):
    """The source tree without build directories (pip builds in-tree)."""
    src = _support.SOURCE_DIR

    def ignore(d, names):
        top = os.path.abspath(d) == os.path.abspath(src)
        return [n for n in names if n in ("__pycache__", ".git") or n.endswith(".egg-info")
                or (top and n.startswith("build")) or (d.endswith("python") and n == "build")]

    shutil.copytree(src, dest, ignore=ignore)
    return dest


class Installed(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="richeta-install-")
        self.empty = os.path.join(self.tmp, "cwd")
        os.mkdir(self.empty)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check_probe(self, info, root, numpy, library=None):
        self.assertTrue(info["package"].startswith(root + os.sep), info)
        if library is not None:
            self.assertEqual(os.path.realpath(info["library"]), os.path.realpath(library), info)
        self.assertEqual(info["status"], "converged")
        self.assertEqual(info["numpy"], numpy)
        self.assertEqual(info["numpy_importable"], numpy)
        self.assertEqual(info["version"], richeta.__version__)

    def pip_install(self, python, source, *args, **env):
        cmd = [python, "-m", "pip", "install", "--no-build-isolation", "--no-index", "--no-deps",
               "--root-user-action=ignore"] + list(args) + [os.path.join(source, "python")]
        r = subprocess.run(cmd, cwd=self.empty, env=clean_env(**env), capture_output=True, text=True,
                           timeout=900)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
        return r.stdout + r.stderr

    @unittest.skipUnless(BUILD_DIR and MESON, "needs the meson build directory (run by meson test)")
    def test_meson_install_puts_the_package_next_to_the_library_it_finds_first(self):
        dest = os.path.join(self.tmp, "dest")
        r = subprocess.run([MESON, "install", "-C", BUILD_DIR, "--destdir", dest, "--no-rebuild",
                            "--quiet"], capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
        site = site_dir(dest)
        # the site-packages directory /usr/bin/python3 reads for this prefix
        staged = os.sep + os.path.relpath(site, dest)
        import json
        paths = subprocess.run([sys.executable, "-c", "import sys, json; print(json.dumps(sys.path))"],
                               capture_output=True, text=True, env=clean_env()).stdout
        self.assertIn(staged, json.loads(paths), "meson installed into %s, not on sys.path" % staged)
        self.assertTrue(os.path.isdir(os.path.join(site, "richeta", "torch")))
        libs = glob.glob(os.path.join(dest, "**", "libricheta.so.1"), recursive=True)
        self.assertEqual(len(libs), 1, libs)
        env = clean_env(PYTHONPATH=site)
        self.check_probe(probe(sys.executable, self.empty, env, no_site=True), dest, False, libs[0])
        info = probe(sys.executable, self.empty, env)
        self.check_probe(info, dest, True, libs[0])
        if _support.optional_torch()[0] is not None:
            self.assertEqual(info["torch"], 0.1 * 8 * 4.0)
        # the installed library comes before a build directory named by LIBRICHETA_PATH
        env = clean_env(PYTHONPATH=site, LIBRICHETA_PATH=os.path.dirname(LIBRARY))
        self.check_probe(probe(sys.executable, self.empty, env, no_site=True), dest, False,
                         os.path.join(os.path.dirname(LIBRARY), "libricheta.so.1"))

    def test_pip_install_bundles_a_located_library(self):
        source = copy_source(os.path.join(self.tmp, "src"))
        prefix = os.path.join(self.tmp, "prefix")
        log = self.pip_install(sys.executable, source, "--prefix", prefix, RICHETA_LIBRARY=LIBRARY)
        site = site_dir(prefix)
        bundled = os.path.join(site, "richeta", "libricheta.so.1")
        self.assertTrue(os.path.isfile(bundled), log)
        env = clean_env(PYTHONPATH=site)
        self.check_probe(probe(sys.executable, self.empty, env, no_site=True), prefix, False, bundled)
        self.check_probe(probe(sys.executable, self.empty, env), prefix, True, bundled)
        # the source tree copy holds no bundled library: the wheel got it
        self.assertEqual(glob.glob(os.path.join(source, "python", "richeta", "*.so*")), [])

    def test_pip_install_into_a_venv_builds_libricheta_with_meson(self):
        source = copy_source(os.path.join(self.tmp, "src"))
        venv = os.path.join(self.tmp, "venv")
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True,
                       env=clean_env(), timeout=300)
        py = os.path.join(venv, "bin", "python")
        self.pip_install(py, source)  # no RICHETA_LIBRARY: setup.py builds one with meson
        site = site_dir(os.path.join(venv, "lib"))
        bundled = os.path.join(site, "richeta", "libricheta.so.1")
        info = probe(py, self.empty, clean_env())
        self.check_probe(info, venv, True, bundled)
        if _support.optional_torch()[0] is not None:
            self.assertEqual(info["torch"], 0.1 * 8 * 4.0)

    def test_pip_install_without_bundling_uses_the_library_it_is_pointed_to(self):
        source = copy_source(os.path.join(self.tmp, "src"))
        prefix = os.path.join(self.tmp, "prefix")
        self.pip_install(sys.executable, source, "--prefix", prefix, RICHETA_BUNDLE="0")
        site = site_dir(prefix)
        self.assertEqual(glob.glob(os.path.join(site, "richeta", "*.so*")), [])
        env = clean_env(PYTHONPATH=site, LIBRICHETA_PATH=os.path.dirname(LIBRARY))
        self.check_probe(probe(sys.executable, self.empty, env, no_site=True), prefix, False)
        if ctypes.util.find_library("richeta") is None:  # no system copy: a clear ImportError
            r = subprocess.run([sys.executable, "-S", "-c", "import richeta"], cwd=self.empty,
                               env=clean_env(PYTHONPATH=site), capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("libricheta not found", r.stderr)


if __name__ == "__main__":
    unittest.main()
