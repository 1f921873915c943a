"""Loading of libricheta and the ctypes prototype of every exported function.

Every public C function is listed in ``SIGNATURES`` with its return type and
argument types, copied from the headers in include/richlazy/. The tests
check this table against the headers and against the symbols the shared
library exports, so a new function cannot be missed silently.
"""

import ctypes
import ctypes.util
import glob
import os

#: ABI major version this binding was written for (the soname number).
EXPECTED_ABI = 1

# --- C types ---------------------------------------------------------------
c_int = ctypes.c_int
c_i64 = ctypes.c_int64
c_u64 = ctypes.c_uint64
c_i32 = ctypes.c_int32
c_dbl = ctypes.c_double
c_flt = ctypes.c_float
c_size = ctypes.c_size_t
c_str = ctypes.c_char_p  # const char * (input strings and returned static strings)
c_void = None
P = ctypes.POINTER
handle = ctypes.c_void_p  # every opaque handle (richeta_x *)
p_handle = P(ctypes.c_void_p)  # richeta_x ** (constructor out-params)
p_dbl = P(c_dbl)
p_flt = P(c_flt)
p_i64 = P(c_i64)
p_int = P(c_int)
p_i32 = P(c_i32)
p_size = P(c_size)
p_char = P(ctypes.c_char)  # char * output buffer
p_str = P(c_str)  # const char ** out-param
status = c_int  # richeta_status
enum = c_int  # every C enum type passed by value


class Allocator(ctypes.Structure):
    """``richeta_allocator`` (callback table; struct_size first)."""

    _fields_ = [
        ("struct_size", c_size),
        ("alloc", ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, c_size, c_size)),
        ("free", ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)),
        ("user", ctypes.c_void_p),
    ]


#: int (*fill)(void *user, int64_t step, int64_t batch, int64_t input_dim,
#:             int64_t output_dim, double *x, double *y)
FILL_FUNC = ctypes.CFUNCTYPE(c_int, ctypes.c_void_p, c_i64, c_i64, c_i64, c_i64, p_dbl, p_dbl)
#: int (*on_log)(void *user, int64_t step, double train, double eval, double eta)
ON_LOG_FUNC = ctypes.CFUNCTYPE(c_int, ctypes.c_void_p, c_i64, c_dbl, c_dbl, c_dbl)


#: int (*on_run)(void *user, double gamma, double eta0, int64_t seed, int status,
#:               double final_loss, int cached, int64_t finished)
ON_RUN_FUNC = ctypes.CFUNCTYPE(c_int, ctypes.c_void_p, c_dbl, c_dbl, c_i64, c_int, c_dbl, c_int, c_i64)


class StreamCallbacks(ctypes.Structure):
    """``richeta_stream_callbacks``."""

    _fields_ = [("struct_size", c_size), ("fill", FILL_FUNC), ("user", ctypes.c_void_p)]


class TrainCallbacks(ctypes.Structure):
    """``richeta_train_callbacks``."""

    _fields_ = [("struct_size", c_size), ("on_log", ON_LOG_FUNC), ("user", ctypes.c_void_p)]


class SweepCallbacks(ctypes.Structure):
    """``richeta_sweep_callbacks``."""

    _fields_ = [("struct_size", c_size), ("on_run", ON_RUN_FUNC), ("user", ctypes.c_void_p)]


#: Public C structs (callback tables) and their ctypes mirrors.
STRUCTS = {
    "richeta_allocator": Allocator,
    "richeta_stream_callbacks": StreamCallbacks,
    "richeta_train_callbacks": TrainCallbacks,
    "richeta_sweep_callbacks": SweepCallbacks,
}

p_alloc = P(Allocator)
p_stream_cb = P(StreamCallbacks)
p_train_cb = P(TrainCallbacks)
p_sweep_cb = P(SweepCallbacks)

