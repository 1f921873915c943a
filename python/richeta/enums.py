"""Python mirrors of the C enumerations (values are the ABI's)."""

import enum

__all__ = ["DType", "ParamType", "Param", "Arch", "ConvScale", "Parameterization", "Activation", "Loss", "Centering",
           "GammaRule", "Schedule", "Task", "InputDist", "Labels", "RunState", "TwOption", "TwTime", "Norm",
           "Axis", "SweepMode", "SweepOption", "StepsLaw", "Journal", "RunStatus", "EtaStarFlag", "STATUS_WORDS",
           "status_word"]


class DType(enum.IntEnum):
    """``richeta_dtype``: floating-point precision of a model (AUTO: float64 when gamma < 1e-2)."""

    AUTO = 0
    F32 = 1
    F64 = 2


class ParamType(enum.IntEnum):
    """``richeta_param_type``: the value type of a configuration parameter."""

    INT = 1
    DOUBLE = 2
    STRING = 3


class Param(enum.IntEnum):
    """``richeta_param`` keys. The lower-case member name is accepted as an
    alias of the spec name (``width`` for ``N``, ``activation`` for ``act``)."""

    INPUT_DIM = 1
    WIDTH = 2
    OUTPUT_DIM = 3
    DEPTH = 4
    BIAS = 5
    PARAMETERIZATION = 6
    ACTIVATION = 7
    LOSS = 8
    DTYPE = 9
    CENTERING = 10
    GAMMA = 11
    SEED = 12
    BATCH = 13
    ARCH = 14
    IMAGE_CHANNELS = 15
    IMAGE_HEIGHT = 16
    IMAGE_WIDTH = 17
    CONV_SCALE = 18
    ETA0 = 100
    MOMENTUM = 101
    WEIGHT_DECAY = 102
    GAMMA_RULE = 200
    SCHEDULE = 201
    WARMUP_STEPS = 202
    DECAY_STEPS = 203
    DECAY_FACTOR = 204
    MIN_FACTOR = 205
    LAZY_EXPONENT = 206
    RICH_EXPONENT = 207
    CROSSOVER = 208
    RULE_PREFACTOR = 209
    TASK = 300
    TEACHER_WIDTH = 301
    TEACHER_DEPTH = 302
    TEACHER_ACTIVATION = 303
    LABEL_NOISE = 304
    DATA_SEED = 305
    DATA_PATH = 306
    TASK_DEGREE = 307
    TASK_INDICES = 308
    TASK_INPUTS = 309
    DATA_NORM = 310
    TASK_LABELS = 311
    STEPS = 400
    LOG_PER_DECADE = 401
    BLOWUP = 402
    EVAL_SIZE = 403


class Arch(enum.IntEnum):
    """``richeta_arch``: the model's architecture."""

    MLP = 0
    CNN = 1
    RESNET18 = 2


class ConvScale(enum.IntEnum):
    """``richeta_conv_scale``: what a convolution divides its output by."""

    CHANNELS = 0
    FAN_IN = 1


class Parameterization(enum.IntEnum):
    """``richeta_parameterization``: mean-field, NTK or standard parameterization."""

    MF = 0
    NTK = 1
    SP = 2


class Activation(enum.IntEnum):
    """``richeta_activation``: the hidden layers' nonlinearity."""

    RELU = 0
    TANH = 1
    GELU = 2
    IDENTITY = 3


class Loss(enum.IntEnum):
    """``richeta_loss``: mean squared error or cross-entropy."""

    MSE = 0
    CROSS_ENTROPY = 1


class Centering(enum.IntEnum):
    """``richeta_centering``: whether the output subtracts the frozen initial network."""

    NONE = 0
    FROZEN = 1


class GammaRule(enum.IntEnum):
    """``richeta_gamma_rule``: how the learning rate scales with gamma."""

    NONE = 0
    THEORY = 1
    CUSTOM = 2


class Schedule(enum.IntEnum):
    """``richeta_schedule``: the learning rate's time profile s(t)."""

    CONSTANT = 0
    COSINE = 1
    STEP = 2


class Task(enum.IntEnum):
    """``richeta_task``: where the training data come from."""

    LINEAR = 0
    MLP = 1
    CALLBACK = 2
    FILE = 3
    SINGLE_INDEX = 4
    MULTI_INDEX = 5
    STAIRCASE = 6
    PARITY = 7
    IMAGE_CNN = 8


class InputDist(enum.IntEnum):
    """``richeta_input_dist``: distribution of synthetic inputs."""

    AUTO = 0
    GAUSS = 1
    SIGN = 2


