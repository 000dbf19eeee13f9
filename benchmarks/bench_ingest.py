"""Benchmark: ingest a synthetic 40-hour patient once, then sweep 4 preictal lengths without touching the EDFs.

Steps (one process, except the data generation which runs in a child so its memory does not count):

1. Generate (or reuse, ``--data-dir``) a synthetic patient with :func:`seizurepred.synth.generate_patient`.
2. Build the :class:`~seizurepred.cache.store.SignalCache` (read + CAR + band-pass + store, once). EDF bytes read are
   counted by wrapping the cache's reader functions (file size per full read, header bytes per header read) and
   compared with ``CacheReport.bytes_read``; a second build must read 0 bytes.
3. Build window indices for preictal lengths 60/45/30/15 min (``label_segments`` + ``build_window_index``) and
   materialize the training windows of one paper-protocol split (60 min, first fold): EDF bytes read must stay 0.
4. Baseline: MNE on a subset of the files (``read_raw_edf(preload=True)`` + ``set_eeg_reference("average")`` +
   ``filter(0.5, 45)``), in the same process. Throughput = EDF bytes / s; the ratio is seizurepred's cache build
   (which also writes the cache) over MNE's pipeline (which writes nothing).

Peak RSS (``ru_maxrss``) is printed after each phase; the goal is < 2 GiB for ingest and the sweep. The
materialized training tensor is data whose size the split dictates; its size is printed beside the RSS.

Usage::

    python benchmarks/bench_ingest.py --data-dir /tmp/synth40     # 40 h (generation takes minutes the first time)
    python benchmarks/bench_ingest.py --quick                       # 8 h, 2 seizures, 1 baseline file
"""

from __future__ import annotations

import argparse
import logging
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import seizurepred.cache.store as store_mod
from seizurepred.cache.store import SignalCache
from seizurepred.io.summary import load_patient
from seizurepred.labels.segments import LabelConfig, label_segments
from seizurepred.windows.gather import materialize
from seizurepred.windows.index import WindowConfig, build_window_index
from seizurepred.windows.splits import leave_one_seizure_out

PATIENT = "chb01"
LENGTHS_MIN = (60.0, 45.0, 30.0, 15.0)
GIB = 1024**3


class ReadCounter:
    """Wraps the cache's ``read_recording`` / ``read_header`` to count EDF bytes read."""

    def __init__(self) -> None:
        self.bytes = 0
        self._rr, self._rh = store_mod.read_recording, store_mod.read_header

    def __enter__(self) -> ReadCounter:
        def read_recording(path, **kw):
            self.bytes += Path(path).stat().st_size
            return self._rr(path, **kw)

        def read_header(path):
            header = self._rh(path)
            self.bytes += header.header_bytes
            return header

        store_mod.read_recording, store_mod.read_header = read_recording, read_header
        return self

    def __exit__(self, *exc: object) -> None:
        store_mod.read_recording, store_mod.read_header = self._rr, self._rh


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB  # Linux: kB


def generate(data_dir: Path, hours: float, n_seizures: int) -> None:
    """Write the synthetic patient in a child process unless it is there already."""
    if (data_dir / PATIENT / f"{PATIENT}-summary.txt").is_file():
        print(f"reusing synthetic patient in {data_dir}")
        return
    first_h, spacing_h = (1.5, 4.0) if hours < 19 else (5.0, 6.0)
    code = (
        "from seizurepred.synth import SynthConfig, generate_patient;"
        f"generate_patient({str(data_dir)!r}, config=SynthConfig(patient={PATIENT!r}, hours={hours}, "
        f"n_seizures={n_seizures}, preictal_min=60.0, min_first_onset_h={first_h}, "
        f"min_onset_spacing_h={spacing_h}, seed=0))"
    )
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    print(f"generated {hours:g} h synthetic patient in {time.perf_counter() - t0:.0f} s (child process)")


def mne_baseline(paths: list[Path]) -> tuple[float, int]:
    import mne

    logging.getLogger("mne").setLevel(logging.ERROR)
    n_bytes, t0 = 0, None
    for i, path in enumerate(paths):
        if i == 1:  # the first file is a warm-up (imports, filter design), not timed
            n_bytes, t0 = 0, time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
            raw.set_eeg_reference("average", projection=False, verbose="error")
            raw.filter(0.5, 45.0, fir_design="firwin", verbose="error")
        n_bytes += path.stat().st_size
        del raw
    return time.perf_counter() - t0, n_bytes