# --- prototypes: name -> (restype, [argtypes]) -------------------------------
# Grouped by header, in header order.
SIGNATURES = {
    # common.h
    "richeta_status_string": (c_str, [status]),
    "richeta_last_error": (c_str, []),
    "richeta_callback_error": (c_void, [c_str]),
    "richeta_version_number": (c_int, []),
    "richeta_version_string": (c_str, []),
    "richeta_abi_version": (c_int, []),
    "richeta_build_info": (c_str, []),
    "richeta_blas_set_threads": (status, [c_int]),
    "richeta_blas_get_threads": (c_int, []),
    # config.h
    "richeta_config_new": (status, [p_handle, p_alloc]),
    "richeta_config_clone": (status, [p_handle, handle]),
    "richeta_config_free": (c_void, [handle]),
    "richeta_config_last_error": (c_str, [handle]),
    "richeta_config_set_int": (status, [handle, enum, c_i64]),
    "richeta_config_set_double": (status, [handle, enum, c_dbl]),
    "richeta_config_set_string": (status, [handle, enum, c_str]),
    "richeta_config_get_int": (status, [handle, enum, p_i64]),
    "richeta_config_get_double": (status, [handle, enum, p_dbl]),
    "richeta_config_get_string": (status, [handle, enum, p_char, c_size, p_size]),
    "richeta_config_parse": (status, [handle, c_str]),
    "richeta_config_to_string": (status, [handle, p_char, c_size, p_size]),
    "richeta_config_load": (status, [handle, c_str]),
    "richeta_config_save": (status, [handle, c_str]),
    "richeta_param_info": (status, [enum, p_int, p_str]),
    "richeta_param_bounds": (status, [enum, p_dbl, p_dbl, p_int]),
    "richeta_param_from_name": (status, [c_str, p_int]),
    "richeta_param_value_name": (status, [enum, c_i64, p_str]),
    # model.h
    "richeta_model_new": (status, [p_handle, handle]),
    "richeta_model_free": (c_void, [handle]),
    "richeta_model_last_error": (c_str, [handle]),
    "richeta_model_get_int": (status, [handle, enum, p_i64]),
    "richeta_model_get_double": (status, [handle, enum, p_dbl]),
    "richeta_model_num_params": (status, [handle, p_i64]),
    "richeta_model_layer_shape": (status, [handle, c_i64, p_i64, p_i64, p_i64]),
    "richeta_model_num_layers": (status, [handle, p_i64]),
    "richeta_model_get_layer": (status, [handle, c_i64, p_dbl, c_i64, p_dbl, c_i64]),
    "richeta_model_set_layer": (status, [handle, c_i64, p_dbl, c_i64, p_dbl, c_i64]),
    "richeta_model_get_params": (status, [handle, p_dbl, c_i64]),
    "richeta_model_get_initial_params": (status, [handle, p_dbl, c_i64]),
    "richeta_model_set_params": (status, [handle, p_dbl, c_i64]),
    "richeta_model_num_running_stats": (status, [handle, p_i64]),
    "richeta_model_get_running_stats": (status, [handle, c_int, p_dbl, c_i64]),
    "richeta_model_set_running_stats": (status, [handle, c_int, p_dbl, c_i64]),
    "richeta_model_recenter": (status, [handle]),
    "richeta_model_forward_f64": (status, [handle, p_dbl, c_i64, p_dbl]),
    "richeta_model_forward_f32": (status, [handle, p_flt, c_i64, p_flt]),
    "richeta_model_loss_grad_f64": (status, [handle, p_dbl, p_dbl, c_i64, p_dbl, p_dbl, c_i64]),
    "richeta_model_loss_grad_f32": (status, [handle, p_flt, p_flt, c_i64, p_dbl, p_flt, c_i64]),
    "richeta_model_loss_grad_labels_f64": (status, [handle, p_dbl, p_i32, c_i64, p_dbl, p_dbl, c_i64]),
    "richeta_model_loss_grad_labels_f32": (status, [handle, p_flt, p_i32, c_i64, p_dbl, p_flt, c_i64]),
    "richeta_model_evaluate_f64": (status, [handle, p_dbl, p_dbl, c_i64, p_dbl, p_dbl]),
    "richeta_model_evaluate_f32": (status, [handle, p_flt, p_flt, c_i64, p_dbl, p_dbl]),
    # optim.h
    "richeta_optim_new": (status, [p_handle, handle, handle]),
    "richeta_optim_free": (c_void, [handle]),
    "richeta_optim_last_error": (c_str, [handle]),
    "richeta_optim_set_eta": (status, [handle, c_dbl]),
    "richeta_optim_get_eta": (status, [handle, p_dbl]),
    "richeta_optim_width_multiplier": (status, [handle, p_dbl]),
    "richeta_optim_steps": (status, [handle, p_i64]),
    "richeta_optim_reset": (status, [handle]),
    "richeta_optim_step_f64": (status, [handle, p_dbl, p_dbl, c_i64, p_dbl]),
    "richeta_optim_step_f32": (status, [handle, p_flt, p_flt, c_i64, p_dbl]),
    # sched.h
    "richeta_sched_new": (status, [p_handle, handle]),
    "richeta_sched_free": (c_void, [handle]),
    "richeta_sched_last_error": (c_str, [handle]),
    "richeta_sched_eta": (status, [handle, c_i64, p_dbl]),
    "richeta_sched_gamma_factor": (status, [handle, p_dbl]),
    "richeta_sched_time_factor": (status, [handle, c_i64, p_dbl]),
    "richeta_sched_apply": (status, [handle, handle, c_i64]),
    "richeta_gamma_rule_theory": (status, [c_dbl, c_i64, p_dbl]),
    # stream.h
    "richeta_stream_new": (status, [p_handle, handle]),
    "richeta_stream_new_callback": (status, [p_handle, handle, p_stream_cb]),
    "richeta_stream_free": (c_void, [handle]),
    "richeta_stream_last_error": (c_str, [handle]),
    "richeta_stream_get_int": (status, [handle, enum, p_i64]),
    "richeta_stream_batch_f64": (status, [handle, c_i64, p_dbl, p_dbl]),
    "richeta_stream_batch_f32": (status, [handle, c_i64, p_flt, p_flt]),
    "richeta_stream_eval_f64": (status, [handle, c_i64, c_i64, p_dbl, p_dbl]),
    "richeta_stream_epoch": (status, [handle, c_i64, p_i64]),
    # trainer.h
    "richeta_trainer_new": (status, [p_handle, handle]),
    "richeta_trainer_new_with_stream": (status, [p_handle, handle, handle]),
    "richeta_trainer_free": (c_void, [handle]),
    "richeta_trainer_last_error": (c_str, [handle]),
    "richeta_trainer_run": (status, [handle, c_i64, p_train_cb]),
    "richeta_trainer_step": (status, [handle, p_i64]),
    "richeta_trainer_state": (status, [handle, p_int]),
    "richeta_trainer_log": (status, [handle, p_i64, p_dbl, p_dbl, p_dbl, c_i64, p_i64]),
    "richeta_trainer_log_accuracy": (status, [handle, p_dbl, c_i64, p_i64]),
    "richeta_trainer_model": (handle, [handle]),
    "richeta_trainer_optim": (handle, [handle]),
    "richeta_trainer_stream": (handle, [handle]),
    "richeta_trainer_save": (status, [handle, c_str]),
    "richeta_trainer_load": (status, [handle, c_str]),
    "richeta_trainer_resume": (status, [p_handle, c_str, p_alloc]),
    "richeta_trainer_saved_blas_threads": (status, [handle, p_int]),
    # timewarp.h
    "richeta_curveset_new": (status, [p_handle, p_alloc]),
    "richeta_curveset_free": (c_void, [handle]),
    "richeta_curveset_last_error": (c_str, [handle]),
    "richeta_curveset_option_info": (status, [enum, p_dbl, p_dbl, p_dbl]),
    "richeta_curveset_set_option": (status, [handle, enum, c_dbl]),
    "richeta_curveset_get_option": (status, [handle, enum, p_dbl]),
    "richeta_curveset_add": (
        status,
        [handle, p_dbl, p_dbl, c_i64, c_dbl, c_dbl, c_dbl, c_i64, c_str, p_i64],
    ),
    "richeta_curveset_count": (status, [handle, p_i64]),
    "richeta_curveset_info": (status, [handle, c_i64, p_dbl, p_dbl, p_dbl, p_i64, p_i64]),
    "richeta_curveset_label": (status, [handle, c_i64, p_char, c_size, p_size]),
    "richeta_curveset_data": (status, [handle, c_i64, p_dbl, p_dbl, c_i64, p_i64]),
    "richeta_curveset_plateau": (status, [handle, c_i64, p_dbl]),
    "richeta_curveset_escape": (status, [handle, c_i64, c_dbl, p_dbl]),
    "richeta_curveset_staircase": (status, [handle, c_i64, p_dbl, p_dbl, c_i64, p_i64]),
    "richeta_curveset_set_power": (status, [handle, c_dbl, c_dbl]),
    "richeta_curveset_time_factor": (status, [handle, c_i64, enum, p_dbl]),
    "richeta_curveset_align_empirical": (status, [handle, c_i64, p_dbl, c_i64]),
    "richeta_curveset_fit_scales": (status, [handle, enum, p_dbl, p_dbl, p_dbl]),
    "richeta_curveset_tau_range": (status, [handle, c_i64, enum, p_dbl, p_dbl]),
    "richeta_curveset_spread": (status, [handle, enum, p_dbl]),
    "richeta_curveset_collapse_quality": (status, [handle, enum, p_dbl]),
    "richeta_curveset_resample": (
        status,
        [handle, c_i64, enum, c_dbl, c_dbl, c_i64, p_dbl, p_dbl],
    ),
    # data.h
    "richeta_dataset_open": (status, [p_handle, c_str, p_alloc]),
    "richeta_dataset_free": (c_void, [handle]),
    "richeta_dataset_last_error": (c_str, [handle]),
    "richeta_dataset_num_samples": (status, [handle, p_i64]),
    "richeta_dataset_input_dim": (status, [handle, p_i64]),
    "richeta_dataset_sample_shape": (status, [handle, p_i64, c_i64, p_i64]),
    "richeta_dataset_num_classes": (status, [handle, p_i64]),
    "richeta_dataset_set_num_classes": (status, [handle, c_i64]),
    "richeta_dataset_target_dim": (status, [handle, p_i64]),
    "richeta_dataset_label": (status, [handle, c_i64, p_i64]),
    "richeta_dataset_get_input": (status, [handle, c_i64, p_dbl, c_i64]),
    "richeta_dataset_num_channels": (status, [handle, p_i64]),
    "richeta_dataset_set_channel_axis": (status, [handle, c_i64]),
    "richeta_dataset_normalize": (status, [handle, enum]),
    "richeta_dataset_set_normalization": (status, [handle, enum, p_dbl, p_dbl, c_i64]),
    "richeta_dataset_get_normalization": (status, [handle, p_int, p_dbl, p_dbl, c_i64, p_i64]),
    "richeta_dataset_copy_normalization": (status, [handle, handle]),
    "richeta_dataset_raw_stats": (status, [handle, p_dbl, p_dbl]),
    "richeta_dataset_batch_f64": (
        status,
        [handle, c_u64, c_i64, c_i64, p_dbl, c_i64, p_dbl, c_i64, p_i64],
    ),
    "richeta_dataset_batch_f32": (
        status,
        [handle, c_u64, c_i64, c_i64, p_flt, c_i64, p_flt, c_i64, p_i64],
    ),
    # sweep.h
    "richeta_sweep_new": (status, [p_handle, handle]),
    "richeta_sweep_open": (status, [p_handle, c_str, c_str, p_alloc]),
    "richeta_sweep_free": (c_void, [handle]),
    "richeta_sweep_last_error": (c_str, [handle]),
    "richeta_sweep_set_grid_range": (status, [handle, enum, c_dbl, c_dbl, c_dbl]),
    "richeta_sweep_set_grid_list": (status, [handle, enum, p_dbl, c_i64]),
    "richeta_sweep_set_grid": (status, [handle, enum, c_str]),
    "richeta_sweep_get_grid": (status, [handle, enum, p_dbl, c_i64, p_i64]),
    "richeta_sweep_set_seeds": (status, [handle, p_i64, c_i64]),
    "richeta_sweep_set_option": (status, [handle, enum, c_dbl]),
    "richeta_sweep_get_option": (status, [handle, enum, p_dbl]),
    "richeta_sweep_hash": (status, [handle, p_char, c_size]),
    "richeta_sweep_run": (status, [handle, c_str, p_sweep_cb]),
    "richeta_sweep_load": (status, [handle, c_str]),
    "richeta_sweep_runs": (status, [handle, p_dbl, p_dbl, p_i64, p_i32, p_dbl, c_i64, p_i64]),
    "richeta_sweep_eta_star": (status, [handle, p_dbl, p_dbl, p_dbl, p_dbl, p_i32, c_i64, p_i64]),
    "richeta_sweep_eta_resolution": (status, [handle, p_dbl]),
    "richeta_sweep_merge": (status, [c_str, p_str, c_i64, c_int, p_i64, p_i64]),
    "richeta_fit_powerlaw": (status, [p_dbl, p_dbl, c_i64, p_dbl, p_dbl, p_dbl]),
    # diag.h
    "richeta_diag_hvp": (status, [handle, p_dbl, p_dbl, c_i64, p_dbl, p_dbl, c_i64]),
    "richeta_diag_hessian_top": (status, [handle, p_dbl, p_dbl, c_i64, c_i64, c_i64, c_u64, p_dbl]),
    "richeta_diag_hessian_trace": (status, [handle, p_dbl, p_dbl, c_i64, c_i64, c_u64, p_dbl, p_dbl]),
    "richeta_diag_gn_top": (status, [handle, p_dbl, p_dbl, c_i64, c_i64, c_u64, p_dbl]),
    "richeta_diag_ntk": (status, [handle, p_dbl, c_i64, c_int, p_dbl, c_i64]),
    "richeta_diag_feature_kernel": (status, [handle, p_dbl, c_i64, c_i64, p_dbl, c_i64]),
    "richeta_diag_eigenvalues": (status, [c_i64, p_dbl, p_dbl]),
    "richeta_diag_kernel_alignment": (status, [c_i64, p_dbl, p_dbl, c_i64, c_i64, p_dbl]),
    "richeta_diag_cka": (status, [c_i64, p_dbl, p_dbl, p_dbl]),
    "richeta_diag_weight_movement": (status, [handle, p_dbl, c_i64]),
    "richeta_diag_preactivation_size": (status, [handle, p_dbl, c_i64, p_dbl, c_i64]),
    "richeta_diag_kernel_regression": (
        status,
        [handle, p_dbl, p_dbl, c_i64, p_dbl, c_i64, c_dbl, p_dbl],
    ),
}


