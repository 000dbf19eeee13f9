"""Fast EDF reading: own header parser, numpy memmap of the data records, canonical channel order.

:func:`read_header` parses EDF / EDF+ (continuous) headers as tolerantly as MNE and pyedflib (stripped fields,
odd spacing, ``n_records = -1``). :func:`read_recording` maps the data records as ``int16`` of shape
``(n_records, record_len)``, slices only the requested channels and records, and calibrates them straight into a
preallocated ``float32`` µV output: ``digital * gain + offset`` with ``gain = (pmax - pmin) / (dmax - dmin)``,
``offset = pmin - dmin * gain`` (the libraries' linear calibration; physical units mV/V/nV are scaled to µV).

Quirks: a duplicated ``T8-P8`` and dummy channels (``-``/``.``, digital min == max: gain and offset NaN, never
read) -- see :mod:`seizurepred.io.montage`; digital values outside the digital range are kept and calibrated
linearly, as the libraries do; a truncated last data record, or a header claiming more records than the file
holds, gives an :class:`EDFWarning` and the whole records are read; a header claiming fewer is obeyed. Non-EDF
bytes, a truncated or malformed header, unequal sampling rates among the requested channels and an out-of-range
``start_s`` / ``stop_s`` raise a one-line :class:`~seizurepred.errors.EDFError` / ``ConfigError`` naming the file.
"""

from __future__ import annotations

import logging
import math
import os
import re
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from seizurepred.errors import ConfigError, EDFError
from seizurepred.io.montage import is_matchable, resolve_channels

logger = logging.getLogger(__name__)

__all__ = ["EDFWarning", "EdfHeader", "read_header", "read_recording"]

# (name, width) of the fields of the fixed part and of the per-channel part of the header, in file order
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
#: factor from a channel's physical unit to µV (unknown or empty units are taken as µV, as CHB-MIT writes "uV")
_TO_UV = {"UV": 1.0, "MV": 1e3, "V": 1e6, "NV": 1e-3}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


class EDFWarning(UserWarning):
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
    if n_stated < n_whole or rest:
        logger.debug("%s: bytes after the %d data records the header states are ignored", path, n_stated)
    return n_stated


def _warn(message: str, *, stacklevel: int = 4) -> None:
    warnings.warn(message, EDFWarning, stacklevel=stacklevel)


def _sample_range(header: EdfHeader, sfreq: float, start_s: object, stop_s: object) -> tuple[int, int]:
    """Validate ``start_s`` / ``stop_s`` and return the sample range [start, stop)."""
    n_total = int(round(header.n_records * header.record_duration_s * sfreq))
    where = f" ({header.path.name})"
    bounds = []
    for name, value, default in (("start_s", start_s, 0), ("stop_s", stop_s, n_total)):
        if value is None:
            bounds.append(default)
            continue
        number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
        if not number or not math.isfinite(value):  # type: ignore[arg-type]
            raise ConfigError(f"Invalid value for {name!r}{where}: allowed a finite number; got {value!r}.")
        bounds.append(int(round(float(value) * sfreq)))  # type: ignore[arg-type]
    start, stop = bounds
    if not 0 <= start < n_total:
        limit = (n_total - 0.5) / sfreq
        raise ConfigError(
            f"Invalid value for 'start_s'{where}: allowed 0 <= start_s < {limit:g}; got {start_s!r}."
        )
    if not start < stop <= n_total:
        limit = f"{start / sfreq:g} < stop_s <= {n_total / sfreq:g}"
        raise ConfigError(f"Invalid value for 'stop_s'{where}: allowed {limit}; got {stop_s!r}.")
    return start, stop


def read_recording(
    path: str | os.PathLike,
    *,
    channels: str | Sequence[str] = "paper23",
    start_s: float | None = None,
    stop_s: float | None = None,
    header: EdfHeader | None = None,
) -> np.ndarray:
    """Read calibrated samples of the requested channels, in canonical order.

    Parameters
    ----------
    path : str or path-like
        The EDF file.
    channels : str or sequence of str
        ``"paper23"``, ``"core18"`` or explicit labels (see :mod:`seizurepred.io.montage`).
    start_s, stop_s : float or None
        Time span in seconds from the start of the file; samples ``round(start_s * sfreq)`` (inclusive) to
        ``round(stop_s * sfreq)`` (exclusive). ``None``: the start / end of the file.
    header : EdfHeader or None
        The file's header if already read (saves parsing it again).

    Returns
    -------
    ndarray of shape (n_chans, n_samples), float32
        Signal in µV (channels in mV, V or nV are scaled; other units are taken as µV), C-contiguous.

    Raises
    ------
    MontageError
        A requested channel is missing (skipping such a recording is the caller's choice).
    EDFError
        Malformed file, or requested channels with different sampling rates.
    ConfigError
        ``channels``, ``start_s`` or ``stop_s`` invalid or out of range.
    """
    hdr = read_header(path) if header is None else header
    idx = resolve_channels(hdr.labels, channels, source=str(hdr.path))
    sfreq = _common_sfreq(hdr, idx)
    if hdr.n_records == 0:
        raise EDFError(f"{hdr.path}: the file holds no whole data record.")
    start, stop = _sample_range(hdr, sfreq, start_s, stop_s)
    spr = hdr.samples_per_record[idx[0]]
    r0, r1 = start // spr, -(-stop // spr)
    try:
        data = np.memmap(hdr.path, dtype="<i2", mode="r", offset=hdr.header_bytes + 2 * r0 * hdr.record_len,
                         shape=(r1 - r0, hdr.record_len))  # fmt: skip
    except (OSError, ValueError) as exc:
        raise EDFError(f"{hdr.path}: cannot map the data records ({exc}).") from None
    out = np.empty((len(idx), stop - start), dtype=np.float32)
    _calibrate_into(out, data, hdr, idx, start - r0 * spr)
    del data
    if logger.isEnabledFor(logging.DEBUG):
        _debug_out_of_range(out, hdr, idx)
    return out


