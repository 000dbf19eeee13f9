"""seizurepred: patient-specific seizure prediction from scalp EEG (CHB-MIT layout).

The data flow is one-directional (see ``docs/design.md`` in the repository)::

    summaries -> Manifest -> RecordingReader -> SignalCache -> Segments -> WindowIndex
    -> Dataset + splits -> model -> TrainResult -> continuous output -> EvalResult -> CIOPR -> SweepResult
"""

import logging

from seizurepred._version import __version__
from seizurepred.errors import (
    ConfigError,
    EDFError,
    ManifestError,
    MontageError,
    SeizurepredError,
)

logger = logging.getLogger("seizurepred")
logger.addHandler(logging.NullHandler())

__all__ = [
    "__version__",
    "logger",
    "SeizurepredError",
    "ConfigError",
    "ManifestError",
    "MontageError",
    "EDFError",
]
