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
5. Content checksums (``--skip-integrity`` leaves this out): speed of CRC-32 and the other checksums available
   without a dependency on one entry's bytes; the time to verify every entry of the patient as a new process
   does (``SignalCache.open`` + ``signal``), as a ratio to the cache build, to one fold of the demo sweep (its
   training set of ``max_train_windows`` windows for its ``max_epochs`` epochs, validation and test windows;
   timed here on this patient) and to the demo sweep (its folds in one process, which verifies once).

Peak RSS (``ru_maxrss``) is printed after each phase; the goal is < 2 GiB for ingest and the sweep. The
materialized training tensor is data whose size the split dictates; its size is printed beside the RSS.

Usage::

    python benchmarks/bench_ingest.py --data-dir /tmp/synth40     # 40 h (generation takes minutes the first time)
    python benchmarks/bench_ingest.py --quick                       # 8 h, 2 seizures, 1 baseline file
    python benchmarks/bench_ingest.py --data-dir /tmp/bench10 --hours 10 --materialize-min 60
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
import warnings
import zlib
from pathlib import Path

import numpy as np

import seizurepred.cache.ingest as ingest_mod
from seizurepred.cache.integrity import array_checksum, forget_verified
from seizurepred.cache.store import SignalCache
from seizurepred.io.summary import load_patient
from seizurepred.labels.segments import LabelConfig, label_segments
from seizurepred.windows.gather import materialize
from seizurepred.windows.index import WindowConfig, build_window_index
from seizurepred.windows.splits import leave_one_seizure_out

PATIENT = "chb01"
DEMO_TOML = Path(__file__).resolve().parents[1] / "experiments" / "demo.toml"
LENGTHS_MIN = (60.0, 45.0, 30.0, 15.0)
GIB = 1024**3


class ReadCounter:
    """Wraps the cache builder's ``read_recording`` / ``read_header`` to count EDF bytes read."""

    def __init__(self) -> None:
        self.bytes = 0
        self._rr, self._rh = ingest_mod.read_recording, ingest_mod.read_header

    def __enter__(self) -> ReadCounter:
        def read_recording(path, **kw):
            self.bytes += Path(path).stat().st_size
            return self._rr(path, **kw)

        def read_header(path):
            header = self._rh(path)
            self.bytes += header.header_bytes
            return header

        ingest_mod.read_recording, ingest_mod.read_header = read_recording, read_header
        return self

    def __exit__(self, *exc: object) -> None:
        ingest_mod.read_recording, ingest_mod.read_header = self._rr, self._rh


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


def checksum_speeds(data: np.ndarray) -> dict[str, float]:
    """GB/s of the checksums available without a dependency, over ``data``'s bytes (in memory, best of 3)."""
    view = memoryview(np.ascontiguousarray(data)).cast("B")
    chunk = 4 * 2**20

    def rolling(fn, start):
        def run():
            value = start
            for lo in range(0, view.nbytes, chunk):
                value = fn(view[lo : lo + chunk], value)

        return run

    def hashed(name):
        def run():
            h = hashlib.new(name)
            for lo in range(0, view.nbytes, chunk):
                h.update(view[lo : lo + chunk])

        return run

    candidates = {
        "zlib.crc32": rolling(zlib.crc32, 0),
        "zlib.adler32": rolling(zlib.adler32, 1),
        "blake2b": hashed("blake2b"),
        "sha256": hashed("sha256"),
    }
    speeds = {}
    for name, run in candidates.items():
        best = min(_timed(run) for _ in range(3))
        speeds[name] = view.nbytes / best / 1e9
    return speeds


def _timed(run) -> float:
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


def verify_as_new_process(cache_dir: Path, case: str) -> tuple[float, int, int]:
    """Seconds to verify every entry of ``case`` as a process that has verified none: (s, entries, bytes)."""
    forget_verified()
    fresh = SignalCache(cache_dir).open(case)
    t0 = time.perf_counter()
    n_bytes = sum(fresh.signal(name).nbytes for name in fresh.lengths())
    return time.perf_counter() - t0, len(fresh.lengths()), n_bytes


