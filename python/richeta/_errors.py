"""Exceptions: one class per status code, grouped into families.

Every failing call raises a subclass of :class:`RichetaError` carrying the
status code, its name and the library's detailed message. Classes also
derive from the matching built-in exception so that generic handlers keep
working: bad values (NULL, invalid, out of range, non-finite, a malformed
file or string, a bad checksum, a foreign version) are ValueErrors, only a
failure of the operating system's I/O is an OSError, out of memory is a
MemoryError.
"""

import enum

from ._lib import lib

__all__ = [
    "Status", "RichetaError", "ArgumentError", "ResourceError", "UnsupportedError", "FileError",
    "StateError", "TrainingError", "BufferError_", "CallbackError", "ExternalError",
    "InternalError", "NullArgumentError", "InvalidArgumentError", "RangeError",
    "SizeOverflowError", "NonFiniteError", "NoMemoryError", "IOFailure", "FormatError",
    "ChecksumError", "VersionError", "MismatchError", "WrongStateError", "DivergedError",
    "BufferTooSmallError", "CallbackFailedError", "AbortedError", "DatabaseError",
    "ExternalProgramError", "ConcurrentUseError", "error_class",
]


class Status(enum.IntEnum):
    """``richeta_status`` codes."""

    OK = 0
    ERR_NULL = 1
    ERR_INVALID = 2
    ERR_RANGE = 3
    ERR_OVERFLOW = 4
    ERR_NOMEM = 5
    ERR_UNSUPPORTED = 6
    ERR_IO = 7
    ERR_FORMAT = 8
    ERR_CHECKSUM = 9
    ERR_VERSION = 10
    ERR_MISMATCH = 11
    ERR_STATE = 12
    ERR_NONFINITE = 13
    ERR_DIVERGED = 14
    ERR_BUFFER_TOO_SMALL = 15
    ERR_CALLBACK = 16
    ERR_ABORTED = 17
    ERR_DATABASE = 18
    ERR_EXTERNAL = 19
    ERR_INTERNAL = 20


class RichetaError(Exception):
    """A libricheta call failed.

    Attributes: ``status`` (int code), ``status_name`` (e.g. "ERR_RANGE"),
    ``message`` (the library's detailed message), ``function`` (C name).
    """

    def __init__(self, status, message="", function=None):
        self.status = int(status)
        try:
            self.status_name = Status(self.status).name
        except ValueError:
            self.status_name = "status %d" % self.status
        self.message = message or ""
        self.function = function
        text = lib.richeta_status_string(self.status).decode("utf-8", "replace")
        where = "%s: " % function if function else ""
        detail = " (%s)" % self.message if self.message and self.message != text else ""
        super().__init__("%s%s [%s]%s" % (where, text, self.status_name, detail))


# --- families ---
class ArgumentError(RichetaError, ValueError):
    """Bad argument: NULL, invalid, out of range, overflowing, non-finite."""


class ResourceError(RichetaError, MemoryError):
    """Out of memory."""


class UnsupportedError(RichetaError, NotImplementedError):
    """Valid request this build or object does not support."""


class FileError(RichetaError):
    """I/O, format, checksum and version errors of files and strings (only
    :class:`IOFailure` is an OSError; the others are ValueErrors)."""


class StateError(RichetaError, RuntimeError):
    """Objects that do not fit together, or a call in the wrong state."""


class TrainingError(RichetaError, ArithmeticError):
    """Training produced a non-finite or blown-up loss."""


class BufferError_(RichetaError, BufferError):
    """A caller buffer was too small (the binding sizes buffers itself, so
    seeing this means a bug or a concurrent change)."""


class CallbackError(RichetaError, RuntimeError):
    """A user callback failed or asked to stop."""


class ExternalError(RichetaError, RuntimeError):
    """The results database or an external program failed."""


class InternalError(RichetaError, RuntimeError):
    """An internal invariant of the library was violated (please report)."""


# --- one class per status ---
class NullArgumentError(ArgumentError):
    """A required argument was NULL (None)."""


