"""Python mirrors of the C enumerations (values are the ABI's)."""

import enum

__all__ = ["DType", "ParamType", "Param", "Arch", "ConvScale", "Parameterization", "Activation", "Loss", "Centering",
           "GammaRule", "Schedule", "Task", "RunState", "TwOption", "TwTime", "Norm"]


class DType(enum.IntEnum):
    AUTO = 0
    F32 = 1
    F64 = 2


class ParamType(enum.IntEnum):
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
    STEPS = 400
    LOG_PER_DECADE = 401
    BLOWUP = 402
    EVAL_SIZE = 403


class Arch(enum.IntEnum):
    """``richeta_arch``: the model's architecture (2 is reserved for the ResNet-18)."""

    MLP = 0
    CNN = 1


class ConvScale(enum.IntEnum):
    """``richeta_conv_scale``: what a convolution divides its output by."""

    CHANNELS = 0
    FAN_IN = 1


class Parameterization(enum.IntEnum):
    MF = 0
    NTK = 1
    SP = 2


class Activation(enum.IntEnum):
    RELU = 0
    TANH = 1
    GELU = 2
    IDENTITY = 3


class Loss(enum.IntEnum):
    MSE = 0
    CROSS_ENTROPY = 1


class Centering(enum.IntEnum):
    NONE = 0
    FROZEN = 1


class GammaRule(enum.IntEnum):
    NONE = 0
    THEORY = 1
    CUSTOM = 2


class Schedule(enum.IntEnum):
    CONSTANT = 0
    COSINE = 1
    STEP = 2


class Task(enum.IntEnum):
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
    AUTO = 0
    GAUSS = 1
    SIGN = 2


class RunState(enum.IntEnum):
    RUNNING = 0
    DONE = 1
    DIVERGED = 2


class TwOption(enum.IntEnum):
    SMOOTH_DECADES = 1
    MIN_DROP = 2
    MIN_PLATEAU_DECADES = 3
    DROP_SLOPE = 4
    PLATEAU_WINDOW = 5
    GRID_POINTS = 6
    MIN_OVERLAP = 7


class TwTime(enum.IntEnum):
    RAW = 0
    THEORY = 1
    POWER = 2
    EMPIRICAL = 3


class Norm(enum.IntEnum):
    NONE = 0
    PER_FEATURE = 1
    PER_CHANNEL = 2
    GLOBAL = 3