def sweep(cache: SignalCache, manifest, available, lengths) -> dict[float, object]:
    indices = {}
    for k in LENGTHS_MIN:
        seg = label_segments(manifest, config=LabelConfig(preictal_min=k))
        indices[k] = build_window_index(
            seg,
            manifest,
            config=WindowConfig(),
            sfreq=cache.sfreq,
            seed=0,
            available=available,
            n_samples=lengths,
        )
    return indices


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8-hour patient, 1 baseline file")
    parser.add_argument("--data-dir", type=Path, default=None, help="synthetic data root (reused if present)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="cache root (default: a fresh temp dir)")
    parser.add_argument("--hours", type=float, default=None, help="patient length (default 40, quick 8)")
    parser.add_argument(
        "--baseline-files", type=int, default=None, help="timed MNE baseline files (3; quick 1)"
    )
    parser.add_argument(
        "--materialize-min",
        type=float,
        default=15.0,
        help="preictal length whose first split's training windows "
        "are materialized (default 15; 60 on a 40 h patient needs about 2.3 GiB for the tensor alone)",
    )
    parser.add_argument("--n-jobs", type=int, default=1, help="threads for the cache build (default 1)")
    args = parser.parse_args(argv)
    hours = args.hours or (8.0 if args.quick else 40.0)
    n_seizures = 2 if hours < 19 else int((hours - 5) // 7) + 1
    n_base = args.baseline_files or (1 if args.quick else 3)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        cache_dir = args.cache_dir or Path(tmp) / "cache"
        generate(data_dir, hours, n_seizures)
        manifest = load_patient(data_dir, PATIENT)
        print(f"patient: {len(manifest)} files, {manifest.total_hours:.1f} h, {manifest.n_seizures} seizures")
        print(f"peak RSS after loading the manifest: {peak_rss_gib():.2f} GiB")

        cache = SignalCache(cache_dir)
        with ReadCounter() as counter:
            t0 = time.perf_counter()
            report = cache.build(manifest, data_dir, n_jobs=args.n_jobs)
            t_build = time.perf_counter() - t0
        print(f"cache build: {report.summary()}; {t_build:.1f} s; counted {counter.bytes / 1e6:.1f} MB read")
        print(f"peak RSS after cache build: {peak_rss_gib():.2f} GiB")
        with ReadCounter() as again:
            t0 = time.perf_counter()
            report2 = SignalCache(cache_dir).build(manifest, data_dir)
            t_again = time.perf_counter() - t0
        print(f"second build: {report2.summary()}; {t_again:.2f} s; counted {again.bytes} bytes read")

        with ReadCounter() as during:
            t0 = time.perf_counter()
            indices = sweep(cache, manifest, report.available, cache.lengths())
            t_sweep = time.perf_counter() - t0
            for k, idx in indices.items():
                print(
                    f"  preictal {k:>4g} min: {idx.n_preictal} preictal + {idx.n_interictal} interictal windows"
                )
            print(f"window indices for {len(indices)} lengths: {t_sweep:.2f} s")
            print(f"peak RSS after indices: {peak_rss_gib():.2f} GiB")
            for k, idx in indices.items():
                n_train = leave_one_seizure_out(idx, seed=0)[0].sizes()["train"]
                gib = n_train * cache.n_chans * idx.n_times * 4 / GIB
                print(
                    f"  preictal {k:>4g} min, first paper split: {n_train} training windows = {gib:.2f} GiB"
                )
            chosen = indices[args.materialize_min]
            train = chosen.select(leave_one_seizure_out(chosen, seed=0)[0].train)
            t0 = time.perf_counter()
            X, _ = materialize(cache, train)
            t_mat = time.perf_counter() - t0
        tensor_gib = X.numel() * X.element_size() / GIB
        print(
            f"materialized ({args.materialize_min:g} min) {tuple(X.shape)} training windows ({tensor_gib:.2f} GiB) in {t_mat:.2f} s"
        )
        print(f"EDF bytes read during sweep + materialize: {during.bytes}")
        print(f"peak RSS after materialize: {peak_rss_gib():.2f} GiB (tensor {tensor_gib:.2f} GiB of it)")
        del X

        paths = [data_dir / PATIENT / r.file_name for r in manifest.recordings[: n_base + 1]]
        t_mne, mne_bytes = mne_baseline(paths)
        ours = report.bytes_read / t_build
        theirs = mne_bytes / t_mne
        print(
            f"MNE baseline on {len(paths) - 1} file(s) after 1 warm-up: {t_mne:.1f} s, {theirs / 1e6:.1f} MB/s"
        )
        print(
            f"seizurepred cache build (n_jobs={args.n_jobs}): {ours / 1e6:.1f} MB/s over {len(report.built)} files"
        )
        print(f"ingest throughput ratio seizurepred / MNE, one pass: {ours / theirs:.2f}x")
        n = len(LENGTHS_MIN)
        print(
            f"ingest throughput ratio for the {n}-length sweep (MNE pipeline re-reads and re-filters per length, "
            f"the cache once): {n * ours / theirs:.2f}x (goal >= 3x)"
        )
        rereads = 0 if again.bytes == 0 and during.bytes == 0 else again.bytes + during.bytes
        print(f"EDF bytes read for the {len(LENGTHS_MIN)}-length sweep beyond the first build: {rereads}")
        print(f"peak RSS overall: {peak_rss_gib():.2f} GiB (goal < 2 GiB)")


if __name__ == "__main__":
    main()