class _Missing:
    """Stand-in for a function the loaded library does not export (an older
    or partial build): calling it raises NotImplementedError."""

    def __init__(self, name, path):
        self.__name__ = name
        self._path = path

    def __call__(self, *args):
        raise NotImplementedError(
            "%s is not exported by %s (library older than the binding?)" % (self.__name__, self._path)
        )


def _candidates():
    """Library paths to try, in order of preference: RICHETA_LIBRARY,
    LIBRICHETA_PATH, the library `meson install` put next to this package,
    one bundled in the package (pip), a source checkout's build*/lib."""
    here = os.path.dirname(os.path.abspath(__file__))
    names = ("libricheta.so.%d" % EXPECTED_ABI, "libricheta.%d.dylib" % EXPECTED_ABI,
             "libricheta.so", "libricheta.dylib", "richeta.dll", "libricheta.dll")
    out = []
    full = os.environ.get("RICHETA_LIBRARY")
    if full:
        out.append(full)
    for d in filter(None, os.environ.get("LIBRICHETA_PATH", "").split(os.pathsep)):
        out.extend(os.path.join(d, n) for n in names)
    try:  # written by `meson install` only: the library installed with this package
        from . import _install_paths
    except ImportError:
        pass
    else:
        for d in (os.path.normpath(os.path.join(here, _install_paths.LIBDIR_RELATIVE)),
                  _install_paths.LIBDIR):
            out.extend(os.path.join(d, n) for n in names)
    out.extend(os.path.join(here, n) for n in names)
    # A source checkout: python/richeta -> <root>; meson build dirs build*/lib.
    d = here
    for _ in range(4):
        d = os.path.dirname(d)
        for n in names[:3]:
            out.extend(sorted(glob.glob(os.path.join(d, "build*", "lib", n))))
    return out