class InvalidArgumentError(ArgumentError):
    """An argument is invalid (wrong kind, NaN, unknown name...)."""


class RangeError(ArgumentError):
    """A value lies outside its documented bounds."""


class SizeOverflowError(ArgumentError, OverflowError):
    """A size computation would overflow."""


class NonFiniteError(ArgumentError):
    """NaN or infinity in an input or hyperparameter."""


class NoMemoryError(ResourceError):
    """An allocation failed."""


class IOFailure(FileError, OSError):
    """The operating system's I/O failed (open, read, write, rename...)."""


class FormatError(FileError, ValueError):
    """A file or string is malformed (a bad value, not an I/O failure)."""


class ChecksumError(FileError, ValueError):
    """A stored checksum does not match the contents."""


class VersionError(FileError, ValueError):
    """A file or object from an incompatible format version."""


class MismatchError(StateError):
    """Objects or files do not fit together (shapes, configuration)."""


class WrongStateError(StateError):
    """The call is not valid in the object's current state."""


class ConcurrentUseError(WrongStateError):
    """One handle (or handles sharing state) used from two threads at once:
    raised by the binding before the C call (the library does not lock)."""


class DivergedError(TrainingError):
    """Training produced a non-finite or blown-up loss."""


class BufferTooSmallError(BufferError_):
    """A caller buffer was too small."""


class CallbackFailedError(CallbackError):
    """A user callback reported an error."""


class AbortedError(CallbackError):
    """A user callback asked to stop."""


class DatabaseError(ExternalError):
    """The results database reported an error."""


class ExternalProgramError(ExternalError):
    """An external program failed or is missing (e.g. gnuplot)."""


_BY_STATUS = {
    Status.ERR_NULL: NullArgumentError,
    Status.ERR_INVALID: InvalidArgumentError,
    Status.ERR_RANGE: RangeError,
    Status.ERR_OVERFLOW: SizeOverflowError,
    Status.ERR_NOMEM: NoMemoryError,
    Status.ERR_UNSUPPORTED: UnsupportedError,
    Status.ERR_IO: IOFailure,
    Status.ERR_FORMAT: FormatError,
    Status.ERR_CHECKSUM: ChecksumError,
    Status.ERR_VERSION: VersionError,
    Status.ERR_MISMATCH: MismatchError,
    Status.ERR_STATE: WrongStateError,
    Status.ERR_NONFINITE: NonFiniteError,
    Status.ERR_DIVERGED: DivergedError,
    Status.ERR_BUFFER_TOO_SMALL: BufferTooSmallError,
    Status.ERR_CALLBACK: CallbackFailedError,
    Status.ERR_ABORTED: AbortedError,
    Status.ERR_DATABASE: DatabaseError,
    Status.ERR_EXTERNAL: ExternalProgramError,
    Status.ERR_INTERNAL: InternalError,
}


def error_class(status):
    """Exception class raised for ``status`` (RichetaError for unknown codes)."""
    try:
        return _BY_STATUS[Status(int(status))]
    except (ValueError, KeyError):
        return RichetaError


def tell_library(exc):
    """Hand the message of an exception raised in a Python callback to the
    library (richeta_callback_error), so that its own error message for the
    stopped call says why; the exception itself is re-raised afterwards."""
    if "richeta_callback_error" in lib._richeta_missing:
        return
    text = "%s: %s" % (type(exc).__name__, exc) if str(exc) else type(exc).__name__
    lib.richeta_callback_error(text.encode("utf-8", "replace")[:255])


def make_error(status, message, function=None):
    """The exception for ``status`` with the library's ``message``."""
    return error_class(status)(status, message, function)


def _decode(msg):
    return msg.decode("utf-8", "replace") if msg else ""


def check_global(st, function=None):
    """Raise for a non-OK status of a call without a handle (message from
    richeta_last_error(), read at once: it is overwritten by the next call)."""
    if st != 0:
        raise make_error(st, _decode(lib.richeta_last_error()), function)
