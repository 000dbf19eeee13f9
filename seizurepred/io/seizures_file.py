"""Read CHB-MIT ``.edf.seizures`` files (binary MIT/WFDB annotation format) into seizures.

Format (WFDB ``annot(5)``, MIT variant): a sequence of 16-bit little-endian words. Each annotation word holds the
annotation code ``A`` in its top 6 bits and a time increment ``I`` (ticks) in its bottom 10 bits. Special codes:

* ``A = 0, I = 0``: end of file.
* ``A = 59`` (SKIP): the next two words hold a signed 32-bit time increment, high word first (PDP-11 order); it
  is added to the time of the next annotation.
* ``A = 60, 61, 62`` (NUM, SUB, CHN): modifiers of the previous annotation; their value is ``I``.
* ``A = 63`` (AUX): ``I`` bytes of auxiliary text follow, padded to an even length. The first annotation of a
  CHB-MIT file is a NOTE carrying ``"## time resolution: 256"`` (ticks per second).

Seizure onsets have code 32 (``[``) and ends code 33 (``]``).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from seizurepred.errors import ManifestError
from seizurepred.io.manifest import Seizure

logger = logging.getLogger(__name__)

DEFAULT_TICKS_PER_S = 256.0
ONSET_CODE = 32
OFFSET_CODE = 33
SKIP, NUM, SUB, CHN, AUX = 59, 60, 61, 62, 63
_RESOLUTION_RE = re.compile(rb"time resolution:\s*(\d+(?:\.\d+)?)")


def _decode_events(words: np.ndarray, name: str) -> tuple[list[tuple[int, int]], float | None]:
    """Return ``[(code, tick), ...]`` of the plain annotations and the time resolution found in AUX text."""
    events: list[tuple[int, int]] = []
    resolution: float | None = None
    tick = 0
    pending_skip = 0
    i = 0
    n = len(words)
    while i < n:
        word = int(words[i])
        code, inc = word >> 10, word & 0x3FF
        i += 1
        if code == 0 and inc == 0:
            return events, resolution
        if code == SKIP:
            if i + 2 > n:
                raise ManifestError(f"{name}: truncated SKIP annotation at byte {2 * (i - 1)}.")
            high, low = int(words[i]), int(words[i + 1])
            value = (high << 16) | low
            pending_skip += value - (1 << 32) if value & 0x80000000 else value
            i += 2
        elif code == AUX:
            n_words = (inc + 1) // 2
            if i + n_words > n:
                raise ManifestError(f"{name}: truncated AUX annotation text at byte {2 * (i - 1)}.")
            text = words[i : i + n_words].astype("<u2").tobytes()[:inc]
            match = _RESOLUTION_RE.search(text)
            if match is not None:
                resolution = float(match.group(1))
            i += n_words
        elif code in (NUM, SUB, CHN):
            continue
        else:
            tick += pending_skip + inc
            pending_skip = 0
            events.append((code, tick))
    logger.debug("%s: no end-of-file word; read to the end of the data", name)
    return events, resolution


def _pair_seizures(events: list[tuple[int, int]], ticks_per_s: float, name: str) -> tuple[Seizure, ...]:
    seizures: list[Seizure] = []
    onset: int | None = None
    for code, tick in events:
        if code == ONSET_CODE:
            if onset is not None:
                raise ManifestError(f"{name}: seizure onset at tick {tick} before the previous one ended.")
            if tick < 0:
                raise ManifestError(f"{name}: seizure onset at negative time (tick {tick}).")
            onset = tick
        elif code == OFFSET_CODE:
            if onset is None:
                raise ManifestError(f"{name}: seizure end at tick {tick} without an onset.")
            if tick <= onset:
                raise ManifestError(
                    f"{name}: seizure end (tick {tick}) is not after its onset (tick {onset})."
                )
            seizures.append(Seizure(onset / ticks_per_s, tick / ticks_per_s))
            onset = None
    if onset is not None:
        raise ManifestError(f"{name}: seizure onset at tick {onset} has no end (truncated file?).")
    return tuple(seizures)


def read_seizures_bytes(
    data: bytes, *, name: str = "annotations", ticks_per_s: float | None = None
) -> tuple[Seizure, ...]:
    """Decode the bytes of an ``.edf.seizures`` file; see :func:`read_seizures_file`.

    Parameters
    ----------
    data : bytes
        File contents.
    name : str
        File name used in error messages.
    ticks_per_s : float or None
        Time resolution; by default the file's ``## time resolution`` note, else 256.

    Returns
    -------
    tuple of Seizure
    """
    if len(data) % 2:
        raise ManifestError(f"{name}: odd number of bytes ({len(data)}); not an MIT annotation file.")
    if not data:
        raise ManifestError(f"{name}: empty file; not an MIT annotation file.")
    words = np.frombuffer(data, dtype="<u2")
    events, resolution = _decode_events(words, name)
    rate = ticks_per_s if ticks_per_s is not None else (resolution or DEFAULT_TICKS_PER_S)
    if not rate > 0:
        raise ManifestError(f"{name}: time resolution must be positive; got {rate!r}.")
    return _pair_seizures(events, float(rate), name)


def read_seizures_file(path: str | Path, *, ticks_per_s: float | None = None) -> tuple[Seizure, ...]:
    """Read the seizures of a CHB-MIT ``.edf.seizures`` annotation file.

    Parameters
    ----------
    path : str or Path
        E.g. ``chb01_03.edf.seizures``.
    ticks_per_s : float or None
        Time resolution in ticks per second; by default the file's own ``## time resolution`` note, else 256.

    Returns
    -------
    tuple of Seizure
        Onset/end pairs (codes 32 ``[`` and 33 ``]``) in seconds from the start of the EDF file, in file order.

    Raises
    ------
    ManifestError
        Naming the file: unreadable, odd length, truncated SKIP/AUX data, unpaired onset or end.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read annotation file ({type(exc).__name__}: {exc}).") from None
    return read_seizures_bytes(data, name=path.name, ticks_per_s=ticks_per_s)