def _find_library():
    tried = []
    for path in _candidates():
        tried.append(path)
        if os.path.isfile(path):
            return path, tried
    sys_name = ctypes.util.find_library("richeta")
    if sys_name:
        return sys_name, tried + [sys_name]
    return None, tried + ["ctypes.util.find_library('richeta')"]


def load():
    """Find, load and type the library; return the ctypes.CDLL.

    Raises ImportError when no library is found, it cannot be loaded, or its
    ABI major differs from EXPECTED_ABI.
    """
    path, tried = _find_library()
    if os.environ.get("RICHETA_LIBRARY") and path != os.environ["RICHETA_LIBRARY"]:
        raise ImportError("RICHETA_LIBRARY=%s does not exist" % os.environ["RICHETA_LIBRARY"])
    if path is None:
        raise ImportError(
            "libricheta not found; set RICHETA_LIBRARY to the shared library or "
            "LIBRICHETA_PATH to its directory. Tried: " + ", ".join(tried)
        )
    from . import _coretype

    _coretype.prepare(path)  # OPENBLAS_CORETYPE, before OpenBLAS is loaded
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise ImportError("cannot load libricheta from %s: %s" % (path, e)) from e
    try:
        abi_fn = lib.richeta_abi_version
    except AttributeError as e:
        raise ImportError("%s is not libricheta (no richeta_abi_version)" % path) from e
    abi_fn.restype, abi_fn.argtypes = c_int, []
    abi = abi_fn()
    if abi != EXPECTED_ABI:
        raise ImportError(
            "libricheta at %s has ABI version %d but this binding needs ABI %d; "
            "install a matching library or binding" % (path, abi, EXPECTED_ABI)
        )
    missing = []
    for name, (restype, argtypes) in SIGNATURES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            setattr(lib, name, _Missing(name, path))
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    lib._richeta_path = path
    lib._richeta_missing = tuple(missing)
    return lib


lib = load()
path = lib._richeta_path
#: Functions of the binding that the loaded library lacks (empty when complete).
missing_symbols = lib._richeta_missing
