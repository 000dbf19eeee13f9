"""Throughput of the synthetic generator, side by side with a reference in the same process.

Reference: writing the same 23-channel 256 Hz signal (already in memory) to EDF with pyedflib's high-level
writer, i.e. the cost of the file I/O alone with a common library. The ratio says how many times longer
seizurepred takes to *generate and write* a file than pyedflib takes just to *write* it.

Usage: python benchmarks/bench_synth.py [--quick] [--hours H] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("SEIZUREPRED_QUIET", "1")

from seizurepred.synth import SynthConfig, generate_patient  # noqa: E402


def _pyedflib_write(path: Path, data_uv: np.ndarray) -> float:
    import pyedflib

    headers = [
        {"label": f"CH{i}", "dimension": "uV", "sample_frequency": 256, "physical_min": -800.0,
         "physical_max": 800.0, "digital_min": -2048, "digital_max": 2047}
        for i in range(data_uv.shape[0])
    ]  # fmt: skip
    t0 = time.perf_counter()
    pyedflib.highlevel.write_edf(str(path), np.clip(data_uv, -800, 800), headers)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 hour in 15-min files")
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    hours, file_hours = (1.0, 0.25) if args.quick else (args.hours, 1.0)
    cfg = SynthConfig(hours=hours, file_hours=file_hours, n_seizures=0, null=True, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        truth = generate_patient(tmp, config=cfg, n_jobs=args.jobs)
        t_gen = time.perf_counter() - t0
        n = truth.files[0].n_samples
        data = np.random.default_rng(0).normal(0.0, 40.0, (23, n))
        t_ref = _pyedflib_write(Path(tmp) / "ref.edf", data) * len(truth.files)
    print(f"{hours:g} h in {len(truth.files)} files, jobs={args.jobs}")
    print(f"seizurepred generate+write : {t_gen:8.2f} s  ({hours * 3600 / t_gen:8.0f} x real time)")
    print(f"pyedflib write only (ref)  : {t_ref:8.2f} s")
    print(f"ratio seizurepred / ref    : {t_gen / t_ref:8.2f}")


if __name__ == "__main__":
    main()
