"""EDF header parsing and validation: :func:`read_header`, :class:`EdfHeader`, :func:`check_calibration`.

:func:`read_header` parses EDF / EDF+ (continuous) headers as tolerantly as MNE and pyedflib (stripped fields,
odd spacing, ``n_records = -1``); a truncated last data record, or a header claiming more records than the file
holds, gives an :class:`EDFWarning` and only the whole records count; a header claiming fewer is obeyed. Non-EDF
bytes, a truncated or malformed header and EDF+D raise a one-line :class:`~seizurepred.errors.EDFError` naming the
file.

Calibration is ``physical = digital * gain + offset`` with ``gain = (pmax - pmin) / (dmax - dmin)``. It is parsed
for every channel but judged (:func:`check_calibration`) only for the channels a caller reads: CHB-MIT's dummy
channels (``-``, ``.``) have digital min == max (gain NaN) and must not make a file unreadable.
"""

from __future__ import annotations

import logging
import math
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from seizurepred.errors import EDFError, SeizurepredWarning
from seizurepred.io.montage import is_matchable

logger = logging.getLogger(__name__)

__all__ = ["EDFWarning", "EdfHeader", "check_calibration", "read_header"]

_FIXED = (
    ("version", 8),
    ("patient", 80),
    ("recording", 80),
    ("start_date", 8),
    ("start_time", 8),
    ("header_bytes", 8),
    ("reserved", 44),
    ("n_records", 8),
    ("record_duration", 8),
    ("n_signals", 4),
)
_PER_CHANNEL = (("label", 16), ("transducer", 80), ("physical_dimension", 8), ("physical_min", 8),
                ("physical_max", 8), ("digital_min", 8), ("digital_max", 8), ("prefilter", 80),
                ("samples_per_record", 8), ("reserved", 32))  # fmt: skip
_CAL_KEYS = ("physical_min", "physical_max", "digital_min", "digital_max")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


class EDFWarning(SeizurepredWarning):
    """A recoverable EDF problem (truncated last record, header claiming more records than the file holds)."""


@dataclass(frozen=True)
class EdfHeader:
    """The parsed header of one EDF file.

    Attributes
    ----------
    path : Path
        The file.
    start_datetime : datetime
        Recording start (EDF two-digit years: 85-99 -> 19xx, else 20xx; EDF+ four-digit year when given).
    n_records : int
        Number of whole data records that will be read (the header's count, or fewer when the file is shorter,
        or the count computed from the file size when the header says -1).
    record_duration_s : float
        Duration of one data record in seconds.
    labels : tuple of str
        Channel labels (stripped) in file order, duplicates and dummy channels included.
    samples_per_record : tuple of int
        Samples per data record of each channel.
    physical_min, physical_max, digital_min, digital_max : tuple of float
        Calibration of each channel.
    header_bytes : int
        Size of the header, i.e. offset of the first data record.
    n_records_header : int
        The number of records the header states (may be -1 or disagree with the file).
    physical_dimension : tuple of str
        Unit of each channel (e.g. ``"uV"``).
    gain, offset : tuple of float
        Per-channel calibration ``physical = digital * gain + offset`` in the channel's unit; NaN for channels
        whose digital minimum equals their maximum (dummy channels, never read).
    """

    path: Path
    start_datetime: datetime
    n_records: int
    record_duration_s: float
    labels: tuple[str, ...]
    samples_per_record: tuple[int, ...]
    physical_min: tuple[float, ...]
    physical_max: tuple[float, ...]
    digital_min: tuple[float, ...]
    digital_max: tuple[float, ...]
    header_bytes: int
    n_records_header: int = -1
    physical_dimension: tuple[str, ...] = ()
    gain: tuple[float, ...] = field(init=False)
    offset: tuple[float, ...] = field(init=False)

    def __post_init__(self) -> None:
        pmin, pmax, dmin, dmax = (np.asarray(getattr(self, k), dtype=np.float64) for k in _CAL_KEYS)
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(dmax != dmin, (pmax - pmin) / (dmax - dmin), np.nan)
        object.__setattr__(self, "gain", tuple(gain.tolist()))
        object.__setattr__(self, "offset", tuple((pmin - dmin * gain).tolist()))

    @property
    def n_channels(self) -> int:
        """Number of channels in the file (all of them)."""
        return len(self.labels)

    @property
    def record_len(self) -> int:
        """Samples (int16 values) per data record, summed over all channels."""
        return int(sum(self.samples_per_record))

    @property
    def sfreq(self) -> float:
        """Sampling rate in Hz of the EEG channels (dummy and non-EEG channels ignored).

        Raises
        ------
        EDFError
            The EEG channels have different sampling rates, or the file has no EEG channel.
        """
        idx = [i for i, lab in enumerate(self.labels) if is_matchable(lab)]
        if not idx:
            raise EDFError(f"{self.path}: no EEG channel, so no sampling rate.")
        return _common_sfreq(self, idx)

    @property
    def duration_s(self) -> float:
        """Duration of the readable data in seconds (``n_records * record_duration_s``)."""
        return self.n_records * self.record_duration_s

    @property
    def n_samples(self) -> int:
        """Samples per EEG channel in the readable data."""
        return int(round(self.duration_s * self.sfreq))


