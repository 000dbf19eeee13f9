"""Configuration of the synthetic CHB-MIT patient generator."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from seizurepred._validate import check_number, check_option
from seizurepred.errors import ConfigError

#: Sampling rate of every synthetic file (the CHB-MIT rate).
SFREQ = 256

#: Kinds of planted preictal signature (see :mod:`seizurepred.synth.signatures`).
SignatureKind = Literal["focal", "diffuse", "synchrony", "none"]
SIGNATURE_KINDS: tuple[str, ...] = ("focal", "diffuse", "synchrony", "none")

_PATIENT_RE = re.compile(r"^chb\d{2}[a-z]?$")


def _check_range(name: str, value: object, *, min_value: float, max_value: float) -> tuple[float, float]:
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ConfigError(f"Invalid value for {name!r}: allowed a (low, high) pair; got {value!r}.")
    lo = check_number(f"{name}[0]", value[0], min_value=min_value, max_value=max_value)
    hi = check_number(f"{name}[1]", value[1], min_value=min_value, max_value=max_value)
    if hi < lo:
        raise ConfigError(f"Invalid value for {name!r}: allowed low <= high; got {tuple(value)!r}.")
    return float(lo), float(hi)


@dataclass(frozen=True)
class SynthConfig:
    """What synthetic patient to write.

    Attributes
    ----------
    patient : str
        Case name (``"chb01"``); files are ``<patient>_NN.edf``.
    hours : float
        Recorded hours (sum of file lengths, gaps not counted). Split into files of ``file_hours``; the last file
        holds the remainder.
    n_seizures : int
        Number of seizures.
    preictal_min : float
        Length of the planted preictal signature before each onset, in minutes.
    signature_kind : {"focal", "diffuse", "synchrony", "none"}
        What the planted preictal signature is: focal theta power, diffuse beta power, hemispheric synchrony,
        or nothing (see :mod:`seizurepred.synth.signatures` for each kind and its calibration).
    signature_strength : float
        Strength of the preictal signature; the power of the change at onset scales linearly with it (0: none;
        1: e.g. focal 4-8 Hz bipolar power about 9x background at onset, 6-16x by patient; 0.05: about 1.4x). For
        ``"synchrony"`` it is the shared fraction of the rhythm's power at onset, at most 1.
    null : bool
        Null patient: no preictal signature whatever ``signature_kind`` and ``signature_strength`` say (the
        same as ``signature_kind="none"``).
    seed : int
        Seed of everything random; the same config gives identical bytes (on one platform).
    file_hours : float
        Nominal file length in hours (whole seconds); seizure files may be cut shorter.
    gap_s : tuple of float
        Range of the usual gap between consecutive files, seconds.
    long_gap_prob : float
        Probability that a gap is long instead (drawn from ``long_gap_s``).
    long_gap_s : tuple of float
        Range of long gaps, seconds (below 12 h).
    seizure_s : tuple of float
        Range of seizure durations, seconds.
    min_first_onset_h : float
        Earliest first onset, in recorded hours from the start of the first file.
    min_onset_spacing_h : float
        Least spacing between consecutive onsets, in recorded hours.
    channel_change : bool
        Add a ``Channels changed:`` block: from a middle file on, files carry dummy ``-`` channels and an ECG.
    short_seizure_files : bool
        Cut some seizure files short (as in the real data), a few minutes after the seizure.
    artefacts : bool
        Add eye blinks, muscle bursts and electrode pops.
    """

    patient: str = "chb01"
    hours: float = 24.0
    n_seizures: int = 4
    preictal_min: float = 30.0
    signature_kind: SignatureKind = "focal"
    signature_strength: float = 1.0
    null: bool = False
    seed: int = 0
    file_hours: float = 1.0
    gap_s: tuple[float, float] = (3.0, 10.0)
    long_gap_prob: float = 0.05
    long_gap_s: tuple[float, float] = (600.0, 3600.0)
    seizure_s: tuple[float, float] = (15.0, 90.0)
    min_first_onset_h: float = 5.0
    min_onset_spacing_h: float = 2.0
    channel_change: bool = False
    short_seizure_files: bool = True
    artefacts: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.patient, str) or not _PATIENT_RE.match(self.patient):
            raise ConfigError(
                f"Invalid value for 'patient': allowed a case name like 'chb01'; got {self.patient!r}."
            )
        check_number("hours", self.hours, min_value=0.0, inclusive_min=False, max_value=1000.0)
        check_number("n_seizures", self.n_seizures, min_value=0, max_value=500, integer=True)
        check_number("preictal_min", self.preictal_min, min_value=0.0, inclusive_min=False, max_value=24 * 60)
        check_option("signature_kind", self.signature_kind, SIGNATURE_KINDS)
        max_strength = 1.0 if self.signature_kind == "synchrony" else 100.0
        check_number("signature_strength", self.signature_strength, min_value=0.0, max_value=max_strength)
        check_number("seed", self.seed, min_value=0, integer=True)
        check_number("file_hours", self.file_hours, min_value=1 / 60, max_value=24.0)
        check_number("long_gap_prob", self.long_gap_prob, min_value=0.0, max_value=1.0)
        for name in ("null", "channel_change", "short_seizure_files", "artefacts"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(
                    f"Invalid value for {name!r}: allowed True, False; got {getattr(self, name)!r}."
                )
        object.__setattr__(self, "gap_s", _check_range("gap_s", self.gap_s, min_value=0.0, max_value=3600.0))
        object.__setattr__(
            self,
            "long_gap_s",
            _check_range("long_gap_s", self.long_gap_s, min_value=0.0, max_value=11 * 3600.0),
        )
        object.__setattr__(
            self, "seizure_s", _check_range("seizure_s", self.seizure_s, min_value=5.0, max_value=600.0)
        )
        check_number("min_first_onset_h", self.min_first_onset_h, min_value=0.0)
        check_number("min_onset_spacing_h", self.min_onset_spacing_h, min_value=0.0)
        if self.n_seizures and self.min_first_onset_h * 60.0 < self.preictal_min + 1.0:
            raise ConfigError(
                f"Invalid value for 'min_first_onset_h': allowed >= preictal_min + 1 min "
                f"({(self.preictal_min + 1.0) / 60:g} h) so the first preictal period is recorded; "
                f"got {self.min_first_onset_h!r}."
            )
        self._check_fits()

    def _check_fits(self) -> None:
        if self.n_seizures == 0:
            return
        need_h = (
            self.min_first_onset_h
            + (self.n_seizures - 1) * self.min_onset_spacing_h
            + (self.seizure_s[1] + 300.0) / 3600.0
        )
        if self.hours < need_h:
            raise ConfigError(
                f"Invalid value for 'hours': allowed >= {math.ceil(need_h * 100) / 100:g} for {self.n_seizures} "
                f"seizures (min_first_onset_h + spacing + last seizure); got {self.hours!r}."
            )
        if self.file_s < self.seizure_s[1] + 240.0:
            raise ConfigError(
                f"Invalid value for 'file_hours': allowed files longer than the longest seizure + 4 min; "
                f"got {self.file_hours!r}."
            )

    @property
    def kind(self) -> SignatureKind:
        """Effective signature kind: ``"none"`` when ``null`` or the strength is 0, else ``signature_kind``."""
        return "none" if self.null or self.signature_strength == 0 else self.signature_kind

    @property
    def strength(self) -> float:
        """Effective signature strength (0 when :attr:`kind` is ``"none"``)."""
        return 0.0 if self.kind == "none" else float(self.signature_strength)

    @property
    def file_s(self) -> int:
        """Nominal file length in whole seconds."""
        return int(round(self.file_hours * 3600.0))

    @property
    def total_s(self) -> int:
        """Recorded seconds in total (whole seconds)."""
        return int(round(self.hours * 3600.0))
