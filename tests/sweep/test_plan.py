"""The plan of folds: frozen, picklable folds from a manifest and a config, rebuilt deterministically anywhere."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from seizurepred.errors import ConfigError
from seizurepred.io.manifest import Manifest, Recording, Seizure
from seizurepred.labels.segments import LabelConfig
from seizurepred.sweep.config import SweepConfig
from seizurepred.sweep.plan import Fold, fold_inputs, fold_stem, plan_folds, preflight, training_seed

H = 3600.0
CH = ("A",)


def _manifest(seizure_hours=(6.0, 14.0, 22.0), hours=28):
    recs = []
    for i in range(hours):
        start = i * H
        szs = tuple(Seizure(t * H - start, t * H - start + 60.0) for t in seizure_hours if start <= t * H < start + H)
        recs.append(Recording(f"p_{i:02d}.edf", start, start + H, CH, szs))
    return Manifest("chb90", 256.0, tuple(recs))


@dataclasses.dataclass(frozen=True)
class _Patient:
    """What the planner reads of a patient: manifest, the recordings in the cache and their lengths."""

    manifest: Manifest
    available: tuple[str, ...]
    sfreq: float
    n_samples: dict

    @classmethod
    def of(cls, m: Manifest, sfreq: float = 8.0):
        return cls(m, tuple(r.file_name for r in m.recordings), sfreq,
                   {r.file_name: int(r.duration_s * sfreq) for r in m.recordings})  # fmt: skip


CONFIG = SweepConfig(preictal_mins=(60, 30), repeats=2, label=LabelConfig())


def test_plan_order_identity_and_seeds():
    plan = plan_folds(_Patient.of(_manifest()), config=CONFIG)
    keys = [(f.preictal_min, f.repeat, f.seizure_id) for f in plan.folds]
    assert keys == [(k, r, s) for k in (60, 30) for r in (0, 1) for s in (0, 1, 2)]
    f = plan.folds[4]
    assert f.stem == fold_stem(60, 1, 1) == "k060_sz001_r1" and f.key == ("chb90", 60, 1, 1)
    assert f.label == CONFIG.label_for(60) and f.split_seed == CONFIG.seed + 1
    assert f.train_seed == training_seed(CONFIG, repeat=1, seizure_id=1)
    assert [g.position for g in plan.folds[:3]] == [0, 1, 2]
    assert pickle.loads(pickle.dumps(plan.folds[0])) == plan.folds[0]  # travels to another process as it is
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.repeat = 3  # type: ignore[misc]


def test_fold_inputs_are_rebuilt_identically_in_a_fresh_process_state():
    from seizurepred.sweep import plan as plan_mod

    patient = _Patient.of(_manifest())
    fold = plan_folds(patient, config=CONFIG).folds[1]
    index, split = fold_inputs(fold, patient, config=CONFIG)
    plan_mod._INPUTS.clear()  # what a worker starts with
    index2, split2 = fold_inputs(fold, _Patient.of(_manifest()), config=CONFIG)
    assert split.test_seizure_id == fold.seizure_id == split2.test_seizure_id
    for part in ("train", "val", "test"):
        np.testing.assert_array_equal(getattr(split, part), getattr(split2, part))
    np.testing.assert_array_equal(index.clock_s, index2.clock_s)
    other = dataclasses.replace(fold, seizure_id=99)
    with pytest.raises(ConfigError, match="k060_sz099_r0 of chb90 has no paper split"):
        fold_inputs(other, patient, config=CONFIG)


def test_a_freed_patients_windows_are_never_handed_to_the_next_patient():
    """Python reuses an ``id`` once an object is freed: a process that sweeps one patient after another must not
    get the previous patient's memoised windows (the benchmark hit this: an index beyond a short file's end)."""
    import gc

    from seizurepred.sweep import plan as plan_mod

    plan_mod._INPUTS.clear()
    first = _Patient.of(_manifest())
    fold = plan_folds(first, config=CONFIG).folds[0]
    index_first, _ = fold_inputs(fold, first, config=CONFIG)
    second = _Patient.of(_manifest(seizure_hours=(5.0, 13.0, 21.0)))  # same case name, other seizures
    for key in list(plan_mod._INPUTS):  # as if ``second`` had taken over the freed id
        plan_mod._INPUTS[(id(second), *key[1:])] = plan_mod._INPUTS.pop(key)
    del first
    gc.collect()
    index_second, split = fold_inputs(fold, second, config=CONFIG)
    plan_mod._INPUTS.clear()
    fresh, fresh_split = fold_inputs(fold, second, config=CONFIG)
    assert not np.array_equal(index_second.clock_s, index_first.clock_s)
    np.testing.assert_array_equal(index_second.clock_s, fresh.clock_s)
    np.testing.assert_array_equal(split.test, fresh_split.test)


def test_plan_of_several_patients_is_one_pool_and_skips_ineligible_lengths():
    one = _Patient.of(_manifest())
    two = _Patient.of(dataclasses.replace(_manifest(seizure_hours=(6.0,)), case="chb91"))
    plan = plan_folds([one, two], config=CONFIG)
    assert {f.case for f in plan.folds} == {"chb90"}
    assert plan.for_case("chb91").folds == ()
    reasons = {s["reason"] for s in plan.for_case("chb91").skipped}
    assert reasons == {"not eligible: 1 usable seizure(s) (< min_seizures = 2)"}  # said once, not twice


def test_preflight_refuses_a_config_that_plans_nothing_before_reading_any_data():
    m = _manifest()
    assert preflight(m, CONFIG) == 12
    with pytest.raises(ConfigError, match=r"chb90: the config plans no fold to train \(60 min: no paper split"):
        long_windows = dataclasses.replace(CONFIG, window=dataclasses.replace(CONFIG.window, window_s=7200.0),
                                           forecast=dataclasses.replace(CONFIG.forecast, horizons_min=(240.0,)))
        preflight(m, long_windows)


def test_fold_is_a_plain_value():
    f = Fold("chb01", 30, LabelConfig(preictal_min=30.0), 0, 2, "paper", 0, 2, 1)
    assert f == Fold("chb01", 30, LabelConfig(preictal_min=30.0), 0, 2, "paper", 0, 2, 1)
    assert hash(f) == hash(Fold("chb01", 30, LabelConfig(preictal_min=30.0), 0, 2, "paper", 0, 2, 1))
