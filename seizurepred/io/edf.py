"""Fast EDF reading: numpy memmap of the data records, canonical channel order.

:func:`read_header` (from :mod:`seizurepred.io.edf_header`, re-exported here with :class:`EdfHeader`,
:class:`EDFWarning` and :func:`check_calibration`) parses the header. :func:`read_recording` maps the data records
as ``int16`` of shape ``(n_records, record_len)``, slices only the requested channels and records, and calibrates
them straight into a preallocated ``float32`` µV output: ``digital * gain + offset`` with
``gain = (pmax - pmin) / (dmax - dmin)``, ``offset = pmin - dmin * gain`` (the libraries' linear calibration;
physical units mV/V/nV are scaled to µV).

Quirks: a duplicated ``T8-P8`` and dummy channels (``-``/``.``, digital min == max: gain and offset NaN, never
read nor judged) -- see :mod:`seizurepred.io.montage`; a requested channel whose calibration is unusable (digital
or physical min == max, or a swapped pair giving a negative gain) is an ``EDFError`` naming the file and the
channel; digital values outside the digital range are kept and calibrated linearly, as the libraries do; a
truncated last data record, or a header claiming more records than the file holds, gives an :class:`EDFWarning`
and the whole records are read; a header claiming fewer is obeyed. Non-EDF bytes, a truncated or malformed header,
unequal sampling rates among the requested channels, an out-of-range ``start_s`` / ``stop_s`` and a read of more
than :data:`MAX_READ_BYTES` (a header declaring hundreds of hours: a damaged or sparse file) raise a one-line
:class:`~seizurepred.errors.EDFError` / ``ConfigError`` naming the file. A requested channel with a non-finite
calibration, or one whose samples could overflow float32 (``physical_max = 1e38``), is refused too.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from seizurepred.errors import ConfigError, EDFError
from seizurepred.io.edf_header import (
    EdfHeader,
    EDFWarning,
    _common_sfreq,
    check_calibration,
    read_header,
    unit_scale,
)
from seizurepred.io.montage import resolve_channels

logger = logging.getLogger(__name__)

__all__ = ["EDFWarning", "EdfHeader", "check_calibration", "read_header", "read_recording"]

#: Largest output of one read, in bytes (float32): 4 GiB is about 50 h of 23 channels at 256 Hz, 12x the longest
#: CHB-MIT file; a header declaring more (a sparse or damaged file) is refused before anything is allocated.
MAX_READ_BYTES = 4 * 2**30


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
        Malformed file, requested channels with different sampling rates, or a requested channel whose
        calibration is unusable (see :func:`~seizurepred.io.edf_header.check_calibration`); names the file (and
        the channel).
    ConfigError
        ``channels``, ``start_s`` or ``stop_s`` invalid or out of range.
    """
    hdr = read_header(path) if header is None else header
    idx = resolve_channels(hdr.labels, channels, source=str(hdr.path))
    check_calibration(hdr, idx)
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
    out = _allocate(hdr, len(idx), stop - start, sfreq)
    _calibrate_into(out, data, hdr, idx, start - r0 * spr)
    del data
    if logger.isEnabledFor(logging.DEBUG):
        _debug_out_of_range(out, hdr, idx)
    return out


def _allocate(hdr: EdfHeader, n_chans: int, n_samples: int, sfreq: float) -> np.ndarray:
    """The float32 output array, refused when it would exceed :data:`MAX_READ_BYTES` (or the memory left)."""
    n_bytes = 4 * n_chans * n_samples
    what = f"{n_chans} channels x {n_samples / sfreq / 3600:.1f} h at {sfreq:g} Hz need {n_bytes / 2**30:.1f} GiB"
    if n_bytes > MAX_READ_BYTES:
        raise EDFError(
            f"{hdr.path}: {what}, more than the {MAX_READ_BYTES / 2**30:g} GiB one read may take ({hdr.n_records} "
            f"records of {hdr.record_duration_s:g} s); a damaged or sparse file? Read a part with start_s/stop_s."
        )
    try:
        return np.empty((n_chans, n_samples), dtype=np.float32)
    except MemoryError:
        raise EDFError(f"{hdr.path}: {what}; not enough memory to read them.") from None


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


def _calibrate_into(out: np.ndarray, data: np.ndarray, hdr: EdfHeader, idx: np.ndarray, start: int) -> None:
    """Write µV of channels ``idx``, samples ``start:start + out.shape[1]`` of ``data``, into ``out`` (float32).

    ``data`` is an (n_records, record_len) int16 map. Channels that are neighbours both in the file and in ``out``
    are processed together, chunk by chunk of records: one strided cast into the output, then an in-place scale
    and shift while the chunk is still in cache. Duplicated channels are copied at the end.
    """
    spr = hdr.samples_per_record[idx[0]]
    col = np.concatenate([[0], np.cumsum(hdr.samples_per_record)])
    dims = hdr.physical_dimension or ("",) * hdr.n_channels
    scale = np.array([unit_scale(d) for d in dims])
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
