"""Cost of the forecast scores against the event-level evaluation, on the same demo-sized sweep outputs.

A demo sweep's outputs: 3 preictal lengths x 3 held-out seizures, each fold's continuous output ~10 h of 5-s
windows (7200 windows, one 20-min gap) with a planted rise before onset. Two evaluations run in this process on
the same folds, timed as the best of ``--repeats``:

* events: :func:`seizurepred.sweep.events.event_rows` (alarms, event metrics, random predictor and
  ``n_surrogates`` seizure-time surrogates per length), as the sweep tables compute it;
* forecasts: per length and horizon (10 and 60 min), the calibrated outputs' forecasts made and pooled, and every
  score (:func:`~seizurepred.evaluation.forecast_scores.forecast_metrics` with the same ``n_surrogates``, the
  reliability bins and the Sen/TiW curve);
* calibration, timed on its own: per length a Platt calibrator fitted on 4000 validation windows and every fold's
  output calibrated.

It prints the times and the ratios forecast scores / events, and (forecast scores + calibration) / events.

Usage::

    python benchmarks/bench_forecast.py                    # a few seconds
    python benchmarks/bench_forecast.py --n-surrogates 1000 --repeats 5
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from seizurepred.evaluation.alarms import AlarmConfig
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.forecast import (
    calibrate_output,
    fit_calibrator,
    forecasts_from_output,
    pool_forecasts,
    reference_rate,
)
from seizurepred.evaluation.forecast_scores import forecast_metrics, reliability_bins, sen_tiw_curve
from seizurepred.io.manifest import Manifest, Recording, Seizure
from seizurepred.labels.segments import LabelConfig
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.events import event_rows
from seizurepred.sweep.fold_result import FoldResult
from seizurepred.sweep.plan import Fold

LENGTHS = (15, 30, 60)
N_SEIZURES = 3
HOURS = 10.0
WINDOW_S = 5.0
HORIZONS = (10.0, 60.0)
DAY = 86400.0
CHANNELS = ("FP1-F7", "F7-T7")


def manifest() -> Manifest:
    """One 11-h recording per seizure, a day apart; the seizure 10 h into it."""
    recs = tuple(
        Recording(
            f"chb98_{i + 1:02d}.edf",
            i * DAY,
            i * DAY + 11 * 3600.0,
            CHANNELS,
            (Seizure(HOURS * 3600.0, HOURS * 3600.0 + 60.0),),
        )  # fmt: skip
        for i in range(N_SEIZURES)
    )
    return Manifest(case="chb98", sfreq=256.0, recordings=recs)


def output(seizure_id: int, k: int, rng: np.random.Generator) -> ContinuousOutput:
    """~10 h of 5-s windows before onset with a 20-min gap 5 h before it; the output rises in the last k min."""
    n = np.arange(int(HOURS * 3600 / WINDOW_S), 0, -1)
    u = n * WINDOW_S / 60.0
    keep = ~((u > 300) & (u <= 320))
    p = np.clip(0.2 + 0.5 * (u <= k + 5) + rng.normal(0, 0.15, u.size), 0, 1)
    stretch = (u[keep] <= 300).astype(np.int64)
    hours = (float(np.sum(u[keep] > 300)), float(np.sum(u[keep] <= 300)))
    return ContinuousOutput(seizure_id, u[keep], p[keep], keep.sum() * WINDOW_S / 3600, WINDOW_S, stretch=stretch,
                            stretch_hours=tuple(h * WINDOW_S / 3600 for h in hours))  # fmt: skip


def folds(rng: np.random.Generator) -> list[FoldResult]:
    out = []
    for k in LENGTHS:
        for s in range(N_SEIZURES):
            fold = Fold(case="chb98", preictal_min=k, label=LabelConfig(preictal_min=float(k)), repeat=0,
                        seizure_id=s, protocol="paper", split_seed=0, train_seed=s, position=s)  # fmt: skip
            out.append(FoldResult(fold=fold, continuous=output(s, k, rng)))
    return out


def validation(rng: np.random.Generator, n: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    y = (rng.random(n) < 0.5).astype(np.int8)
    return np.clip(0.2 + 0.5 * y + rng.normal(0, 0.15, n), 0, 1), y


def events(man, fr, config) -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return event_rows(man, fr, config=config)


def calibrate(fr, val) -> dict[int, list[ContinuousOutput]]:
    """Per length: a Platt calibrator fitted on the validation windows, every fold's output calibrated."""
    out = {}
    for k in LENGTHS:
        cal = fit_calibrator(*val, method="platt")
        out[k] = [calibrate_output(f.continuous, cal) for f in fr if f.fold.preictal_min == k]
    return out


def forecasts(outputs: dict[int, list[ContinuousOutput]], n_surrogates: int) -> list:
    """Per length and horizon: forecasts pooled over the folds, and every score."""
    rows = []
    ref = {h: reference_rate(N_SEIZURES, N_SEIZURES * HOURS, h) for h in HORIZONS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k, outs in outputs.items():
            for h in HORIZONS:
                fc = pool_forecasts([forecasts_from_output(o, horizon_min=h, sph_min=5.0) for o in outs])
                row = forecast_metrics(fc, reference=ref[h], n_surrogates=n_surrogates, seed=0)
                reliability_bins(fc.probs, fc.outcomes)
                sen_tiw_curve(fc.probs, fc.outcomes, n_seizures=fc.n_seizures)
                rows.append({"preictal_min": k, **row})
    return rows


def best_of(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--n-surrogates", type=int, default=200, help="surrogates of both evaluations (sweep default)"
    )
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    man, fr, val = manifest(), folds(rng), validation(rng)
    config = SweepConfig(alarms=AlarmConfig(sop_min=30, sph_min=5), n_surrogates=args.n_surrogates, seed=0)
    n_win = sum(f.continuous.probs.size for f in fr)
    outputs = calibrate(fr, val)
    t_ev = best_of(lambda: events(man, fr, config), args.repeats)
    t_cal = best_of(lambda: calibrate(fr, val), args.repeats)
    t_fc = best_of(lambda: forecasts(outputs, args.n_surrogates), args.repeats)
    print(f"{len(fr)} folds ({len(LENGTHS)} lengths x {N_SEIZURES} seizures), {n_win} windows, "
          f"{args.n_surrogates} surrogates, best of {args.repeats}")  # fmt: skip
    print(f"event-level (event_rows):                     {t_ev * 1e3:8.1f} ms")
    print(f"forecasts and scores ({len(HORIZONS)} horizons):            {t_fc * 1e3:8.1f} ms")
    print(f"calibration (Platt fit per length, 9 outputs):  {t_cal * 1e3:8.1f} ms")
    print(f"ratio forecast scores / events: {t_fc / t_ev:.2f}")
    print(f"ratio forecast scores + calibration / events: {(t_fc + t_cal) / t_ev:.2f}")
    for row in forecasts(outputs, args.n_surrogates):
        print(f"  {row['preictal_min']:>2} min, H {row['horizon_min']:>4g}: BS {row['brier']:.3f}, "
              f"BSS {row['bss']:+.2f}, AUC {row['auc_sen_tiw']:.2f}, Sen {row['sensitivity']:.2f} at TiW "
              f"{row['time_in_warning']:.2f} (p_surr {row['p_surrogate']:.3f})")  # fmt: skip


if __name__ == "__main__":
    main()