def _common_sfreq(header: EdfHeader, idx: Sequence[int]) -> float:
    spr = {header.samples_per_record[i] for i in idx}
    if len(spr) != 1:
        rates = sorted(s / header.record_duration_s for s in spr)
        raise EDFError(f"{header.path}: channels have different sampling rates {rates} Hz; expected one.")
    return spr.pop() / header.record_duration_s


def _text(raw: bytes) -> str:
    return raw.decode("latin-1").strip(" \t\r\n\x00")


def _number(raw: bytes, name: str, path: Path, *, integer: bool = False) -> float:
    text = _text(raw).replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise EDFError(f"{path}: header field {name!r} is not a number: {text!r}.") from None
    if not math.isfinite(value) or (integer and not value.is_integer()):
        raise EDFError(
            f"{path}: header field {name!r} is not a valid {'integer' if integer else 'number'}: {text!r}."
        )
    return int(value) if integer else value


def _split_fields(block: bytes, spec: Sequence[tuple[str, int]], n: int) -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = {}
    pos = 0
    for name, width in spec:
        out[name] = [block[pos + i * width : pos + (i + 1) * width] for i in range(n)]
        pos += n * width
    return out


def _parse_start(date_raw: bytes, time_raw: bytes, recording: str, path: Path) -> datetime:
    date_m = re.fullmatch(r"(\d{1,2})\D(\d{1,2})\D(\d{1,2})", _text(date_raw))
    time_m = re.fullmatch(r"(\d{1,2})\D(\d{1,2})\D(\d{1,2})", _text(time_raw))
    if not date_m or not time_m:
        raise EDFError(
            f"{path}: header start date/time {_text(date_raw)!r} {_text(time_raw)!r} is not dd.mm.yy hh.mm.ss."
        )
    day, month, yy = (int(g) for g in date_m.groups())
    year = 1900 + yy if yy >= 85 else 2000 + yy
    plus = re.search(r"Startdate\s+(\d{1,2})-([A-Z]{3})-(\d{4})", recording.upper())
    if plus and plus.group(2) in _MONTHS:
        year = int(plus.group(3))
    try:
        return datetime(year, month, day, *(int(g) for g in time_m.groups()))
    except ValueError as exc:
        raise EDFError(f"{path}: header start date/time is invalid ({exc}).") from None


def _read_fixed(path: Path, fh) -> tuple[dict[str, bytes], int]:
    head = fh.read(256)
    if len(head) < 256:
        raise EDFError(f"{path}: not an EDF file (only {len(head)} bytes, the header needs 256).")
    fixed = {k: v[0] for k, v in _split_fields(head, _FIXED, 1).items()}
    version = fixed["version"]
    if version.startswith(b"\xffBIOSEMI"):
        raise EDFError(f"{path}: BDF (24-bit) files are not supported; expected EDF.")
    if _text(version) != "0":
        raise EDFError(f"{path}: not an EDF file (version field {version!r}, expected '0').")
    n_signals = _number(fixed["n_signals"], "number of signals", path, integer=True)
    if n_signals <= 0:
        raise EDFError(f"{path}: header states {n_signals} signals; expected at least 1.")
    return fixed, int(n_signals)