#: float32 values per chunk (512 KiB): cast, scale and shift while the chunk is in cache
_CHUNK_VALUES = 1 << 17
#: outputs of at least this many values are computed by two threads (numpy releases the GIL)
_THREADED_VALUES = 1 << 22
_POOL: tuple[int, ThreadPoolExecutor] | None = None


def _pool() -> ThreadPoolExecutor:
    """The module's two-thread pool, made anew in a forked child (whose copy of the threads does not exist)."""
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid():
        _POOL = (os.getpid(), ThreadPoolExecutor(2, thread_name_prefix="seizurepred-edf"))
    return _POOL[1]


def _chunk_edges(start: int, stop: int, spr: int, n_chans: int) -> list[int]:
    """Record boundaries: partial first / last records alone, whole records in cache-sized chunks."""
    r0, r1 = start // spr, -(-stop // spr)
    edges = {r0, r1}
    lo, hi = (r0 + 1 if start % spr else r0), (r1 - 1 if stop % spr else r1)
    edges.update(range(lo, max(hi, lo), max(1, _CHUNK_VALUES // (spr * n_chans))))
    edges.add(min(max(hi, r0), r1))
    return sorted(edges)


def _runs(unique: Sequence[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Group (file index, output row) pairs into runs (i0, k0, length) of consecutive channels in both."""
    runs: list[tuple[int, int, int]] = []
    for i, k in unique:
        if runs and runs[-1][0] + runs[-1][2] == i and runs[-1][1] + runs[-1][2] == k:
            runs[-1] = (runs[-1][0], runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((i, k, 1))
    return runs


def _unit_scale(dimension: str) -> float:
    key = dimension.replace("\u00b5", "u").replace("\u03bc", "u").upper()
    return _TO_UV.get(key, 1.0)


def _calibrate_into(out: np.ndarray, data: np.ndarray, hdr: EdfHeader, idx: np.ndarray, start: int) -> None:
    """Write µV of channels ``idx``, samples ``start:start + out.shape[1]`` of ``data``, into ``out`` (float32).

    ``data`` is an (n_records, record_len) int16 map. Channels that are neighbours both in the file and in ``out``
    are processed together, chunk by chunk of records: one strided cast into the output, then an in-place scale
    and shift while the chunk is still in cache. Duplicated channels are copied at the end.
    """
    spr = hdr.samples_per_record[idx[0]]
    col = np.concatenate([[0], np.cumsum(hdr.samples_per_record)])
    dims = hdr.physical_dimension or ("",) * hdr.n_channels
    scale = np.array([_unit_scale(d) for d in dims])
    gain = (np.asarray(hdr.gain) * scale).astype(np.float32)[:, None, None]
    offset = (np.asarray(hdr.offset) * scale).astype(np.float32)[:, None, None]
    first: dict[int, int] = {}
    for k, i in enumerate(idx.tolist()):
        first.setdefault(i, k)
    runs = _runs(sorted(first.items(), key=lambda item: item[1]))
    stop = start + out.shape[1]

    def work(edges: Sequence[int]) -> None:
        for a, b in zip(edges[:-1], edges[1:]):
            lo, hi = max(a * spr, start), min(b * spr, stop)
            direct = lo == a * spr and hi == b * spr
            for i0, k0, n in runs:
                src = data[a:b, col[i0] : col[i0] + n * spr].reshape(b - a, n, spr).transpose(1, 0, 2)
                if direct:
                    dst = out[k0 : k0 + n, lo - start : hi - start].reshape(n, b - a, spr)
                else:
                    dst = np.empty((n, b - a, spr), dtype=np.float32)
                np.copyto(dst, src, casting="unsafe")
                dst *= gain[i0 : i0 + n]
                dst += offset[i0 : i0 + n]
                if not direct:
                    out[k0 : k0 + n, lo - start : hi - start] = dst.reshape(n, -1)[
                        :, lo - a * spr : hi - a * spr
                    ]

    edges = _chunk_edges(start, stop, spr, len(first))
    if out.size >= _THREADED_VALUES and len(edges) > 4 and (os.cpu_count() or 1) > 1:
        mid = len(edges) // 2
        list(_pool().map(work, (edges[: mid + 1], edges[mid:])))
    else:
        work(edges)
    for k, i in enumerate(idx.tolist()):
        if first[i] != k:
            out[k] = out[first[i]]


def _debug_out_of_range(out: np.ndarray, hdr: EdfHeader, idx: np.ndarray) -> None:
    """Log (debug) channels whose values fall outside the header's physical range (digital out of range)."""
    for k, i in enumerate(idx):
        lo, hi = sorted((hdr.physical_min[i], hdr.physical_max[i]))
        step = abs(hdr.gain[i])
        row = out[k]
        if row.size and (row.min() < lo - step / 2 or row.max() > hi + step / 2):
            logger.debug(
                "%s: channel %s has digital values outside [%g, %g]; calibrated linearly",
                hdr.path,
                hdr.labels[i],
                hdr.digital_min[i],
                hdr.digital_max[i],
            )
