"""The core binding works without NumPy: the core test modules are run
again in a child interpreter where NumPy cannot be imported
(RICHETA_NO_NUMPY=1 makes _support put None in sys.modules['numpy'])."""

import os
import subprocess
import sys
import unittest

import _support

CORE_MODULES = ["test_config", "test_model", "test_trainer", "test_timewarp", "test_sweep", "test_diag", "test_parity"]


@unittest.skipIf(_support.NO_NUMPY, "already running without NumPy")
class WithoutNumpy(unittest.TestCase):
    def test_core_tests_pass_with_numpy_unimportable(self):
        env = dict(os.environ, RICHETA_NO_NUMPY="1", PYTHONDONTWRITEBYTECODE="1")
        env["PYTHONPATH"] = os.pathsep.join(
            [os.path.dirname(os.path.dirname(_support.richeta.__file__)), env.get("PYTHONPATH", "")])
        mods = [m for m in CORE_MODULES if os.path.exists(os.path.join(_support.HERE, m + ".py"))]
        r = subprocess.run([sys.executable, "-m", "unittest"] + mods, cwd=_support.HERE, env=env,
                           capture_output=True, text=True, timeout=600)
        sys.stderr.write("\n[no-numpy run of %s]\n%s" % (", ".join(mods), r.stderr[-3000:]))
        self.assertEqual(r.returncode, 0, r.stderr[-5000:])
        self.assertRegex(r.stderr, r"\nOK")

    def test_numpy_is_really_hidden_in_that_mode(self):
        env = dict(os.environ, RICHETA_NO_NUMPY="1", PYTHONDONTWRITEBYTECODE="1")
        code = ("import _support, richeta\n"
                "try:\n    import numpy\nexcept ImportError:\n    print('hidden', richeta.HAVE_NUMPY)\n")
        r = subprocess.run([sys.executable, "-c", code], cwd=_support.HERE, env=env,
                           capture_output=True, text=True)
        self.assertEqual(r.stdout.strip(), "hidden False", r.stderr)


if __name__ == "__main__":
    unittest.main()
