"""The signal cache: each recording read and preprocessed once per patient (CAR + band-pass), stored as float32.

Submodules: :mod:`.preprocess` (common-average reference and FIR band-pass), :mod:`.store` (the keyed,
crash-safe store of preprocessed signals), :mod:`.patient` (a patient made ready for a sweep).
"""

from seizurepred.cache.patient import PatientData, prepare_for_sweep, prepare_patient, resolve_channel_set
from seizurepred.cache.preprocess import PreprocessConfig, preprocess
from seizurepred.cache.store import CacheReport, SignalCache

__all__ = [
    "CacheReport",
    "PatientData",
    "PreprocessConfig",
    "SignalCache",
    "prepare_for_sweep",
    "prepare_patient",
    "preprocess",
    "resolve_channel_set",
]
