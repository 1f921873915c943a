"""The binding covers the C API exactly: every exported symbol is declared
with the argument and return types of its header declaration; library
discovery, the ABI check and the status -> exception mapping."""

import ctypes
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import _support
import richeta
from richeta import _lib

HEADER_DIR = os.path.join(_support.SOURCE_DIR, "include", "richlazy")

SCALARS = {
    "int": ctypes.c_int,
    "int64_t": ctypes.c_int64,
    "int32_t": ctypes.c_int32,
    "uint64_t": ctypes.c_uint64,
    "size_t": ctypes.c_size_t,
    "double": ctypes.c_double,
    "float": ctypes.c_float,
}


def read_headers():
    """(declarations {name: (ret, [params])}, enums, opaque types, structs)."""
    decls, enums, opaque, structs = {}, set(), set(), set()
    for fn in sorted(os.listdir(HEADER_DIR)):
        if not fn.endswith(".h"):
            continue
        with open(os.path.join(HEADER_DIR, fn)) as f:
            text = f.read()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"//[^\n]*", " ", text)
        enums.update(re.findall(r"typedef\s+enum\s+(\w+)\s*\{", text))
        opaque.update(re.findall(r"typedef\s+struct\s+(\w+)\s+\1\s*;", text))
        structs.update(re.findall(r"typedef\s+struct\s+(\w+)\s*\{", text))
        for ret, name, params in re.findall(
                r"RICHETA_API\s+([^;()]*?)\b(richeta_\w+)\s*\(([^;]*?)\)\s*;", text, flags=re.S):
            plist = [p.strip() for p in params.split(",")] if params.strip() not in ("", "void") else []
            decls[name] = (" ".join(ret.split()), [" ".join(p.split()) for p in plist])
    return decls, enums, opaque, structs


def expected_ctype(ctext, enums, opaque, structs, is_return=False):
    """ctypes type the binding must use for a C type (with or without a name)."""
    const = "const" in ctext.split()
    t = ctext.replace("const", " ").replace("*", " * ")
    toks = t.split()
    stars = toks.count("*")
    words = [w for w in toks if w != "*"]
    if not is_return and len(words) == 2:
        words = words[:1]  # drop the parameter name
    base = words[0]
    if base == "void" and stars == 0:
        return None
    if base == "char":
        if stars == 1:
            return ctypes.c_char_p if (const or is_return) else ctypes.POINTER(ctypes.c_char)
        return ctypes.POINTER(ctypes.c_char_p)
    if base in SCALARS:
        st = SCALARS[base]
    elif base in enums:
        st = ctypes.c_int
    elif base in opaque:
        st = ctypes.c_void_p
        stars -= 1
    elif base in structs:
        st = _lib.STRUCTS[base]
    else:
        raise AssertionError("unknown C type %r" % ctext)
    for _ in range(stars):
        st = ctypes.POINTER(st)
    return st


def exported_symbols(path):
    nm = shutil.which("nm")
    if nm is None:
        return None
    out = subprocess.run([nm, "-D", "--defined-only", path], check=True, capture_output=True,
                         text=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] in "TtWiDBR":
            syms.add(parts[2].split("@")[0])
    return {s for s in syms if s.startswith("richeta_")}


class Coverage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.decls, cls.enums, cls.opaque, cls.structs = read_headers()

    def test_headers_were_found(self):
        self.assertIn("richeta_model_new", self.decls)
        self.assertGreater(len(self.decls), 60)

    def test_every_exported_symbol_is_declared_in_the_binding(self):
        syms = exported_symbols(richeta.library_path)
        if syms is None:
            self.skipTest("nm not available")
        missing = sorted(syms - set(_lib.SIGNATURES))
        self.assertEqual(missing, [], "exported by %s but not bound: %s" % (richeta.library_path, missing))
        sys.stderr.write("binding coverage: %d exported symbols, all bound (%d declared)\n"
                         % (len(syms), len(_lib.SIGNATURES)))

    def test_every_header_function_is_in_the_binding(self):
        missing = sorted(set(self.decls) - set(_lib.SIGNATURES))
        self.assertEqual(missing, [], "declared in include/richlazy but not bound: %s" % missing)

    def test_binding_declares_nothing_the_headers_do_not(self):
        extra = sorted(set(_lib.SIGNATURES) - set(self.decls))
        self.assertEqual(extra, [], "bound but not in any header: %s" % extra)

    def test_argtypes_and_restype_match_the_headers(self):
        for name, (ret, params) in sorted(self.decls.items()):
            if name not in _lib.SIGNATURES:
                continue
            with self.subTest(function=name):
                want_ret = expected_ctype(ret, self.enums, self.opaque, self.structs, True)
                got_ret, got_args = _lib.SIGNATURES[name]
                self.assertIs(got_ret, want_ret, "%s restype" % name)
                want = [expected_ctype(p, self.enums, self.opaque, self.structs) for p in params]
                self.assertEqual(len(got_args), len(want), "%s arity" % name)
                for i, (g, w) in enumerate(zip(got_args, want)):
                    self.assertIs(g, w, "%s argument %d (%s)" % (name, i, params[i]))

    def test_loaded_functions_carry_the_declared_types(self):
        lib = _lib.lib
        for name, (ret, args) in _lib.SIGNATURES.items():
            fn = getattr(lib, name)
            if isinstance(fn, _lib._Missing):
                continue
            self.assertIs(fn.restype, ret, name)
            self.assertEqual(list(fn.argtypes), list(args), name)

    def test_every_header_function_is_exported_by_the_library(self):
        self.assertEqual(richeta.missing_symbols, (),
                         "declared in the headers but missing from %s" % richeta.library_path)


