"""Benchmark: read + common-average reference + 0.5-45 Hz band-pass of one 1-hour, 23-channel, 256 Hz EDF.

Compares, in one process with a warm page cache (best of N, interleaved):

(a) the MNE path: ``mne.io.read_raw_edf(preload=True)`` + ``set_eeg_reference("average", projection=False)`` +
    ``raw.filter(0.5, 45, fir_design="firwin")``;
(b) seizurepred: :func:`seizurepred.io.edf.read_recording` + :func:`seizurepred.cache.preprocess.preprocess`;

and the filters alone: :func:`~seizurepred.cache.preprocess.preprocess` (CAR included) against
``mne.filter.filter_data`` on the already re-referenced float64 signal. The goal is (a) / (b) >= 3. It also checks
that (b) equals (a) (max |diff| relative to the RMS of (a)) and reports the peak extra memory of
``preprocess`` (tracemalloc, in copies of the float32 signal).

The EDF is written with :func:`seizurepred.io.edf_write.write_edf` (real CHB-MIT calibration, the 23 labels of
:data:`seizurepred.io.montage.PAPER_23`) from a 1/f-like synthetic signal.

Usage::

    python benchmarks/bench_preprocess.py            # 1-hour file, best of 5
    python benchmarks/bench_preprocess.py --quick    # 5-minute file, best of 3
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import mne
import numpy as np

from seizurepred.cache.preprocess import preprocess
from seizurepred.io.edf import read_recording
from seizurepred.io.edf_write import uv_to_digital, write_edf
from seizurepred.io.montage import PAPER_23

SFREQ = 256


def _synthetic_uv(n_chans: int, n_samples: int, *, seed: int) -> np.ndarray:
    """1/f-like EEG (~30 µV RMS) with channel offsets; float32 µV, shape (n_chans, n_samples)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n_chans, n_samples), dtype=np.float32)
    freqs = np.fft.rfftfreq(n_samples, 1.0 / SFREQ)
    shape = 1.0 / np.sqrt(np.maximum(freqs, 0.1))
    for c in range(n_chans):
        sig = np.fft.irfft(np.fft.rfft(rng.standard_normal(n_samples)) * shape, n_samples)
        out[c] = 30.0 * sig / sig.std() + 20.0 * rng.standard_normal()
    return out


def write_test_file(directory: Path, *, duration_s: int) -> Path:
    """Write the benchmark EDF (real calibration, PAPER_23 labels) and return its path."""
    data = _synthetic_uv(len(PAPER_23), duration_s * SFREQ, seed=0)
    data[-1] = data[14]  # the duplicated T8-P8 channel is identical, as in CHB-MIT
    digital = uv_to_digital(data, clip=True)
    return write_edf(
        directory / "bench_01.edf",
        digital,
        labels=PAPER_23,
        sfreq=SFREQ,
        start=datetime(2026, 1, 1, 10, 0, 0),
    )


def mne_path(path: Path) -> np.ndarray:
    raw = mne.io.read_raw_edf(path, preload=True, verbose="ERROR")
    raw.set_eeg_reference("average", projection=False, verbose="ERROR")
    raw.filter(0.5, 45.0, fir_design="firwin", verbose="ERROR")
    return raw.get_data()


def seizurepred_path(path: Path) -> np.ndarray:
    return preprocess(read_recording(path), sfreq=SFREQ)


def best_of(funcs: dict[str, Callable[[], object]], n_repeats: int) -> dict[str, tuple[float, float]]:
    """Best (wall, CPU) seconds of each function over ``n_repeats`` interleaved rounds, after a warm-up round.

    CPU time is the process's (all threads); on a loaded machine it is the steadier measure of work.
    """
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in funcs}
    for round_ in range(n_repeats + 1):
        for name, func in funcs.items():
            t0, c0 = time.perf_counter(), time.process_time()
            func()
            if round_:
                times[name].append((time.perf_counter() - t0, time.process_time() - c0))
    return {name: (min(w for w, _ in ts), min(c for _, c in ts)) for name, ts in times.items()}


def _fmt(t: tuple[float, float]) -> str:
    return f"{t[0]:.3f} s wall, {t[1]:.3f} s CPU"


def _ratio(a: tuple[float, float], b: tuple[float, float]) -> str:
    return f"{a[0] / b[0]:.2f}x wall, {a[1] / b[1]:.2f}x CPU"


def peak_extra_bytes(func: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5-minute file, best of 3")
    parser.add_argument("--repeats", type=int, default=None, help="rounds (default 5, --quick 3)")
    args = parser.parse_args()
    duration_s = 300 if args.quick else 3600
    n_repeats = args.repeats or (3 if args.quick else 5)

    with tempfile.TemporaryDirectory() as tmp:
        path = write_test_file(Path(tmp), duration_s=duration_s)
        data = read_recording(path)
        car64 = data.astype(np.float64) - data.mean(axis=0, dtype=np.float64)
        n_bytes = data.nbytes
        print(
            f"file: {duration_s / 3600:g} h, {data.shape[0]} channels, {SFREQ} Hz, {path.stat().st_size / 1e6:.1f} MB;"
            f" {os.cpu_count()} CPUs; scipy.fft workers=-1 (seizurepred), MNE n_jobs=None; best of {n_repeats}"
        )

        # (b) equals (a)?
        ref_uv = mne_path(path) * 1e6
        ours = seizurepred_path(path)
        rel = np.abs(ours - ref_uv).max() / np.sqrt(np.mean(ref_uv**2))
        print(f"check: max |seizurepred - MNE path| / RMS(MNE path) = {rel:.2e}")

        t = best_of(
            {
                "mne_path": lambda: mne_path(path),
                "ours_path": lambda: seizurepred_path(path),
                "mne_filter": lambda: mne.filter.filter_data(
                    car64, SFREQ, 0.5, 45.0, fir_design="firwin", verbose="ERROR"
                ),
                "ours_filter": lambda: preprocess(data, sfreq=SFREQ),
                "ours_read": lambda: read_recording(path),
            },
            n_repeats,
        )
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        print(f"(a) MNE path  read_raw_edf + set_eeg_reference + filter : {_fmt(t['mne_path'])}")
        print(f"(b) seizurepred read_recording + preprocess             : {_fmt(t['ours_path'])}")
        print(f"    of which read_recording alone                       : {_fmt(t['ours_read'])}")
        print(f"    ratio (a)/(b) = {_ratio(t['mne_path'], t['ours_path'])}  (goal >= 3x)")
        print(f"filter alone: mne.filter.filter_data (float64, CAR done) : {_fmt(t['mne_filter'])}")
        print(f"filter alone: preprocess (CAR + band-pass, float32)     : {_fmt(t['ours_filter'])}")
        print(f"    ratio = {_ratio(t['mne_filter'], t['ours_filter'])}")

        peak = peak_extra_bytes(lambda: preprocess(data, sfreq=SFREQ))
        print(
            f"preprocess peak allocated (tracemalloc, output included): {peak / 2**20:.0f} MiB"
            f" = {peak / n_bytes:.2f} x the float32 signal ({n_bytes / 2**20:.0f} MiB)"
        )


if __name__ == "__main__":
    main()
