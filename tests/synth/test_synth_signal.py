"""Synthetic generator: calibration against real CHB-MIT excerpts, montage facts, seizures, preictal signature."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import welch

from seizurepred.synth import SynthConfig, generate_patient
from seizurepred.synth.background import build_timeline
from seizurepred.synth.generator import _file_uv, plan_truth
from seizurepred.synth.head import PAPER_23, derivation_matrix

pyedflib = pytest.importorskip("pyedflib")
LSB_UV = 1600.0 / 4095.0
#: Tolerances of the background calibration against the real excerpts.
RMS_TOL = 0.25  # relative, on the median bipolar RMS
SLOPE_TOL = 0.35  # absolute, on the 1-20 Hz log-log slope


def _read(path, channels=None):
    with pyedflib.EdfReader(str(path)) as rd:
        rows = range(rd.signals_in_file) if channels is None else channels
        return np.array([rd.readSignal(i) for i in rows])


def _rms_and_slope(windows):
    rms, psds = [], []
    for x in windows:
        x = x - x.mean(axis=1, keepdims=True)
        rms.append(np.sqrt((x**2).mean(axis=1)))
        freqs, p = welch(x, fs=256, nperseg=512)
        psds.append(p)
    med = np.median(np.concatenate(psds), axis=0)
    band = (freqs >= 1) & (freqs <= 20)
    return float(np.median(rms)), float(np.polyfit(np.log10(freqs[band]), np.log10(med[band]), 1)[0])


def _clock_segment(root, truth, a_clock, b_clock, rows):
    for f in truth.files:
        if f.start_clock_s <= a_clock and b_clock <= f.end_clock_s:
            a, b = int((a_clock - f.start_clock_s) * 256), int((b_clock - f.start_clock_s) * 256)
            return _read(root / truth.patient / f.file_name, rows)[:, a:b]
    raise AssertionError(f"no single file holds clock {a_clock}-{b_clock}")


def _band_power(x, lo, hi):
    freqs, p = welch(x, fs=256, nperseg=1024)
    return float(p[:, (freqs >= lo) & (freqs <= hi)].sum(axis=1).mean())


@pytest.fixture(scope="module")
def null_patient(tmp_path_factory):
    root = tmp_path_factory.mktemp("null")
    cfg = SynthConfig(hours=0.5, file_hours=0.25, n_seizures=0, null=True, seed=11)
    return root, generate_patient(root, config=cfg)


def test_background_matches_real_excerpts(chbmit_dir, null_patient):
    real = [np.load(p) for p in sorted((chbmit_dir / "signals").rglob("preictal_10s/*.npy"))]
    assert len(real) == 10  # the committed excerpts (data_manifests/metadata/signals)
    real_rms, real_slope = _rms_and_slope(real)
    root, truth = null_patient
    rng = np.random.default_rng(0)
    windows = []
    for f in truth.files:
        x = _read(root / "chb01" / f.file_name)
        windows += [x[:, a : a + 2561] for a in rng.integers(0, x.shape[1] - 2561, 15)]
    syn_rms, syn_slope = _rms_and_slope(windows)
    assert abs(syn_rms / real_rms - 1) < RMS_TOL, (syn_rms, real_rms)
    assert abs(syn_slope - real_slope) < SLOPE_TOL, (syn_slope, real_slope)


def test_montage_facts_on_read_back(null_patient):
    root, truth = null_patient
    x = _read(root / "chb01" / truth.files[0].file_name)
    ix = {lab: i for i, lab in enumerate(PAPER_23[:22])}
    np.testing.assert_array_equal(x[22], x[14])  # duplicate T8-P8
    assert np.abs(x[ix["P7-T7"]] + x[ix["T7-P7"]]).max() <= LSB_UV + 1e-6
    for temporal, parasagittal in (
        (("FP1-F7", "F7-T7", "T7-P7", "P7-O1"), ("FP1-F3", "F3-C3", "C3-P3", "P3-O1")),
        (("FP2-F8", "F8-T8", "T8-P8", "P8-O2"), ("FP2-F4", "F4-C4", "C4-P4", "P4-O2")),
    ):
        gap = sum(x[ix[c]] for c in temporal) - sum(x[ix[c]] for c in parasagittal)
        assert np.abs(gap).max() <= 4 * LSB_UV + 1e-6
    assert 10 < np.std(x[:18], axis=1).mean() < 200


def test_calibration_equals_generated_microvolts(null_patient):
    root, truth = null_patient
    cfg = truth.config
    _, model = plan_truth(cfg)
    f = truth.files[1]
    t0 = truth.files[0].start_clock_s
    timeline = build_timeline(
        np.random.default_rng(np.random.SeedSequence([cfg.seed, 3])),
        t0_clock_s=t0,
        span_s=truth.files[-1].end_clock_s - t0,
        seizure_ends_clock_s=(),
    )
    mono = _file_uv(f, config=cfg, model=model, timeline=timeline, onsets=())
    expected = derivation_matrix(PAPER_23) @ mono
    got = _read(root / "chb01" / f.file_name)
    assert np.abs(got - expected).max() <= 0.5 * LSB_UV + 1e-3


@pytest.mark.parametrize("strength", [1.0, 0.0])
def test_preictal_signature_present_or_absent(tmp_path, strength):
    cfg = SynthConfig(
        hours=0.8,
        file_hours=0.4,
        n_seizures=1,
        preictal_min=6.0,
        min_first_onset_h=0.25,
        seizure_s=(20.0, 30.0),
        signature_strength=strength,
        short_seizure_files=False,
        seed=5,
    )
    truth = generate_patient(tmp_path, config=cfg)
    assert truth.null == (strength == 0.0)
    assert truth.signature_kind == ("focal" if strength else "none")
    rows = [i for i, lab in enumerate(PAPER_23[:18]) if lab in truth.focal_channels]
    assert rows
    onset = truth.seizures[0].onset_clock_s
    near = _band_power(_clock_segment(tmp_path, truth, onset - 55, onset - 2, rows), 4.0, 8.0)
    far_start = onset - cfg.preictal_min * 60 - 100
    far = _band_power(_clock_segment(tmp_path, truth, far_start, far_start + 53, rows), 4.0, 8.0)
    if strength:
        assert near > 2.5 * far, (near, far)
    else:
        assert near < 1.8 * far, (near, far)


def test_seizure_is_high_amplitude_rhythmic(tmp_path):
    cfg = SynthConfig(
        hours=0.5, file_hours=0.5, n_seizures=1, preictal_min=3.0, min_first_onset_h=0.1, seizure_s=(40.0, 40.0),
        null=True, seed=2,
    )  # fmt: skip
    truth = generate_patient(tmp_path, config=cfg)
    sz = truth.seizures[0]
    rows = [i for i, lab in enumerate(PAPER_23[:18]) if lab in truth.focal_channels]
    ictal = _clock_segment(tmp_path, truth, sz.onset_clock_s + 10, sz.onset_clock_s + 30, rows)
    before = _clock_segment(tmp_path, truth, sz.onset_clock_s - 40, sz.onset_clock_s - 20, rows)
    ratio = np.std(ictal, axis=1).mean() / np.std(before, axis=1).mean()
    assert 3.0 < ratio < 15.0, ratio
    freqs, p = welch(ictal, fs=256, nperseg=1024)
    peak = freqs[np.argmax(p.mean(axis=0)[freqs > 1.5]) + np.sum(freqs <= 1.5)]
    assert 2.0 <= peak <= 10.0, peak