class Loading(unittest.TestCase):
    def test_abi_matches(self):
        self.assertEqual(richeta.abi_version(), _lib.EXPECTED_ABI)

    def test_version_is_consistent(self):
        n = richeta.version_number()
        self.assertEqual(richeta.version(), "%d.%d.%d" % (n // 10000, n // 100 % 100, n % 100))
        self.assertEqual(richeta.__version__, richeta.version())
        self.assertEqual(richeta.build_info()["abi"], str(_lib.EXPECTED_ABI))

    def test_blas_threads_query_and_bad_count(self):
        n = richeta.blas_threads()
        self.assertGreaterEqual(n, 1)
        with self.assertRaises(richeta.RangeError):
            richeta.blas_threads(0)
        self.assertEqual(richeta.blas_threads(), n)

    def _import_with(self, env_extra):
        env = dict(os.environ)
        env.pop("RICHETA_LIBRARY", None)
        env.pop("LIBRICHETA_PATH", None)
        env.update(env_extra)
        env["PYTHONPATH"] = os.pathsep.join(
            [os.path.dirname(os.path.dirname(richeta.__file__)), env.get("PYTHONPATH", "")])
        return subprocess.run([sys.executable, "-c", "import richeta; print(richeta.library_path)"],
                              env=env, capture_output=True, text=True)

    def test_missing_library_named_by_env_is_an_import_error(self):
        r = self._import_with({"RICHETA_LIBRARY": "/nonexistent/libricheta.so.1"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImportError", r.stderr)
        self.assertIn("/nonexistent/libricheta.so.1", r.stderr)

    def test_library_found_through_directory_variable(self):
        d = os.path.dirname(richeta.library_path)
        r = self._import_with({"LIBRICHETA_PATH": d})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.path.dirname(r.stdout.strip()), d)

    def test_library_found_in_the_package_directory(self):
        with tempfile.TemporaryDirectory() as tmp:
            pkg = os.path.join(tmp, "richeta")
            shutil.copytree(os.path.dirname(richeta.__file__), pkg,
                            ignore=shutil.ignore_patterns("__pycache__"))
            os.symlink(os.path.realpath(richeta.library_path), os.path.join(pkg, "libricheta.so.1"))
            env = dict(os.environ, PYTHONPATH=tmp, PYTHONDONTWRITEBYTECODE="1")
            env.pop("RICHETA_LIBRARY", None)
            env.pop("LIBRICHETA_PATH", None)
            r = subprocess.run([sys.executable, "-c", "import richeta; print(richeta.library_path)"],
                               env=env, capture_output=True, text=True, cwd=tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), os.path.join(pkg, "libricheta.so.1"))

    def test_wrong_abi_is_refused_at_import(self):
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            self.skipTest("no C compiler to build a fake library")
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "fake.c")
            so = os.path.join(tmp, "libricheta.so.1")
            with open(src, "w") as f:
                f.write("int richeta_abi_version(void) { return 2; }\n")
            subprocess.run([cc, "-shared", "-fPIC", "-o", so, src], check=True)
            r = self._import_with({"RICHETA_LIBRARY": so})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImportError", r.stderr)
        self.assertIn("ABI version 2", r.stderr)


class Exceptions(unittest.TestCase):
    def test_each_status_has_its_own_class_under_richeta_error(self):
        seen = set()
        for st in richeta.Status:
            if st == 0:
                continue
            cls = richeta.error_class(st)
            self.assertTrue(issubclass(cls, richeta.RichetaError))
            self.assertNotIn(cls, seen, st)
            seen.add(cls)
        self.assertIs(richeta.error_class(999), richeta.RichetaError)

    def test_families_derive_from_builtin_exceptions(self):
        self.assertTrue(issubclass(richeta.error_class(richeta.Status.ERR_RANGE), ValueError))
        self.assertTrue(issubclass(richeta.error_class(richeta.Status.ERR_NOMEM), MemoryError))
        self.assertTrue(issubclass(richeta.error_class(richeta.Status.ERR_IO), OSError))
        self.assertTrue(issubclass(richeta.error_class(richeta.Status.ERR_UNSUPPORTED),
                                   NotImplementedError))

    def test_error_carries_status_and_library_message(self):
        with richeta.Config() as cfg:
            with self.assertRaises(richeta.RangeError) as cm:
                cfg["N"] = 0
        e = cm.exception
        self.assertEqual(e.status, richeta.Status.ERR_RANGE)
        self.assertEqual(e.status_name, "ERR_RANGE")
        self.assertEqual(e.function, "richeta_config_set_int")
        self.assertTrue(e.message)  # the library's own detail
        self.assertIn(e.message, str(e))

    def test_constructor_error_uses_thread_message(self):
        with self.assertRaises(richeta.FileError) as cm:
            richeta.Trainer.resume("/nonexistent/dir/ckpt.bin")
        self.assertTrue(cm.exception.message)


if __name__ == "__main__":
    unittest.main()
