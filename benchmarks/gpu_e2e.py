"""End-to-end sweep on a GPU: synthetic EDF patient -> cache -> paper model trained with bf16 on GPU-resident
windows -> continuous output -> CIOPR -> events. Runs on CPU too (``--device cpu --quick``) for a smoke test.

Prints per-fold training time, epochs, AUC, the OPP, and the sweep's wall time split into data preparation and
training. Meant to run once on a lent GPU machine after ``benchmarks/gpu_check.py``::

    PYTHONPATH=. python benchmarks/gpu_e2e.py --out /tmp/gpu_e2e
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from seizurepred.reporting import run_sweep
from seizurepred.sweep import SweepConfig, prepare_patient
from seizurepred.synth import generate_patient
from seizurepred.synth.demo import SHORT_RECORD_LABELS, short_synth_config
from seizurepred.training import TrainConfig


def main(argv: list[str] | None = None) -> None:
    """Run the sweep and print what it measured."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/gpu_e2e"))
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--model", default=None, help="model name [default: cnn_transformer; small with --quick]")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=8, help="processes writing the synthetic EDF files")
    ap.add_argument(
        "--quick", action="store_true", help="tiny training budget and the small model (CPU smoke test)"
    )
    args = ap.parse_args(argv)
    args.model = args.model or ("small" if args.quick else "cnn_transformer")
    logging.basicConfig(level=logging.WARNING)

    t0 = time.perf_counter()
    synth = short_synth_config()
    generate_patient(args.out / "data", config=synth, n_jobs=args.jobs)
    t1 = time.perf_counter()
    patient = prepare_patient("chb01", data_root=args.out / "data", cache_dir=args.out / "cache")
    t2 = time.perf_counter()
    config = SweepConfig(
        preictal_mins=(30, 15),
        model=args.model,
        label=SHORT_RECORD_LABELS,
        n_surrogates=100,
        max_train_windows=400 if args.quick else None,
        train=TrainConfig(max_epochs=1 if args.quick else args.epochs, patience=5, device=args.device),
    )
    result = run_sweep(patient, config=config, out_dir=args.out / "run", resume=False)
    t3 = time.perf_counter()
    print(
        f"synthetic 8-h patient written in {t1 - t0:.1f} s; cache built in {t2 - t1:.1f} s "
        f"({patient.report.bytes_read / 1e6:.0f} MB of EDF read)"
    )
    for row in result.segments:
        print(
            f"k={row['preictal_min']:>3} seizure {row['seizure_id']}: {row['n_train']} train windows, "
            f"{row['n_epochs']} epochs in {row['train_s']:.1f} s on {row['device']}; AUC {row['auc']:.3f}, "
            f"sens {row['sensitivity']:.3f}, spec {row['specificity']:.3f}"
        )
    for row in result.pooled:
        print(
            f"pooled k={row['preictal_min']}: AUC {row['auc']:.3f}, F1 {row['f1']:.3f}, "
            f"mean CIOPR {row['ciopr_mean']:.3f}, mean SPC {row['spc_min_mean']:.1f} min"
        )
    for row in result.events:
        print(
            f"events k={row['preictal_min']}: {row['n_predicted']}/{row['n_seizures']} predicted, "
            f"FPR {row['fpr_per_h']:.3f}/h, p(random) {row['p_random_predictor']:.3g}"
        )
    print(f"OPP {result.opp_min} min ({result.opp_criterion}); sweep {t3 - t2:.1f} s; total {t3 - t0:.1f} s")


if __name__ == "__main__":
    main()
