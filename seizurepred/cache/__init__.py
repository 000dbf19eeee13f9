"""The signal cache: each recording read and preprocessed once per patient (CAR + band-pass), stored as float32.

Submodules: :mod:`.preprocess` (common-average reference and FIR band-pass), :mod:`.store` (the keyed,
crash-safe, checksummed store of preprocessed signals), :mod:`.ingest` (building entries from EDF files),
:mod:`.patient` (a patient made ready for a sweep).
"""

from seizurepred.cache.ingest import CacheReport, CacheWarning, build_cache
from seizurepred.cache.patient import PatientData, prepare_for_sweep, prepare_patient, resolve_channel_set
from seizurepred.cache.preprocess import PreprocessConfig, preprocess
from seizurepred.cache.store import SignalCache

__all__ = [
    "CacheReport",
    "CacheWarning",
    "PatientData",
    "PreprocessConfig",
    "SignalCache",
    "build_cache",
    "prepare_for_sweep",
    "prepare_patient",
    "preprocess",
    "resolve_channel_set",
]