def _fold_split(indices: dict, demo: dict, seed: int):
    """(preictal min, index, first paper split) of the first demo length whose split trains on both classes."""
    for k in [*demo["sweep"]["preictal_mins"], *indices]:
        if k in indices:
            split = leave_one_seizure_out(indices[k], seed=seed)[0]
            n = split.sizes()
            if min(n["train_preictal"], n["train_interictal"], n["val_preictal"], n["val_interictal"]) > 0:
                return k, indices[k], split
    raise SystemExit("no preictal length leaves both classes for training; use a longer patient (--hours)")


def time_demo_fold(cache: SignalCache, indices: dict, demo: dict, seed: int = 0) -> tuple[float, str]:
    """Seconds of one fold as the demo sweep runs it (minus its continuous output), on this patient.

    The first paper split; a seeded class-balanced subsample of ``max_train_windows`` training windows; the
    demo's model and training config; then the prediction of the test windows.
    """
    import torch

    from seizurepred.models.registry import build_model
    from seizurepred.training.config import TrainConfig
    from seizurepred.training.trainer import predict_proba, train_model

    minutes, index, split = _fold_split(indices, demo, seed)
    model_name, n_train = demo["sweep"]["model"], demo["sweep"]["max_train_windows"]
    rng = np.random.default_rng(seed)
    labels = index.label[split.train]
    parts = [split.train[labels == k] for k in (0, 1)]
    picked = [rng.choice(p, min(n_train // 2, len(p)), replace=False) for p in parts]
    train_rows = np.sort(np.concatenate(picked))
    t0 = time.perf_counter()
    X_tr, y_tr = materialize(cache, index.select(train_rows))
    X_va, y_va = materialize(cache, index.select(split.val))
    torch.manual_seed(seed)
    model = build_model(model_name, n_chans=X_tr.shape[1], n_times=X_tr.shape[2])
    config = TrainConfig(**demo["train"])
    result = train_model(model, X_tr, y_tr, X_va, y_va, config=config, progress=False)
    X_te, _ = materialize(cache, index.select(split.test))
    predict_proba(model, X_te, device="cpu")
    what = (
        f"preictal {minutes:g} min: {len(train_rows)} training windows x {len(result.history)} epochs "
        f"({model_name}), {len(split.val)} validation, {len(split.test)} test windows"
    )
    return time.perf_counter() - t0, what


def integrity_costs(cache_dir: Path, cache: SignalCache, indices: dict, t_build: float) -> None:
    """Print the checksum speeds and the cost of verifying a patient's entries as ratios (step 5)."""
    demo = tomllib.loads(DEMO_TOML.read_text(encoding="utf-8"))  # the demo sweep's own settings
    n_folds = len(demo["sweep"]["preictal_mins"]) * demo["sweep"]["max_folds"] * demo["sweep"]["repeats"]
    first = next(iter(cache.lengths()))
    speeds = checksum_speeds(np.asarray(cache.signal(first)))
    print(
        "checksum speed on one entry in memory: " + ", ".join(f"{k} {v:.2f} GB/s" for k, v in speeds.items())
    )
    t0 = time.perf_counter()
    for name in cache.lengths():
        array_checksum(cache.signal(name))
    t_write = time.perf_counter() - t0
    print(
        f"checksum at write (CRC-32 of every entry): {t_write:.2f} s = {t_write / t_build:.1%} of the build"
    )
    t_verify, n_entries, n_bytes = verify_as_new_process(cache_dir, PATIENT)
    print(
        f"verification of {n_entries} entries ({n_bytes / 1e9:.2f} GB) as a new process: {t_verify:.2f} s, "
        f"{n_bytes / t_verify / 1e9:.2f} GB/s"
    )
    t_fold, what = time_demo_fold(cache, indices, demo)
    print(f"one demo-sweep fold on this patient: {t_fold:.1f} s ({what}; continuous output not included)")
    print(f"verification / cache build: {t_verify / t_build:.1%}")
    print(
        f"verification / one demo fold (worst case: every fold in a fresh process): {t_verify / t_fold:.1%}"
    )
    print(
        f"verification / demo sweep ({n_folds} folds in one process, which verifies once): "
        f"{t_verify / (n_folds * t_fold):.1%} (goal <= 5 %)"
    )


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
    parser.add_argument(
        "--skip-integrity", action="store_true", help="leave out step 5 (checksum speeds, verification cost)"
    )
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
        if not args.skip_integrity:
            integrity_costs(cache_dir, cache, indices, t_build)


if __name__ == "__main__":
    main()
