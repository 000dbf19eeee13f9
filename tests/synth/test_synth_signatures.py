"""Preictal signature kinds: the ramp and its onset shapes, nothing before ``onset - preictal_min``, per-seizure
lengths, null == "none", calibration."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re

import numpy as np
import pytest

from seizurepred.errors import ConfigError
from seizurepred.synth import SynthConfig, generate_patient, plan_truth
from seizurepred.synth.background import build_timeline
from seizurepred.synth.calibrate import onset_effects
from seizurepred.synth.generator import add_file_signature, file_base_uv
from seizurepred.synth.head import ELECTRODES, PAPER_23
from seizurepred.synth.signatures import (
    FOCAL_UV,
    SIGNATURE_BANDS_HZ,
    add_signature,
    hemisphere,
    onset_profile,
    signature_channels,
    signature_ramp,
    sync_levels,
)

SFREQ = 256
#: A 30-min patient in two 15-min files whose one preictal period (10 min) starts in the first file and ends in
#: the second (seed 1; asserted below).
SPAN = dict(
    hours=0.5, file_hours=0.25, n_seizures=1, preictal_min=10.0, min_first_onset_h=0.2, seizure_s=(20.0, 30.0),
    short_seizure_files=False, seed=1,
)  # fmt: skip


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.edf"))}


def test_ramp_is_linear_in_power_from_onset_minus_l_on_the_patient_clock():
    onset, pre_s = 1000.0, 300.0
    # two files with a gap: 600-800 s and 810-1100 s on the patient clock
    a = signature_ramp(600.0, 200 * SFREQ, onsets_clock_s=(onset,), preictal_s=pre_s, strength=0.5)
    b = signature_ramp(810.0, 290 * SFREQ, onsets_clock_s=(onset,), preictal_s=pre_s, strength=0.5)
    for start, ramp in ((600.0, a), (810.0, b)):
        clock = start + np.arange(ramp.size) / SFREQ
        u = np.clip((clock - (onset - pre_s)) / pre_s, 0.0, 1.0)
        np.testing.assert_allclose(ramp, np.where(clock < onset, 0.5 * u, 0.0), rtol=0, atol=1e-12)
    k = int((onset - pre_s - 600.0) * SFREQ)  # the sample at onset - L
    assert not a[: k + 1].any() and a[k + 1] > 0
    assert b[int((onset - 810.0) * SFREQ) - 1] == pytest.approx(0.5, abs=1e-5)
    assert not b[int((onset - 810.0) * SFREQ) :].any()
    assert not signature_ramp(0.0, 100, onsets_clock_s=(onset,), preictal_s=pre_s, strength=0.0).any()


@pytest.fixture(scope="module")
def span_plan():
    truth, model = plan_truth(SynthConfig(**SPAN))
    onset = truth.seizures[0].onset_clock_s
    first, second = truth.files
    assert first.start_clock_s < onset - 600 < first.end_clock_s < second.start_clock_s < onset
    t0 = first.start_clock_s
    timeline = build_timeline(
        np.random.default_rng(np.random.SeedSequence([SPAN["seed"], 3])), t0_clock_s=t0,
        span_s=second.end_clock_s - t0, seizure_ends_clock_s=(truth.seizures[0].offset_clock_s,),
    )  # fmt: skip
    return truth, model, timeline, onset


@pytest.mark.parametrize(
    "kind, strength, ref_strength",
    [("focal", 1.0, 0.0), ("diffuse", 0.05, 0.0), ("synchrony", 1.0, 0.5)],
)
def test_nothing_changes_before_onset_minus_l(span_plan, kind, strength, ref_strength):
    """Sample-exact in µV: the same before the sample at onset - L, different within a second after it."""
    truth, model, timeline, onset = span_plan
    plan = truth.files[0]
    base = file_base_uv(plan, config=truth.config, model=model, timeline=timeline)
    signals = []
    for s in (strength, ref_strength):
        cfg = dataclasses.replace(truth.config, signature_kind=kind, signature_strength=s)
        x = base.copy()
        add_file_signature(x, plan, config=cfg, focus=model.focus, onsets=(onset,))
        signals.append(x)
    again = base.copy()
    cfg = dataclasses.replace(truth.config, signature_kind=kind, signature_strength=strength)
    add_file_signature(again, plan, config=cfg, focus=model.focus, onsets=(onset,))
    np.testing.assert_array_equal(again, signals[0])  # same config, same values
    k = int((onset - 600 - plan.start_clock_s) * SFREQ)
    np.testing.assert_array_equal(signals[0][:, : k + 1], signals[1][:, : k + 1])
    assert not np.array_equal(signals[0][:, k + 1 : k + 1 + SFREQ], signals[1][:, k + 1 : k + 1 + SFREQ])
    if kind == "synchrony":  # the rhythm is there before onset - L, on the focus side only
        assert not np.array_equal(signals[0][:, :k], base[:, :k])
        off_side = [i for i, e in enumerate(ELECTRODES) if e not in hemisphere(model.focus)]
        np.testing.assert_array_equal(signals[0][off_side], base[off_side])


def test_written_files_equal_before_onset_minus_l(tmp_path):
    """Through the EDF files (digital values) for the synchrony kind, whose rhythm is there from the start."""
    ref_cfg = SynthConfig(**SPAN, signature_kind="synchrony", signature_strength=0.5)
    truth = generate_patient(tmp_path / "a", config=dataclasses.replace(ref_cfg, signature_strength=1.0))
    generate_patient(tmp_path / "b", config=ref_cfg)
    pyedflib = pytest.importorskip("pyedflib")
    onset = truth.seizures[0].onset_clock_s
    first = truth.files[0]
    k = int((onset - 600 - first.start_clock_s) * SFREQ)
    got, ref = [], []
    for root, out in ((tmp_path / "a", got), (tmp_path / "b", ref)):
        with pyedflib.EdfReader(str(root / "chb01" / first.file_name)) as rd:
            out.append(np.array([rd.readSignal(i, digital=True) for i in range(23)]))
    np.testing.assert_array_equal(got[0][:, : k + 1], ref[0][:, : k + 1])
    assert not np.array_equal(got[0][:, k + 1 :], ref[0][:, k + 1 :])
    saved = json.loads((tmp_path / "a" / "chb01" / "chb01-synth-truth.json").read_text())
    assert saved["signature_kind"] == "synchrony" and saved["null"] is False
    assert saved["signature_band_hz"] == [5.0, 9.0]
    assert tuple(saved["signature_channels"]) == signature_channels("synchrony", truth.focus)


@pytest.mark.parametrize("kind", ["focal", "diffuse", "synchrony"])
def test_truth_records_kind(kind):
    truth, model = plan_truth(SynthConfig(**SPAN, signature_kind=kind, signature_strength=0.5))
    saved = json.loads(json.dumps(truth.to_dict()))
    assert saved["signature_kind"] == truth.signature_kind == kind and saved["null"] is False
    assert saved["config"]["signature_kind"] == kind
    assert (
        tuple(saved["signature_channels"])
        == truth.signature_channels
        == signature_channels(kind, model.focus)
    )
    assert tuple(saved["signature_band_hz"]) == truth.signature_band_hz == SIGNATURE_BANDS_HZ[kind]


def test_null_is_kind_none(tmp_path):
    a = generate_patient(tmp_path / "a", config=SynthConfig(**SPAN, null=True, signature_kind="synchrony"))
    b = generate_patient(tmp_path / "b", config=SynthConfig(**SPAN, signature_kind="none"))
    assert _digest(tmp_path / "a" / "chb01") == _digest(tmp_path / "b" / "chb01")
    c, _ = plan_truth(SynthConfig(**SPAN, signature_strength=0.0))
    for truth in (a, b, c):
        assert truth.null and truth.signature_kind == "none" and truth.config.kind == "none"
        assert truth.signature_band_hz is None and truth.signature_channels == ()
        assert truth.config.strength == 0.0
        assert truth.to_dict()["signature_band_hz"] is None


def test_default_kind_is_focal_and_config_validates_kind():
    assert SynthConfig().signature_kind == "focal" == SynthConfig().kind
    with pytest.raises(ConfigError, match=re.escape("Invalid value for 'signature_kind': allowed 'focal'")):
        SynthConfig(signature_kind="beta")
    with pytest.raises(ConfigError, match=re.escape("Invalid value for 'signature_strength'")):
        SynthConfig(signature_kind="synchrony", signature_strength=1.5)
    assert SynthConfig(signature_kind="focal", signature_strength=5.0).strength == 5.0


def test_signature_channels_and_sync_levels():
    assert signature_channels("focal", "T7") == ("F7-T7", "T7-P7", "P7-T7", "T7-FT9")
    assert signature_channels("diffuse", "T7") == PAPER_23
    assert signature_channels("none", "T7") == ()
    left = signature_channels("synchrony", "C3")
    assert set(left) == {
        "FP1-F7",
        "F7-T7",
        "T7-P7",
        "P7-O1",
        "FP1-F3",
        "F3-C3",
        "C3-P3",
        "P3-O1",
        "P7-T7",
        "T7-FT9",
    }
    levels = sync_levels("T8")
    on = {ELECTRODES[i] for i in np.flatnonzero(levels)}
    assert on == {"FP2", "F8", "T8", "P8", "O2", "F4", "C4", "P4", "FT10"}
    assert levels[ELECTRODES.index("T8")] == levels.max()


# Calibration (signatures.py module docstring): recomputed on the last 5 min before the first onset of the
# calibration patients (seed 0 F8, seed 1 T7, seed 2 T8), with and without the signature.
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_calibration_focal_and_diffuse(seed):
    # table: focal x9.5 [5.7-15.6], diffuse x7.8 [6.5-9.4] at strength 1; x1.42 / x1.34 at 0.05
    for kind, (lo, hi) in (("focal", (4.5, 20.0)), ("diffuse", (5.0, 12.0))):
        strong = onset_effects(seed, kind=kind, strength=1.0)["power_ratio"]
        subtle = onset_effects(seed, kind=kind, strength=0.05)["power_ratio"]
        assert lo < strong < hi, (kind, strong)
        # power-linear in strength: the excess at 0.05 is a twentieth of that at 1 (within noise)
        assert 0.04 < (subtle - 1.0) / (strong - 1.0) < 0.065, (kind, strong, subtle)
        assert subtle > 1.2, (kind, subtle)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_calibration_synchrony(seed):
    e = onset_effects(seed, kind="synchrony", strength=1.0)
    # table: .33 [.30-.36] -> .55 [.51-.57]; x0.41 [0.34-0.47]; .17 -> .26; electrode power unchanged in expectation
    assert 0.27 < e["mono_coh_before"] < 0.40 and e["mono_coh_after"] > e["mono_coh_before"] + 0.10, e
    assert 0.28 < e["bip_power_ratio"] < 0.55, e
    assert e["bip_coh_after"] > e["bip_coh_before"] + 0.05, e
    assert e["max_electrode_power_change"] < 0.10, e  # 5 min of a 4-Hz band: 3-8 % sampling noise


def test_synchrony_rhythm_keeps_electrode_power_and_shares_a_fraction_c():
    """The rhythm alone (30 min, constant shared fraction c): power per electrode as at c = 0, correlation c."""
    n = 1800 * SFREQ
    rows = np.flatnonzero(sync_levels("C4"))
    out = {}
    for c in (0.0, 0.6):
        z = np.zeros((len(ELECTRODES), n), dtype=np.float32)
        add_signature(z, np.random.default_rng(4), np.full(n, c), kind="synchrony", focus="C4")
        out[c] = z[rows].astype(np.float64)
    np.testing.assert_allclose(out[0.6].var(axis=1) / out[0.0].var(axis=1), 1.0, atol=0.04)
    corr = np.corrcoef(out[0.6])[np.triu_indices(rows.size, k=1)]
    assert abs(corr.mean() - 0.6) < 0.02 and np.all(np.abs(corr - 0.6) < 0.06), corr
    assert np.abs(np.corrcoef(out[0.0])[np.triu_indices(rows.size, k=1)]).max() < 0.06


# ---------------------------------------------------------------------------------------------- onset shapes
SHAPES = ("linear", "raised_cosine", "sigmoid", "step")


def test_onset_profiles_start_at_zero_end_at_one_and_differ_as_documented():
    u = np.linspace(0.0, 1.0, 4001)
    prof = {s: onset_profile(u, s) for s in SHAPES}
    for s, p in prof.items():
        assert p[0] == 0.0 and p[-1] == pytest.approx(1.0, abs=1e-12), s
        assert np.all(np.diff(p) >= -1e-12) and p.min() >= 0.0 and p.max() <= 1.0, s
    np.testing.assert_array_equal(prof["linear"], u)
    q = 1000  # u = 0.25
    assert (
        prof["raised_cosine"][q] == pytest.approx(0.5 - 0.5 * np.cos(np.pi / 4))
        and prof["raised_cosine"][q] < 0.25
    )
    assert prof["sigmoid"][q] < prof["raised_cosine"][q] < prof["linear"][q]
    assert prof["sigmoid"][3000] > 0.75 and prof["sigmoid"][2000] == pytest.approx(0.5)
    assert np.all(prof["step"][1:] == 1.0)
    with pytest.raises(ConfigError, match=re.escape("Invalid value for 'onset_shape'")):
        onset_profile(u, "cubic")


@pytest.mark.parametrize("shape", SHAPES)
def test_ramp_shapes_on_the_patient_clock(shape):
    """Zero up to the planted start, ``strength * p(u)`` within, ``strength`` just before onset, zero from onset."""
    onset, pre_s, strength = 1000.0, 300.0, 0.5
    ramp = signature_ramp(
        600.0, 500 * SFREQ, onsets_clock_s=(onset,), preictal_s=pre_s, strength=strength, shape=shape
    )
    clock = 600.0 + np.arange(ramp.size) / SFREQ
    u = np.clip((clock - (onset - pre_s)) / pre_s, 0.0, 1.0)
    np.testing.assert_allclose(
        ramp, np.where(clock < onset, strength * onset_profile(u, shape), 0.0), atol=1e-12
    )
    k = int((onset - pre_s - 600.0) * SFREQ)
    assert not ramp[: k + 1].any() and ramp[k + 1] > 0
    on = int((onset - 600.0) * SFREQ)
    assert ramp[on - 1] == pytest.approx(strength, abs=1e-3) and not ramp[on:].any()
    quarter = k + int(pre_s / 4 * SFREQ)
    linear = signature_ramp(600.0, 500 * SFREQ, onsets_clock_s=(onset,), preictal_s=pre_s, strength=strength)
    if shape == "step":
        assert np.all(ramp[k + 1 : on] == strength)
    elif shape != "linear":
        assert ramp[quarter] < linear[quarter]


def test_ramp_per_seizure_lengths():
    onsets, lengths = (1000.0, 3000.0), (300.0, 900.0)
    ramp = signature_ramp(0.0, 3600 * SFREQ, onsets_clock_s=onsets, preictal_s=lengths, strength=1.0)
    for onset, length in zip(onsets, lengths):
        k = int((onset - length) * SFREQ)
        assert not ramp[k] and ramp[k + 1] > 0
    same = signature_ramp(0.0, 3600 * SFREQ, onsets_clock_s=onsets, preictal_s=(300.0, 300.0), strength=1.0)
    np.testing.assert_array_equal(
        same, signature_ramp(0.0, 3600 * SFREQ, onsets_clock_s=onsets, preictal_s=300.0, strength=1.0)
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_planted_power_follows_the_shape(shape):
    """The focal source alone: zero power before the start, strength x FOCAL_UV**2 at the focus at onset."""
    n, strength = 1200 * SFREQ, 0.5
    ramp = signature_ramp(0.0, n, onsets_clock_s=(1100.0,), preictal_s=1000.0, strength=strength, shape=shape)
    z = np.zeros((len(ELECTRODES), n), dtype=np.float32)
    add_signature(z, np.random.default_rng(0), ramp, kind="focal", focus="T7")
    x = z[ELECTRODES.index("T7")].astype(np.float64)
    assert not x[: 100 * SFREQ + 1].any()  # before the planted start: exactly the background
    power = (x[: 1100 * SFREQ].reshape(22, -1) ** 2).mean(axis=1) / FOCAL_UV**2  # 50-s windows
    expected = ramp[: 1100 * SFREQ].reshape(22, -1).mean(axis=1)
    np.testing.assert_allclose(power[2:], expected[2:], rtol=0.25)
    last = (x[1090 * SFREQ : 1100 * SFREQ] ** 2).mean() / FOCAL_UV**2
    assert last == pytest.approx(strength, rel=0.3)
    if shape == "step":
        assert power[2:].std() / power[2:].mean() < 0.15


@pytest.mark.parametrize("shape", ["raised_cosine", "sigmoid", "step"])
def test_shapes_change_nothing_before_the_planted_start(span_plan, shape):
    truth, model, timeline, onset = span_plan
    plan = truth.files[0]
    base = file_base_uv(plan, config=truth.config, model=model, timeline=timeline)
    x = base.copy()
    cfg = dataclasses.replace(truth.config, onset_shape=shape)
    add_file_signature(x, plan, config=cfg, focus=model.focus, onsets=(onset,))
    k = int((onset - 600 - plan.start_clock_s) * SFREQ)
    np.testing.assert_array_equal(x[:, : k + 1], base[:, : k + 1])
    assert not np.array_equal(x[:, k + 1 :], base[:, k + 1 :])


def test_linear_is_the_default_and_explicit_per_seizure_lengths_equal_it(span_plan, tmp_path):
    truth, model, timeline, onset = span_plan
    plan = truth.files[0]
    base = file_base_uv(plan, config=truth.config, model=model, timeline=timeline)
    a, b, c = base.copy(), base.copy(), base.copy()
    add_file_signature(a, plan, config=truth.config, focus=model.focus, onsets=(onset,))
    explicit = dataclasses.replace(truth.config, onset_shape="linear", preictal_mins=(10.0,))
    add_file_signature(b, plan, config=explicit, focus=model.focus, onsets=(onset,), preictal_mins=(10.0,))
    np.testing.assert_array_equal(a, b)
    add_file_signature(c, plan, config=truth.config, focus=model.focus, onsets=(onset,), preictal_mins=(5.0,))
    k = int((onset - 300 - plan.start_clock_s) * SFREQ)
    np.testing.assert_array_equal(c[:, : k + 1], base[:, : k + 1])
    assert SynthConfig().onset_shape == "linear"
    generate_patient(tmp_path / "a", config=SynthConfig(**SPAN))
    generate_patient(tmp_path / "b", config=SynthConfig(**SPAN, onset_shape="linear", preictal_mins=(10.0,)))
    assert _digest(tmp_path / "a" / "chb01") == _digest(tmp_path / "b" / "chb01")


def test_jittered_lengths_change_only_the_signature():
    plain, _ = plan_truth(SynthConfig(hours=30, n_seizures=5, preictal_min=40, seed=2))
    jit, _ = plan_truth(SynthConfig(hours=30, n_seizures=5, preictal_min=40, seed=2, preictal_jitter_min=15))
    assert jit.files == plain.files and [s.onset_clock_s for s in jit.seizures] == [
        s.onset_clock_s for s in plain.seizures
    ]
    assert jit.focus == plain.focus
    assert all(s.preictal_min == 40.0 for s in plain.seizures)
    lengths = [s.preictal_min for s in jit.seizures]
    assert all(25.0 <= m <= 55.0 for m in lengths) and len(set(lengths)) == 5
    again, _ = plan_truth(
        SynthConfig(hours=30, n_seizures=5, preictal_min=40, seed=2, preictal_jitter_min=15)
    )
    assert [s.preictal_min for s in again.seizures] == lengths
    assert json.loads(json.dumps(jit.to_dict()))["seizures"][0]["preictal_min"] == lengths[0]


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"onset_shape": "cubic"}, "onset_shape"),
        ({"preictal_jitter_min": 30.0}, "preictal_jitter_min"),
        ({"preictal_jitter_min": -1.0}, "preictal_jitter_min"),
        ({"preictal_mins": (10.0, 20.0)}, "preictal_mins"),
        ({"preictal_mins": (10.0, 0.0, 5.0, 5.0)}, "preictal_mins[1]"),
        ({"preictal_mins": "10,20"}, "preictal_mins"),
        ({"preictal_mins": (10.0,) * 4, "preictal_jitter_min": 5.0}, "preictal_jitter_min"),
        ({"preictal_mins": (10.0, 10.0, 10.0, 400.0)}, "min_first_onset_h"),
        (
            {"preictal_min": 200.0, "preictal_jitter_min": 150.0, "min_first_onset_h": 5.0},
            "min_first_onset_h",
        ),
        ({"like": "chb3"}, "like"),
        ({"like": "chb03"}, "patient"),
    ],
)
def test_shape_and_length_options_are_validated(kwargs, name):
    with pytest.raises(ConfigError, match=re.escape(f"Invalid value for {name!r}")) as err:
        SynthConfig(**kwargs)
    assert "\n" not in str(err.value)
    ok = SynthConfig(preictal_mins=[10, 20.5, 30, 40])
    assert ok.preictal_mins == (10.0, 20.5, 30.0, 40.0)
