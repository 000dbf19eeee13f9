"""A small, fast EDF writer (numpy), used by the synthetic generator and by tests.

It writes plain EDF (not EDF+) the way CHB-MIT files are written: 1 s data records, 16-bit little-endian
samples, per-channel calibration. It is deliberately permissive (it can write the real files' quirks, such as a
dummy channel whose digital minimum equals its maximum, or a duplicated label) because tests need such files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

from seizurepred.errors import ConfigError

#: The real CHB-MIT calibration: physical -800..800 uV over digital -2048..2047.
CHBMIT_PHYSICAL_RANGE_UV = (-800.0, 800.0)
CHBMIT_DIGITAL_RANGE = (-2048, 2047)


def _field(value: object, width: int) -> bytes:
    text = str(value)
    if len(text) > width:
        # numbers are shortened, never silently wrong: try a compact float format first
        if isinstance(value, float):
            text = f"{value:.{max(width - 6, 1)}g}"
        if len(text) > width:
            raise ConfigError(f"EDF header field {text!r} does not fit in {width} characters.")
    return text.ljust(width).encode("ascii")


def _per_channel(value: float | Sequence[float], n: int, name: str) -> list[float]:
    if np.ndim(value) == 0:
        return [value] * n  # type: ignore[list-item]
    values = list(value)  # type: ignore[arg-type]
    if len(values) != n:
        raise ConfigError(f"Invalid value for {name!r}: allowed one value or {n} values; got {len(values)}.")
    return values


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def uv_to_digital(
    data_uv: np.ndarray,
    *,
    physical_range_uv: tuple[float, float] = CHBMIT_PHYSICAL_RANGE_UV,
    digital_range: tuple[int, int] = CHBMIT_DIGITAL_RANGE,
    clip: bool = False,
) -> np.ndarray:
    """Convert µV to EDF digital values (rounded; int16).

    Parameters
    ----------
    data_uv : ndarray of shape (n_chans, n_samples)
        Signal in µV.
    physical_range_uv, digital_range : tuple
        Calibration. Values outside the digital range are kept (real CHB-MIT files have them) unless ``clip``.
    clip : bool
        Clip to the digital range.

    Returns
    -------
    ndarray of shape (n_chans, n_samples), int16
    """
    pmin, pmax = physical_range_uv
    dmin, dmax = digital_range
    gain = (pmax - pmin) / (dmax - dmin)
    digital = np.rint((np.asarray(data_uv, dtype=np.float64) - pmin) / gain + dmin)
    lo, hi = (dmin, dmax) if clip else (-32768, 32767)
    return np.clip(digital, lo, hi).astype(np.int16)


def _edf_header(
    labels: Sequence[str],
    *,
    start: datetime,
    n_records: int,
    record_duration_s: int,
    samples_per_record: int,
    calibration: tuple[list[float], list[float], list[float], list[float]],
    physical_dimension: str,
    patient_id: str,
    recording_id: str,
) -> bytes:
    """The fixed 256-byte header plus 256 bytes per channel."""
    n_chans = len(labels)
    pmins, pmaxs, dmins, dmaxs = calibration
    head = b"".join(
        [
            _field("0", 8),
            _field(patient_id, 80),
            _field(recording_id, 80),
            _field(start.strftime("%d.%m.%y"), 8),
            _field(start.strftime("%H.%M.%S"), 8),
            _field(256 * (n_chans + 1), 8),
            _field("", 44),
            _field(n_records, 8),
            _field(int(record_duration_s), 8),
            _field(n_chans, 4),
        ]
    )
    per = [
        [_field(lab, 16) for lab in labels],
        [_field("", 80)] * n_chans,
        [_field(physical_dimension, 8)] * n_chans,
        [_field(_fmt_num(v), 8) for v in pmins],
        [_field(_fmt_num(v), 8) for v in pmaxs],
        [_field(_fmt_num(v), 8) for v in dmins],
        [_field(_fmt_num(v), 8) for v in dmaxs],
        [_field("", 80)] * n_chans,
        [_field(samples_per_record, 8)] * n_chans,
        [_field("", 32)] * n_chans,
    ]
    return head + b"".join(b"".join(col) for col in per)


def write_edf(
    path: str | Path,
    digital: np.ndarray,
    *,
    labels: Sequence[str],
    sfreq: int,
    start: datetime,
    physical_min: float | Sequence[float] = CHBMIT_PHYSICAL_RANGE_UV[0],
    physical_max: float | Sequence[float] = CHBMIT_PHYSICAL_RANGE_UV[1],
    digital_min: int | Sequence[int] = CHBMIT_DIGITAL_RANGE[0],
    digital_max: int | Sequence[int] = CHBMIT_DIGITAL_RANGE[1],
    record_duration_s: int = 1,
    physical_dimension: str = "uV",
    patient_id: str = "",
    recording_id: str = "",
) -> Path:
    """Write a plain EDF file from int16 digital samples, atomically.

    Parameters
    ----------
    path : str or Path
        Output file.
    digital : ndarray of shape (n_chans, n_samples), int16
        Digital sample values; ``n_samples`` must be a whole number of data records.
    labels : sequence of str
        One label per channel (16 characters at most; duplicates allowed).
    sfreq : int
        Sampling rate in Hz (same for every channel).
    start : datetime
        Recording start (EDF keeps a two-digit year, 1985-2084).
    physical_min, physical_max, digital_min, digital_max : number or sequence
        Calibration, one value for all channels or one per channel.
    record_duration_s : int
        Duration of one data record in seconds.
    physical_dimension : str
        Unit label.
    patient_id, recording_id : str
        Free text header fields.

    Returns
    -------
    Path
        The written file.
    """
    digital = np.asarray(digital)
    if digital.ndim != 2:
        raise ConfigError(f"Invalid value for 'digital': allowed a 2-D array; got shape {digital.shape}.")
    n_chans, n_samples = digital.shape
    if len(labels) != n_chans:
        raise ConfigError(f"Invalid value for 'labels': allowed {n_chans} labels; got {len(labels)}.")
    spr = int(sfreq) * int(record_duration_s)
    if spr <= 0 or n_samples % spr:
        raise ConfigError(
            f"Invalid value for 'digital': allowed a multiple of {spr} samples (whole data records); got {n_samples}."
        )
    n_records = n_samples // spr
    pmins = _per_channel(physical_min, n_chans, "physical_min")
    pmaxs = _per_channel(physical_max, n_chans, "physical_max")
    dmins = _per_channel(digital_min, n_chans, "digital_min")
    dmaxs = _per_channel(digital_max, n_chans, "digital_max")

    header = _edf_header(
        labels,
        start=start,
        n_records=n_records,
        record_duration_s=record_duration_s,
        samples_per_record=spr,
        calibration=(pmins, pmaxs, dmins, dmaxs),
        physical_dimension=physical_dimension,
        patient_id=patient_id,
        recording_id=recording_id,
    )
    # data records: record-major, channel blocks of spr samples each
    body = digital.astype("<i2").reshape(n_chans, n_records, spr).transpose(1, 0, 2)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as fh:
        fh.write(header)
        fh.write(np.ascontiguousarray(body).tobytes())
    os.replace(tmp, path)
    return path
