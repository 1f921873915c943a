"""Print the richeta package's install directory and the library directory
relative to it, for python/meson.build.

usage: install_paths.py PREFIX LIBDIR [PURELIB]

PURELIB (if given and not empty) is used, relative to PREFIX unless
absolute. Otherwise it is the purelib of this interpreter's install schemes
that lies under PREFIX, is on sys.path and is the closest to PREFIX
(Debian: /usr/local/lib/python3.X/dist-packages for /usr/local,
/usr/lib/python3/dist-packages for /usr; a venv: its site-packages), else
the posix_prefix one (PREFIX/lib/python3.X/site-packages).
"""

import os
import sys
import sysconfig


def under(path, root):
    path, root = os.path.normpath(path), os.path.normpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def purelib_for(prefix):
    on_path = {os.path.normpath(p) for p in sys.path if p}
    try:
        default = sysconfig.get_default_scheme()
    except AttributeError:  # Python < 3.10
        default = sysconfig._get_default_scheme()
    schemes = [default] + [s for s in sysconfig.get_scheme_names() if s != default]
    found = []
    for scheme in schemes:
        for base in (prefix, sys.prefix, sys.base_prefix):
            try:
                p = sysconfig.get_path("purelib", scheme, vars={"base": base, "platbase": base})
            except KeyError:
                continue
            if p and under(p, prefix) and os.path.normpath(p) in on_path:
                found.append(os.path.normpath(p))
    if found:  # the closest to PREFIX: /usr gets /usr/lib/..., not /usr/local/lib/...
        return min(found, key=lambda p: len(os.path.relpath(p, prefix).split(os.sep)))
    return sysconfig.get_path("purelib", "posix_prefix", vars={"base": prefix, "platbase": prefix})


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    prefix, libdir = argv[1], argv[2]
    given = argv[3] if len(argv) == 4 else ""
    purelib = os.path.join(prefix, given) if given else purelib_for(prefix)
    print(purelib)
    print(os.path.relpath(libdir, os.path.join(purelib, "richeta")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
