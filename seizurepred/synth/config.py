"""Configuration of the synthetic CHB-MIT patient generator."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from seizurepred._validate import check_number, check_option
from seizurepred.errors import ConfigError

#: Sampling rate of every synthetic file (the CHB-MIT rate).
SFREQ = 256

#: Kinds of planted preictal signature (see :mod:`seizurepred.synth.signatures`).
SignatureKind = Literal["focal", "diffuse", "synchrony", "none"]
SIGNATURE_KINDS: tuple[str, ...] = ("focal", "diffuse", "synchrony", "none")

#: How the planted change grows from its start to onset (see :func:`seizurepred.synth.signatures.onset_profile`).
OnsetShape = Literal["linear", "raised_cosine", "sigmoid", "step"]
ONSET_SHAPES: tuple[str, ...] = ("linear", "raised_cosine", "sigmoid", "step")

#: Longest planted preictal signature, minutes (one day).
MAX_PREICTAL_MIN = 24 * 60.0

_PATIENT_RE = re.compile(r"^chb\d{2}[a-z]?$")


def _check_lengths(name: str, value: object) -> tuple[float, ...]:
    """A non-empty sequence of planted lengths in minutes, each in (0, MAX_PREICTAL_MIN], as a tuple of float."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) == 0:
        raise ConfigError(
            f"Invalid value for {name!r}: allowed a non-empty sequence of lengths in minutes (one per seizure); "
            f"got {value!r}."
        )
    for i, v in enumerate(value):
        check_number(f"{name}[{i}]", v, min_value=0.0, inclusive_min=False, max_value=MAX_PREICTAL_MIN)
    return tuple(float(v) for v in value)


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
    onset_shape : {"linear", "raised_cosine", "sigmoid", "step"}
        How the power of the change grows from its planted start to onset (see
        :func:`~seizurepred.synth.signatures.onset_profile`): ``"linear"`` (the default, byte-identical to the
        generator before the option existed), ``"raised_cosine"`` (slow start, ``0.5 - 0.5 cos(pi u)``),
        ``"sigmoid"`` (slow start and slow finish, a logistic rescaled to 0 at the start and 1 at onset) or
        ``"step"`` (the full strength from the start to onset).
    preictal_mins : tuple of float or None
        Planted length before each seizure, minutes, in chronological order (one per seizure); overrides
        ``preictal_min`` for planting. ``None``: every seizure gets ``preictal_min`` (or a jittered length).
    preictal_jitter_min : float
        Each seizure's planted length is drawn uniformly from ``preictal_min +- preictal_jitter_min`` (own
        random stream; median ``preictal_min`` over a population); 0 (default): every seizure gets
        ``preictal_min``. Must be below ``preictal_min``; not with ``preictal_mins``.
    like : str or None
        A case with a committed manifest (``"chb03"``): the files, clock times, channels and seizures are that
        case's (:func:`~seizurepred.synth.layout.plans_from_manifest`) and ``patient`` must name it; the layout
        fields (``hours``, ``n_seizures``, ``file_hours``, ``gap_s``, ``long_gap_prob``, ``long_gap_s``,
        ``seizure_s``, ``min_first_onset_h``, ``min_onset_spacing_h``, ``channel_change``,
        ``short_seizure_files``) are then not used (see :func:`seizurepred.synth.like.like_config`, which sets
        ``hours`` and ``n_seizures`` to the case's for the record).
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
    onset_shape: OnsetShape = "linear"
    preictal_mins: tuple[float, ...] | None = None
    preictal_jitter_min: float = 0.0
    like: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.patient, str) or not _PATIENT_RE.match(self.patient):
            raise ConfigError(
                f"Invalid value for 'patient': allowed a case name like 'chb01'; got {self.patient!r}."
            )
        if self.like is not None:
            if not isinstance(self.like, str) or not _PATIENT_RE.match(self.like):
                raise ConfigError(
                    f"Invalid value for 'like': allowed a case name like 'chb03' or None; got {self.like!r}."
                )
            if self.patient != self.like:
                raise ConfigError(
                    f"Invalid value for 'patient': allowed {self.like!r} (the 'like' case); got {self.patient!r}."
                )
        check_number("hours", self.hours, min_value=0.0, inclusive_min=False, max_value=1000.0)
        check_number("n_seizures", self.n_seizures, min_value=0, max_value=500, integer=True)
        check_number(
            "preictal_min", self.preictal_min, min_value=0.0, inclusive_min=False, max_value=MAX_PREICTAL_MIN
        )
        check_option("onset_shape", self.onset_shape, ONSET_SHAPES)
        self._check_planted_lengths()
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
        longest = self.longest_preictal_min
        if self.like is None and self.n_seizures and self.min_first_onset_h * 60.0 < longest + 1.0:
            what = "preictal_min" if longest == self.preictal_min else "the longest planted length"
            raise ConfigError(
                f"Invalid value for 'min_first_onset_h': allowed >= {what} + 1 min "
                f"({(longest + 1.0) / 60:g} h) so the first preictal period is recorded; "
                f"got {self.min_first_onset_h!r}."
            )
        self._check_fits()

    def _check_planted_lengths(self) -> None:
        check_number(
            "preictal_jitter_min",
            self.preictal_jitter_min,
            min_value=0.0,
            max_value=self.preictal_min,
            inclusive_max=False,
        )
        if self.preictal_mins is None:
            return
        object.__setattr__(self, "preictal_mins", _check_lengths("preictal_mins", self.preictal_mins))
        if self.preictal_jitter_min:
            raise ConfigError(
                f"Invalid value for 'preictal_jitter_min': allowed 0 when 'preictal_mins' is given; "
                f"got {self.preictal_jitter_min!r}."
            )
        if self.like is None and len(self.preictal_mins) != self.n_seizures:
            raise ConfigError(
                f"Invalid value for 'preictal_mins': allowed one length per seizure ({self.n_seizures}); "
                f"got {len(self.preictal_mins)} value(s)."
            )

    def _check_fits(self) -> None:
        if self.n_seizures == 0 or self.like is not None:
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

    @property
    def longest_preictal_min(self) -> float:
        """The longest planted length any seizure can get, minutes."""
        if self.preictal_mins is not None:
            return max(self.preictal_mins)
        return float(self.preictal_min + self.preictal_jitter_min)

    def planted_preictal_mins(self, n_seizures: int) -> tuple[float, ...]:
        """Planted length before each of ``n_seizures`` seizures (chronological), minutes.

        ``preictal_mins`` when given (its length must be ``n_seizures``), else ``preictal_min`` for every
        seizure, or with ``preictal_jitter_min`` a draw from ``preictal_min +- preictal_jitter_min`` per seizure
        (its own random stream of the seed, so the rest of the patient does not change).

        Raises
        ------
        ConfigError
            ``preictal_mins`` does not have one length per seizure.
        """
        if self.preictal_mins is not None:
            if len(self.preictal_mins) != n_seizures:
                case = f" of {self.like}" if self.like else ""
                raise ConfigError(
                    f"Invalid value for 'preictal_mins': allowed one length per seizure{case} ({n_seizures}); "
                    f"got {len(self.preictal_mins)} value(s)."
                )
            return self.preictal_mins
        if not self.preictal_jitter_min:
            return (float(self.preictal_min),) * n_seizures
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 7]))
        jitter = rng.uniform(-self.preictal_jitter_min, self.preictal_jitter_min, n_seizures)
        return tuple(float(self.preictal_min + j) for j in jitter)
