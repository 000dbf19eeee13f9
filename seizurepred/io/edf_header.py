"""EDF header parsing and validation: :func:`read_header`, :class:`EdfHeader`, :func:`check_calibration`.

:func:`read_header` parses EDF / EDF+ (continuous) headers as tolerantly as MNE and pyedflib (stripped fields,
odd spacing, ``n_records = -1``); a truncated last data record, or a header claiming more records than the file
holds, gives an :class:`EDFWarning` and only the whole records count; a header claiming fewer is obeyed. Non-EDF
bytes, a truncated or malformed header and EDF+D raise a one-line :class:`~seizurepred.errors.EDFError` naming the
file.

Calibration is ``physical = digital * gain + offset`` with ``gain = (pmax - pmin) / (dmax - dmin)``. It is parsed
for every channel (a non-finite value such as ``1e400`` or ``nan`` included) but judged (:func:`check_calibration`)
only for the channels a caller reads: CHB-MIT's dummy channels (``-``, ``.``) have digital min == max (gain NaN) and
must not make a file unreadable. A read channel must have a finite calibration whose samples stay within
:data:`MAX_ABS_UV` (1 kV): beyond it, float32 preprocessing overflows to inf/NaN and the cache would hold garbage.
"""

from __future__ import annotations

import logging
import math
import os
import re
import stat
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from seizurepred.errors import EDFError, SeizurepredWarning
from seizurepred.io.montage import is_matchable

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_ABS_UV",
    "EDFWarning",
    "EdfHeader",
    "check_calibration",
    "read_header",
    "special_file_kind",
    "unit_scale",
]

#: Largest calibrated magnitude (µV) a read channel may reach over the whole int16 range. 1 kV is far beyond any
#: EEG/ECG amplifier, and keeps squares and sums of float32 samples (filters, re-referencing, band power) finite.
MAX_ABS_UV = 1e9
#: factor from a channel's physical unit to µV (unknown or empty units are taken as µV, as CHB-MIT writes "uV")
_TO_UV = {"UV": 1.0, "MV": 1e3, "V": 1e6, "NV": 1e-3}

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
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            gain = np.where(dmax != dmin, (pmax - pmin) / (dmax - dmin), np.nan)
            offset = pmin - dmin * gain
        object.__setattr__(self, "gain", tuple(gain.tolist()))
        object.__setattr__(self, "offset", tuple(offset.tolist()))

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


def unit_scale(dimension: str) -> float:
    """Factor from a physical dimension (``uV``, ``µV``, ``mV``, ``V``, ``nV``) to µV; 1 for other units."""
    key = dimension.replace("\u00b5", "u").replace("\u03bc", "u").upper()
    return _TO_UV.get(key, 1.0)


def special_file_kind(mode: int) -> str | None:
    """What a path is when it is neither a regular file nor a folder (``"character device"``, ...), else None.

    Reading such a path as an input file never ends (``/dev/zero``), blocks (a FIFO) or fails obscurely.
    """
    for test, kind in ((stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
                       (stat.S_ISFIFO, "named pipe (FIFO)"), (stat.S_ISSOCK, "socket")):  # fmt: skip
        if test(mode):
            return kind
    return None


def _number(raw: bytes, name: str, path: Path, *, integer: bool = False, finite: bool = True) -> float:
    text = _text(raw).replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise EDFError(f"{path}: header field {name!r} is not a number: {text!r}.") from None
    if (finite and not math.isfinite(value)) or (integer and not value.is_integer()):
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
        kind = special_file_kind(path.stat().st_mode)
    except OSError:
        kind = None  # opening it names the reason
    if kind is not None:
        raise EDFError(f"{path}: not an EDF file but a {kind}.")
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
    # calibration: judged per channel by check_calibration, for the channels read only (dummy channels may be junk)
    cal = {k: tuple(float(_number(v, k, path, finite=False)) for v in per[k]) for k in _CAL_KEYS}
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

    A channel is refused when a calibration field is not finite (``1e400``, ``nan``), its digital minimum equals its
    maximum (no gain at all), its physical minimum equals its maximum (every sample would read as one constant: a
    flat line that the common average spreads over every other channel), one of the two pairs is swapped so that the
    gain is negative (the channel would be read inverted), its gain overflows or underflows float32, or its samples
    could exceed :data:`MAX_ABS_UV` (``physical_max = 1e38``: float32 preprocessing then overflows to inf/NaN). EDF
    lets a negative amplifier gain be written as physical max < physical min, but no CHB-MIT file does so and a
    silently inverted bipolar derivation corrupts every derived feature, so it is an error, not a warning. Channels
    not listed (dummy ``-`` / ``.`` channels with digital min == max, unrequested channels) are not judged.

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
        why, expected = _calibration_problem(header, i)
        if why:
            raise EDFError(
                f"{header.path}: channel {i + 1} {header.labels[i]!r}: {why}; expected {expected}."
            )


def _calibration_problem(header: EdfHeader, i: int) -> tuple[str, str]:
    """``(what is wrong, what was expected)`` with channel ``i``'s calibration, or ``("", "")``."""
    pmin, pmax = header.physical_min[i], header.physical_max[i]
    dmin, dmax = header.digital_min[i], header.digital_max[i]
    dim = header.physical_dimension[i] if header.physical_dimension else ""
    unit = f" {dim}" if dim else ""
    positive = "a positive gain (physical_min < physical_max, digital_min < digital_max)"
    sane = f"a finite physical range within +-{MAX_ABS_UV:g} uV (1 kV)"
    for name, value in zip(_CAL_KEYS, (pmin, pmax, dmin, dmax)):
        if not math.isfinite(value):
            return f"{name} is not a finite number ({value})", sane
    if dmin == dmax:
        return f"digital_min equals digital_max ({dmin:g}), so it has no calibration", positive
    if pmin == pmax:
        return (
            f"physical_min equals physical_max ({pmin:g}{unit}), so every sample would read as that value",
            positive,
        )
    gain, offset = header.gain[i], header.offset[i]
    if gain < 0:
        pair = "digital" if dmin > dmax else "physical"
        return (
            f"{pair}_min > {pair}_max (physical {pmin:g}..{pmax:g}{unit}, digital {dmin:g}..{dmax:g}), so the "
            "signal would be read inverted",
            positive,
        )
    scale = unit_scale(dim)
    with np.errstate(over="ignore", under="ignore"):
        gain32 = np.float32(gain * scale)
    ratio = f"gain (physical range / digital range) {gain:.3g}{unit} per digital step"
    if not np.isfinite(gain32):
        return f"its {ratio} overflows float32, so every sample would read as inf or NaN", sane
    if gain32 == 0:
        return f"its {ratio} underflows float32, so every sample would read as the same value", sane
    # digital values outside the digital range are calibrated linearly: judge the whole int16 range
    peak = max(abs(-32768 * gain + offset), abs(32767 * gain + offset)) * scale
    if not peak <= MAX_ABS_UV:
        return (
            f"physical range {pmin:g}..{pmax:g}{unit} gives samples up to {peak:.3g} uV, beyond the "
            f"{MAX_ABS_UV:g} uV that float32 preprocessing holds without overflowing to inf/NaN",
            sane,
        )
    return "", ""
