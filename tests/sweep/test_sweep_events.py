"""Event-level evaluation of a sweep (seizurepred.sweep.events.event_rows) on hand-built continuous outputs.

Reference values are worked out by hand from the alarm conventions of ``seizurepred.evaluation.alarms``:
outputs stand at the *end* of their 5 s window (``onset - 5 n + 5`` for the window starting ``n`` windows before
onset), the firing power needs 6 of the last 12 outputs positive, an alarm blocks new ones for SPH + SOP = 35 min,
an alarm at ``t`` is correct when the onset lies in ``[t + 5 min, t + 35 min]``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from _factories import fold_result

from seizurepred.evaluation.alarms import AlarmConfig
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.io.manifest import Manifest, Recording, Seizure
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.events import event_rows
from seizurepred.sweep.fold_result import FoldResult

WINDOW_S = 5.0
N_WIN = 2880  # 4 h of 5 s windows before onset
ALARMS = AlarmConfig(sop_min=30, sph_min=5, n_windows=12, fp_threshold=0.5)
CHANNELS = ("FP1-F7", "F7-T7")

# seizure 0 at clock 4 h (file 1), seizure 1 at clock 14 h (file 2), seizure 2 in a file with unknown times
ONSETS = (14400.0, 50400.0)
OFFSETS = (14460.0, 50430.0)


def _manifest() -> Manifest:
    recs = (
        Recording("chb99_01.edf", 0.0, 18000.0, CHANNELS, (Seizure(14400.0, 14460.0),)),
        Recording("chb99_02.edf", 36000.0, 54000.0, CHANNELS, (Seizure(14400.0, 14430.0),)),
        Recording("chb99_03.edf", None, None, CHANNELS, (Seizure(100.0, 130.0),)),
    )
    return Manifest(case="chb99", sfreq=256.0, recordings=recs)


def _n() -> np.ndarray:
    """Window index n (start = onset - n * 5 s), earliest window first."""
    return np.arange(N_WIN, 0, -1)


def _cont(seizure_id: int, probs: np.ndarray) -> ContinuousOutput:
    return ContinuousOutput(
        seizure_id=seizure_id,
        times_min_before_onset=_n() * WINDOW_S / 60.0,
        probs=np.asarray(probs, dtype=np.float64),
        record_hours=N_WIN * WINDOW_S / 3600.0,
        window_s=WINDOW_S,
    )


def _fold(seizure_id: int, cont: ContinuousOutput | None, *, k: int = 30, repeat: int = 0) -> FoldResult:
    return fold_result(
        preictal_min=k,
        seizure_id=seizure_id,
        repeat=repeat,
        protocol="paper",
        sizes={"train": 10, "val": 2, "test": 4},
        best_epoch=0,
        n_epochs=1,
        train_s=0.0,
        device="cpu",
        metrics={},
        y_true=np.array([0, 1, 0, 1], dtype=np.int8),
        y_score=np.array([0.1, 0.9, 0.2, 0.8], dtype=np.float32),
        continuous=cont,
    )


def _predicting() -> np.ndarray:
    """1.0 for the windows starting in the last 20 min before onset (n <= 240), 0 before."""
    return (_n() <= 240).astype(float)


def _false_alarming() -> np.ndarray:
    """1.0 in a 60-min block from 3 h to 2 h before onset (1441 <= n <= 2160), 0 elsewhere."""
    n = _n()
    return ((n >= 1441) & (n <= 2160)).astype(float)


def _interictal_hours_by_loop(onset: float, offset: float) -> float:
    """Slow reference: outputs (window ends) outside [onset - SPH - SOP, offset], times 5 s."""
    lo = onset - (ALARMS.sph_min + ALARMS.sop_min) * 60.0
    count = 0
    for n in range(1, N_WIN + 1):
        t_end = onset - n * WINDOW_S + WINDOW_S
        if not (lo <= t_end <= offset):
            count += 1
    return count * WINDOW_S / 3600.0


def _config(n_surrogates: int = 50) -> SweepConfig:
    return SweepConfig(alarms=ALARMS, n_surrogates=n_surrogates, seed=0)


def _rows(folds, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return event_rows(_manifest(), folds, config=_config(**kw))


def test_one_predicted_seizure_hand_computed():
    (row,) = _rows([_fold(0, _cont(0, _predicting()))])
    assert row["case"] == "chb99" and row["preictal_min"] == 30 and row["repeat"] == 0
    assert row["sop_min"] == 30 and row["sph_min"] == 5
    assert row["n_seizures"] == 1
    assert row["n_predicted"] == 1
    assert row["sensitivity"] == 1.0
    assert row["n_false_alarms"] == 0
    # 6th positive output is the window n = 235, which ends 1170 s before onset -> lead 19.5 min
    assert row["mean_lead_time_min"] == pytest.approx(19.5)
    # 4 h of record minus the 35 min before onset (one 5 s window of boundary convention allowed)
    assert row["interictal_hours"] == pytest.approx(4.0 - 35.0 / 60.0, abs=WINDOW_S / 3600.0 + 1e-12)
    assert row["interictal_hours"] == pytest.approx(_interictal_hours_by_loop(ONSETS[0], OFFSETS[0]))
    assert row["fpr_per_h"] == 0.0
    # warning from the alarm (n = 235) up to onset: 235 of 2880 outputs
    assert row["time_in_warning"] == pytest.approx(235 / N_WIN)


def test_false_alarms_hand_computed():
    (row,) = _rows([_fold(1, _cont(1, _false_alarming()))])
    assert row["n_seizures"] == 1
    assert row["n_predicted"] == 0
    assert row["sensitivity"] == 0.0
    # alarms at the end of window n = 2155 and, after the 35 min refractory period, n = 1735; the block ends at
    # n = 1441, before the third possible alarm (n = 1315)
    assert row["n_false_alarms"] == 2
    hours = _interictal_hours_by_loop(ONSETS[1], OFFSETS[1])
    assert row["interictal_hours"] == pytest.approx(hours)
    assert row["fpr_per_h"] == pytest.approx(2 / hours)
    assert math.isnan(row["mean_lead_time_min"])
    assert row["time_in_warning"] == pytest.approx(2 * 420 / N_WIN)


def test_pooled_over_folds_and_random_predictor_p():
    folds = [_fold(0, _cont(0, _predicting())), _fold(1, _cont(1, _false_alarming()))]
    (row,) = _rows(folds)
    hours = _interictal_hours_by_loop(ONSETS[0], OFFSETS[0]) + _interictal_hours_by_loop(
        ONSETS[1], OFFSETS[1]
    )
    assert row["n_seizures"] == 2
    assert row["n_predicted"] == 1
    assert row["sensitivity"] == 0.5
    assert row["n_false_alarms"] == 2
    assert row["interictal_hours"] == pytest.approx(hours)
    assert row["fpr_per_h"] == pytest.approx(2 / hours)
    assert row["mean_lead_time_min"] == pytest.approx(19.5)
    assert row["time_in_warning"] == pytest.approx((235 + 840) / (2 * N_WIN))
    # Schelter's random predictor by hand: P(one seizure hit by chance) = 1 - exp(-FPR * SOP),
    # p = P(at least 1 of 2) = 1 - (1 - P)^2
    prob = 1.0 - math.exp(-(2 / hours) * 0.5)
    assert row["p_random_predictor"] == pytest.approx(1.0 - (1.0 - prob) ** 2)
    assert 0.0 <= row["p_surrogate"] <= 1.0
    assert 0.0 <= row["surrogate_sensitivity_mean"] <= 1.0


def test_groups_by_length_and_repeat_and_skips_folds_without_output():
    folds = [
        _fold(0, _cont(0, _predicting()), k=60, repeat=0),
        _fold(1, None, k=60, repeat=0),  # record too short: no continuous output
        _fold(1, _cont(1, _false_alarming()), k=15, repeat=0),
        _fold(0, _cont(0, _predicting()), k=15, repeat=1),
        _fold(1, _cont(1, _false_alarming()), k=15, repeat=1),
        _fold(2, _cont(2, _predicting()), k=15, repeat=1),  # seizure with unknown clock times
    ]
    rows = _rows(folds)
    assert [(r["preictal_min"], r["repeat"]) for r in rows] == [(15, 0), (15, 1), (60, 0)]
    by = {(r["preictal_min"], r["repeat"]): r for r in rows}
    assert by[(60, 0)]["n_seizures"] == 1 and by[(60, 0)]["n_predicted"] == 1
    assert by[(15, 0)]["n_seizures"] == 1 and by[(15, 0)]["n_false_alarms"] == 2
    assert by[(15, 1)]["n_seizures"] == 2 and by[(15, 1)]["n_predicted"] == 1


def test_no_continuous_output_gives_no_rows():
    assert _rows([_fold(0, None), _fold(1, None, repeat=1)]) == []
    assert _rows([]) == []


def test_empty_continuous_output_is_skipped():
    empty = ContinuousOutput(0, np.zeros(0), np.zeros(0), 0.0, WINDOW_S)
    assert _rows([_fold(0, empty)]) == []


def test_p_values_in_unit_interval_or_nan():
    folds = [_fold(0, _cont(0, _predicting())), _fold(1, _cont(1, _false_alarming()))]
    for n_surrogates in (0, 20):
        for row in _rows(folds, n_surrogates=n_surrogates):
            for key in ("p_random_predictor", "p_surrogate"):
                v = row[key]
                assert math.isnan(v) or 0.0 <= v <= 1.0, (key, v)
    (row,) = _rows(folds, n_surrogates=0)
    assert math.isnan(row["p_surrogate"]) and math.isnan(row["surrogate_sensitivity_mean"])


def test_all_zero_outputs_have_no_alarms_and_p_one():
    (row,) = _rows([_fold(0, _cont(0, np.zeros(N_WIN)))])
    assert row["n_predicted"] == 0 and row["n_false_alarms"] == 0 and row["fpr_per_h"] == 0.0
    assert row["time_in_warning"] == 0.0
    assert row["p_random_predictor"] == 1.0
    assert row["p_surrogate"] == 1.0


def test_surrogate_p_is_seeded():
    folds = [_fold(0, _cont(0, _predicting())), _fold(1, _cont(1, _false_alarming()))]
    a = _rows(folds, n_surrogates=30)[0]["p_surrogate"]
    b = _rows(folds, n_surrogates=30)[0]["p_surrogate"]
    assert a == b
