"""The project's own exception types.

Every error that bad input can cause is one of these, with a one-line message that names the file and line, or
the parameter, the allowed values and what was received.
"""


class SeizurepredError(Exception):
    """Base class of every error seizurepred raises on purpose."""


class ConfigError(SeizurepredError, ValueError):
    """An invalid parameter or configuration value.

    Message grammar: ``Invalid value for 'NAME': allowed ...; got ...``.
    """


class ManifestError(SeizurepredError, ValueError):
    """A summary, annotation or manifest file that cannot be parsed; names the file and, for text, the line."""


class EDFError(SeizurepredError, OSError):
    """An EDF file that cannot be read as such (truncated, inconsistent header, not EDF); names the file."""


class MontageError(SeizurepredError, ValueError):
    """A recording lacks a channel of the requested canonical channel set; names the file and the channels."""


class CacheError(SeizurepredError, OSError):
    """A signal-cache entry that is missing, stale or corrupt; names the entry."""


class SeizurepredWarning(UserWarning):
    """Base class of every warning seizurepred emits: a recoverable problem in the input, handled as documented."""


class ManifestWarning(SeizurepredWarning):
    """A summary that disagrees with the data it describes, resolved as documented (e.g. the EDF header wins)."""


class StorageError(SeizurepredError, OSError):
    """A file or folder that cannot be written or locked (read-only, below a file, disk full, held by another
    process); names the path and the operating system's reason."""


class DownloadError(SeizurepredError, OSError):
    """A file that could not be fetched or verified; names the URL or the file and the reason."""