class RunState(enum.IntEnum):
    """``richeta_run_state``: state of a trainer (see :func:`status_word` for the words of the data contract)."""

    RUNNING = 0
    DONE = 1
    DIVERGED = 2


class TwOption(enum.IntEnum):
    """``richeta_tw_option``: numeric options of a curve set."""

    SMOOTH_DECADES = 1
    MIN_DROP = 2
    MIN_PLATEAU_DECADES = 3
    DROP_SLOPE = 4
    PLATEAU_WINDOW = 5
    GRID_POINTS = 6
    MIN_OVERLAP = 7


class TwTime(enum.IntEnum):
    """``richeta_tw_time``: time mappings of a curve set."""

    RAW = 0
    THEORY = 1
    POWER = 2
    EMPIRICAL = 3


class Norm(enum.IntEnum):
    """``richeta_norm``: normalization of a data set's inputs."""

    NONE = 0
    PER_FEATURE = 1
    PER_CHANNEL = 2
    GLOBAL = 3


class Labels(enum.IntEnum):
    """``richeta_labels``: targets of the teacher tasks (``labels`` key)."""

    NONE = 0
    ARGMAX = 1


class Axis(enum.IntEnum):
    """``richeta_sweep_axis``: the two grid axes of a sweep."""

    GAMMA = 0
    ETA0 = 1


class SweepMode(enum.IntEnum):
    """``richeta_sweep_mode``: every grid cell (DENSE) or a downward eta0 scan per gamma."""

    DENSE = 0
    ADAPTIVE = 1


class SweepOption(enum.IntEnum):
    """``richeta_sweep_option``: numeric options of a sweep (``Sweep(option=value)``)."""

    MODE = 1
    WORKERS = 2
    DECADES_BELOW = 3
    BLAS_SINGLE = 4
    PROGRESS = 5
    DURABLE = 6  #: 1: every stored run synced to disk (docs/store.md)
    SHARD_INDEX = 7
    SHARD_COUNT = 8
    JOURNAL = 9
    STEPS_LAW = 10  #: a StepsLaw: T of each run from gamma
    TAU_BUDGET = 11  #: StepsLaw.TAU: the budget in tau = eta t / gamma
    STEPS_MAX = 12  #: largest T of a steps law (0: 100 x T)


class StepsLaw(enum.IntEnum):
    """``richeta_sweep_steps_law``: how a sweep's T grows with gamma."""

    FIXED = 0
    ESCAPE = 1
    TAU = 2


class Journal(enum.IntEnum):
    """``richeta_sweep_journal``: SQLite journal of a sweep store."""

    WAL = 0
    DELETE = 1


class RunStatus(enum.IntEnum):
    """``richeta_sweep_run_status``: status of a stored run (its lower-case
    name is the run's status word in every output)."""

    CONVERGED = 1
    DIVERGED = 2
    FAILED = 3
    STALLED = 4


class EtaStarFlag(enum.IntFlag):
    """``richeta_eta_star_flag``: bits describing an eta* estimate."""

    MAX_AT_TOP = 1
    NONE = 2
    OPT_AT_EDGE = 4
    ABOVE_DIVERGENT = 8


#: The status words of the data contract (docs/output.md), one per outcome of
#: a run: the lower-case names of RunStatus, plus "running" (not finished).
STATUS_WORDS = ("running", "converged", "diverged", "stalled", "failed")

_RUN_STATE_WORDS = {0: "running", 1: "converged", 2: "diverged"}


def status_word(status):
    """The status word ("converged", "diverged", "stalled", "failed",
    "running") of a :class:`RunStatus` or :class:`RunState` member (a bare
    int is read as a RunStatus code). Raises ValueError for other values."""
    if isinstance(status, RunState):
        return _RUN_STATE_WORDS[int(status)]
    try:
        return RunStatus(int(status)).name.lower()
    except (TypeError, ValueError):
        raise ValueError("%r is not a run status" % (status,)) from None


def _member(cls, value, what=None):
    """The member of enumeration ``cls`` named ``value`` (any case) or equal
    to it: an unknown name or value is a ValueError (a bad argument), not the
    KeyError of ``cls[name]``."""
    if isinstance(value, str):
        try:
            return cls[value.upper()]
        except KeyError:
            pass
    elif not isinstance(value, bool):
        try:
            return cls(value)
        except (TypeError, ValueError):
            pass
    names = ", ".join(m.name.lower() for m in cls)
    raise ValueError("%s: unknown value %r (one of %s)" % (what or cls.__name__, value, names))
