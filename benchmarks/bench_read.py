"""Benchmark: read one CHB-MIT-like EDF with seizurepred, MNE, pyedflib and edfio in one process.

The file (written once into ``--dir`` or a temporary folder) has the real CHB-MIT layout: 23 channels with the
real labels (duplicated ``T8-P8``), 256 Hz, 1 s data records, physical -800..800 µV over digital -2048..2047.
Every reader runs with a warm page cache, round-robin; the best of ``--repeat`` runs counts (wall time, and
process CPU time, which a loaded machine disturbs less). Throughput is the file size over the wall time.
seizurepred's figure includes header parsing and the channel harmonisation to the 23-channel paper set (float32
µV in canonical order; two threads for a file this size, one in the "1 thread" row); MNE's is
``read_raw_edf(preload=True)`` alone (no picking, no copy out); pyedflib's is ``readSignal`` per channel.

Usage::

    python benchmarks/bench_read.py            # 1-hour file
    python benchmarks/bench_read.py --quick    # 5-minute file
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np

from seizurepred.io import edf
from seizurepred.io.edf import read_recording
from seizurepred.io.edf_write import write_edf
from seizurepred.io.montage import PAPER_23

SFREQ = 256


def make_file(folder: Path, minutes: float, *, seed: int = 0) -> Path:
    """Write (once) a CHB-MIT-like EDF of ``minutes`` length into ``folder`` and return its path."""
    path = folder / f"bench_{int(minutes * 60)}s_23ch.edf"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    n = int(minutes * 60) * SFREQ
    digital = np.empty((len(PAPER_23), n), dtype=np.int16)
    for k in range(len(PAPER_23)):  # a random walk clipped to a realistic range, with out-of-range spikes
        walk = np.cumsum(rng.integers(-20, 21, size=n, dtype=np.int16), dtype=np.int32)
        walk -= np.convolve(walk, np.ones(257) / 257, mode="same").astype(np.int32)
        digital[k] = np.clip(walk, -2600, 2600)
    digital[22] = digital[14]  # the duplicated T8-P8 is identical
    write_edf(path, digital, labels=PAPER_23, sfreq=SFREQ, start=datetime(2076, 11, 6, 11, 42, 54))
    return path


def _mne(path: Path) -> None:
    import mne

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mne.io.read_raw_edf(path, preload=True, verbose="error")


def _pyedflib(path: Path) -> None:
    import pyedflib

    with pyedflib.EdfReader(str(path)) as reader:
        [reader.readSignal(i) for i in range(reader.signals_in_file)]


def _edfio(path: Path) -> None:
    import edfio

    edf = edfio.read_edf(path)
    [signal.data for signal in edf.signals]


def _single_thread(path: Path) -> np.ndarray:
    old, edf._THREADED_VALUES = edf._THREADED_VALUES, 1 << 62
    try:
        return read_recording(path, channels="paper23")
    finally:
        edf._THREADED_VALUES = old


def best_of(
    readers: dict[str, Callable[[Path], object]], path: Path, repeat: int
) -> dict[str, tuple[float, float]]:
    """Best wall time and best process CPU time, in seconds, of ``repeat`` runs of each reader (after a warm-up
    run), taken round-robin so that a change of machine load hits every reader alike."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in readers}
    for fn in readers.values():
        fn(path)
    for _ in range(repeat):
        for name, fn in readers.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn(path)
            times[name].append((time.perf_counter() - t0, time.process_time() - c0))
    return {name: (min(w for w, _ in t), min(c for _, c in t)) for name, t in times.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5-minute file instead of 1 hour")
    parser.add_argument(
        "--dir", type=Path, default=None, help="folder for the test file (default: a temp dir)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per reader (best counts)")
    parser.add_argument("--skip", nargs="*", default=[], help="readers to skip: mne pyedflib edfio")
    args = parser.parse_args(argv)
    logging.getLogger("mne").setLevel(logging.ERROR)
    minutes = 5.0 if args.quick else 60.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = make_file(folder, minutes)
        size_gb = path.stat().st_size / 1e9
        readers: dict[str, Callable[[Path], object]] = {
            "raw np.fromfile": lambda p: np.fromfile(p, dtype=np.uint8),
            "seizurepred (paper23)": lambda p: read_recording(p, channels="paper23"),
            "seizurepred (core18)": lambda p: read_recording(p, channels="core18"),
            "seizurepred (1 thread)": _single_thread,
            "mne read_raw_edf": _mne,
            "pyedflib readSignal": _pyedflib,
        }
        if importlib.util.find_spec("edfio") is not None:
            readers["edfio"] = _edfio
        readers = {k: v for k, v in readers.items() if not any(k.startswith(s) for s in args.skip)}
        print(f"file: {path.name}, {size_gb * 1e3:.1f} MB, {minutes:g} min, best of {args.repeat}")
        times = best_of(readers, path, args.repeat)
        ref = times.get("mne read_raw_edf", (0.0, 0.0))[0]
        print(f"{'reader':<24}{'wall ms':>9}{'GB/s':>7}{'x MNE':>7}{'CPU ms':>9}")
        for name, (wall, cpu) in times.items():
            ratio = f"{ref / wall:7.2f}" if ref else f"{'n/a':>7}"
            print(f"{name:<24}{wall * 1e3:9.1f}{size_gb / wall:7.2f}{ratio}{cpu * 1e3:9.1f}")
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