def read_header(path: str | os.PathLike) -> EdfHeader:
    """Read the header of an EDF or EDF+ (continuous) file.

    Parameters
    ----------
    path : str or path-like
        The EDF file.

    Returns
    -------
    EdfHeader
        With ``n_records`` reconciled against the file size (see the module docstring).

    Raises
    ------
    EDFError
        Not an EDF file, truncated or malformed header, EDF+D (discontinuous) file; the message names the file.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            fixed, ns = _read_fixed(path, fh)
            block = fh.read(256 * ns)
            file_size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        if isinstance(exc, EDFError):
            raise
        raise EDFError(f"{path}: cannot read ({exc.strerror or exc}).") from None
    if len(block) < 256 * ns:
        raise EDFError(
            f"{path}: truncated header ({256 + len(block)} bytes; {ns} signals need {256 * (ns + 1)})."
        )
    reserved = _text(fixed["reserved"]).upper()
    if reserved.startswith("EDF+D"):
        raise EDFError(f"{path}: discontinuous EDF+ (EDF+D) is not supported.")
    header_bytes = 256 * (ns + 1)
    stated = _number(fixed["header_bytes"], "header bytes", path, integer=True)
    if stated != header_bytes:
        _warn(
            f"{path}: header states {stated} header bytes; using {header_bytes} = 256 * (signals + 1).",
            stacklevel=3,
        )
    per = _split_fields(block, _PER_CHANNEL, ns)
    spr = tuple(int(_number(v, "samples per record", path, integer=True)) for v in per["samples_per_record"])
    if min(spr) <= 0:
        raise EDFError(f"{path}: header states {min(spr)} samples per record for a channel; expected > 0.")
    record_duration_s = float(_number(fixed["record_duration"], "record duration", path))
    if record_duration_s <= 0:
        raise EDFError(f"{path}: header states a record duration of {record_duration_s} s; expected > 0.")
    cal = {k: tuple(float(_number(v, k, path)) for v in per[k]) for k in _CAL_KEYS}
    n_stated = int(_number(fixed["n_records"], "number of data records", path, integer=True))
    n_records = _reconcile_records(path, n_stated, file_size - header_bytes, 2 * sum(spr))
    return EdfHeader(
        path=path,
        start_datetime=_parse_start(
            fixed["start_date"], fixed["start_time"], _text(fixed["recording"]), path
        ),
        n_records=n_records,
        record_duration_s=record_duration_s,
        labels=tuple(_text(v) for v in per["label"]),
        samples_per_record=spr,
        header_bytes=header_bytes,
        n_records_header=n_stated,
        physical_dimension=tuple(_text(v) for v in per["physical_dimension"]),
        **cal,
    )


def _reconcile_records(path: Path, n_stated: int, data_bytes: int, record_bytes: int) -> int:
    """Number of whole records to read, given the header's count and the bytes the file holds."""
    n_whole, rest = divmod(max(data_bytes, 0), record_bytes)
    if n_stated < -1:
        raise EDFError(f"{path}: header states {n_stated} data records; expected >= 0 or -1.")
    if n_stated == -1 or n_stated > n_whole:
        if rest and n_stated in (-1, n_whole + 1):
            what = f"a truncated last data record ({rest} of {record_bytes} bytes)"
        else:
            what = f"only {n_whole} whole data records" + (f" and {rest} stray bytes" if rest else "")
        if n_stated != -1 or rest:
            said = "" if n_stated == -1 else f"header states {n_stated} data records but "
            _warn(f"{path}: {said}the file holds {what}; kept {n_whole} whole records.")
        return n_whole
    if n_stated < n_whole:
        _warn(
            f"{path}: header states {n_stated} data records but the file holds {n_whole}; kept the "
            f"{n_stated} the header states ({n_whole - n_stated} records after them are not read)."
        )
    elif rest:
        logger.debug("%s: %d stray bytes after the %d data records are ignored", path, rest, n_stated)
    return n_stated


def _warn(message: str, *, stacklevel: int = 4) -> None:
    warnings.warn(message, EDFWarning, stacklevel=stacklevel)


def check_calibration(header: EdfHeader, channels: Sequence[int]) -> None:
    """Refuse channels to be read whose calibration would corrupt them silently.

    A channel is refused when its digital minimum equals its maximum (no gain at all), its physical minimum equals
    its maximum (every sample would read as one constant: a flat line that the common average spreads over every
    other channel), or one of the two pairs is swapped so that the gain is negative (the channel would be read
    inverted). EDF lets a negative amplifier gain be written as physical max < physical min, but no CHB-MIT file
    does so and a silently inverted bipolar derivation corrupts every derived feature, so it is an error, not a
    warning. Channels not listed (dummy ``-`` / ``.`` channels with digital min == max, unrequested channels) are
    not judged.

    Parameters
    ----------
    header : EdfHeader
        The file's header.
    channels : sequence of int
        File indices of the channels that will be read.

    Raises
    ------
    EDFError
        One line naming the file, the channel number and label, the calibration found and what was expected.
    """
    for i in dict.fromkeys(int(i) for i in channels):
        pmin, pmax = header.physical_min[i], header.physical_max[i]
        dmin, dmax = header.digital_min[i], header.digital_max[i]
        unit = f" {header.physical_dimension[i]}" if header.physical_dimension else ""
        if dmin == dmax:
            why = f"digital_min equals digital_max ({dmin:g}), so it has no calibration"
        elif pmin == pmax:
            why = (
                f"physical_min equals physical_max ({pmin:g}{unit}), so every sample would read as that value"
            )
        elif header.gain[i] < 0:
            pair = "digital" if dmin > dmax else "physical"
            why = (
                f"{pair}_min > {pair}_max (physical {pmin:g}..{pmax:g}{unit}, digital {dmin:g}..{dmax:g}), "
                "so the signal would be read inverted"
            )
        else:
            continue
        raise EDFError(
            f"{header.path}: channel {i + 1} {header.labels[i]!r}: {why}; expected a positive gain "
            "(physical_min < physical_max, digital_min < digital_max)."
        )
