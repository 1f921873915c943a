"""A trainer closed inside its own on_log hook, under AddressSanitizer: run
by scripts/sanitize.sh with the ASan-built library and libasan preloaded
into /usr/bin/python3 (the Python suites themselves run uninstrumented).

Two ways: the binding's close() (deferred to the end of the run) and a raw
richeta_trainer_free() from the hook (deferred by the library itself; in
1.0 both were a heap-use-after-free in richeta_trainer_run). Exit 0 when
both runs stop at the third log point with the documented results; ASan
aborts the process on any bad access."""

import ctypes
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import richeta  # noqa: E402
from richeta._lib import ON_LOG_FUNC, TrainCallbacks, lib  # noqa: E402

SPEC = dict(D=6, N=16, L=2, B=8, T=400, eval_n=32, eta0=0.05)


def via_binding():
    t = richeta.Trainer(**SPEC)
    calls = [0]

    def on_log(*a):
        calls[0] += 1
        if calls[0] == 3:
            t.close()

    state = t.run(on_log=on_log)
    return state is None and t.closed and calls[0] == 3


def via_c():
    cfg = richeta.Config(**SPEC)
    out = ctypes.c_void_p()
    if lib.richeta_trainer_new(ctypes.byref(out), cfg._h) != 0:
        return False
    ptr, calls = out.value, [0]

    def hook(user, step, tr, ev, eta):
        calls[0] += 1
        if calls[0] == 3:
            lib.richeta_trainer_free(ptr)
        return 0

    f = ON_LOG_FUNC(hook)
    table = TrainCallbacks(ctypes.sizeof(TrainCallbacks), f, None)
    st = lib.richeta_trainer_run(ptr, 400, ctypes.byref(table))
    cfg.close()
    return st == richeta.Status.ERR_ABORTED and calls[0] == 3


if __name__ == "__main__":
    ok = via_binding() and via_c()
    print("asan_lifetime:", "ok" if ok else "unexpected results")
    sys.exit(0 if ok else 1)
