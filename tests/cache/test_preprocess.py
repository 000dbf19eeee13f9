"""Tests for seizurepred.cache.preprocess against MNE (the independent reference)."""

from __future__ import annotations

import mne
import numpy as np
import pytest

from seizurepred.cache.preprocess import (
    PreprocessConfig,
    common_average_reference,
    design_bandpass,
    preprocess,
)
from seizurepred.errors import ConfigError

SFREQ = 256.0
TOL = 1e-5  # max |ours - MNE| relative to the RMS of MNE's filtered signal


def _white(n_chans: int, n_samples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (30.0 * rng.standard_normal((n_chans, n_samples))).astype(np.float32)


def _one_over_f(n_chans: int, n_samples: int, seed: int, *, exponent: float = 1.0) -> np.ndarray:
    """1/f^exponent power spectrum (from 0.05 Hz), ~30 µV RMS, plus channel offsets of ~100 µV."""
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.standard_normal((n_chans, n_samples)), axis=1)
    freqs = np.fft.rfftfreq(n_samples, 1.0 / SFREQ)
    spec /= np.maximum(freqs, 0.05) ** (exponent / 2)
    sig = np.fft.irfft(spec, n_samples, axis=1)
    sig *= 30.0 / sig.std()
    return (sig + 100.0 * rng.standard_normal((n_chans, 1))).astype(np.float32)


def _random_walk(n_chans: int, n_samples: int, seed: int) -> np.ndarray:
    """Strong slow drift (random walk) on top of white noise: the hardest case for float32."""
    rng = np.random.default_rng(seed)
    walk = np.cumsum(0.3 * rng.standard_normal((n_chans, n_samples)), axis=1)
    return (walk + 20.0 * rng.standard_normal((n_chans, n_samples))).astype(np.float32)


def _mne_reference(data: np.ndarray, *, car: bool = True, l_freq=0.5, h_freq=45.0, sfreq=SFREQ) -> np.ndarray:
    x = data.astype(np.float64)
    if car:
        x = x - x.mean(axis=0, keepdims=True)
    return mne.filter.filter_data(x, sfreq, l_freq, h_freq, fir_design="firwin", verbose=False)


def _max_rel_err(ours: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(ours.astype(np.float64) - ref).max() / np.sqrt(np.mean(ref**2)))


@pytest.mark.parametrize("sfreq", [256.0, 200.0, 512.0, 173.61])
def test_taps_equal_mne(sfreq):
    ours = design_bandpass(sfreq)
    ref = mne.filter.create_filter(None, sfreq, 0.5, 45.0, fir_design="firwin", verbose=False)
    assert ours.dtype == np.float64
    np.testing.assert_array_equal(ours, ref)
    assert not ours.flags.writeable
    assert design_bandpass(sfreq) is ours  # cached


def test_taps_length_at_256_hz():
    assert design_bandpass(256.0).size == 1691


def test_taps_other_band_and_design():
    config = PreprocessConfig(l_freq_hz=1.0, h_freq_hz=30.0, fir_design="firwin2")
    ref = mne.filter.create_filter(None, 256.0, 1.0, 30.0, fir_design="firwin2", verbose=False)
    np.testing.assert_array_equal(design_bandpass(256.0, config=config), ref)


@pytest.mark.parametrize("n_samples", [1691, 1692, 2000, 6502, 13004, 13005, 256 * 60 + 7, 40_961])
@pytest.mark.parametrize("make", [_white, _one_over_f, _random_walk])
def test_equals_mne_filter_data(make, n_samples):
    data = make(4, n_samples, seed=n_samples)
    ours = preprocess(data, sfreq=SFREQ)
    ref = _mne_reference(data)
    half = (design_bandpass(SFREQ).size - 1) // 2
    interior = slice(half, n_samples - half)
    assert _max_rel_err(ours[:, interior], ref[:, interior]) < TOL
    assert _max_rel_err(ours, ref) < TOL  # edges too: MNE's reflect_limited padding is reproduced


def test_equals_mne_for_steep_spectrum_long_signal():
    data = _one_over_f(3, 256 * 600 + 13, seed=3, exponent=2.0)
    assert _max_rel_err(preprocess(data, sfreq=SFREQ), _mne_reference(data)) < TOL


def test_equals_mne_with_offsets_and_strong_drift():
    """15 min of large offsets + random-walk drift: float32 needs the per-block mean removal to stay < 1e-5."""
    rng = np.random.default_rng(11)
    n_chans, n_samples = 4, 256 * 900 + 5
    walk = np.cumsum(0.5 * rng.standard_normal((n_chans, n_samples)), axis=1)
    noise = 10.0 * rng.standard_normal((n_chans, n_samples))
    data = (walk + noise + 500.0 * rng.standard_normal((n_chans, 1))).astype(np.float32)
    assert _max_rel_err(preprocess(data, sfreq=SFREQ), _mne_reference(data)) < TOL


def test_equals_mne_other_sfreq_band_and_no_car():
    config = PreprocessConfig(l_freq_hz=1.0, h_freq_hz=40.0, car=False)
    data = _one_over_f(3, 30_001, seed=5)
    ours = preprocess(data, sfreq=200.0, config=config)
    ref = _mne_reference(data, car=False, l_freq=1.0, h_freq=40.0, sfreq=200.0)
    assert _max_rel_err(ours, ref) < TOL


def test_single_channel_car_gives_zero():
    data = _white(1, 4000, seed=1)
    np.testing.assert_array_equal(preprocess(data, sfreq=SFREQ), 0.0)


def test_common_average_reference():
    data = _one_over_f(23, 5000, seed=2)
    car = common_average_reference(data)
    assert car.dtype == np.float32
    assert car.shape == data.shape
    assert np.abs(car.astype(np.float64).sum(axis=0)).max() < 1e-3
    np.testing.assert_allclose(car, data - data.mean(axis=0, dtype=np.float64), rtol=0, atol=1e-4)


def test_output_channel_sum_is_about_zero_after_car():
    data = _one_over_f(23, 5000, seed=4)
    out = preprocess(data, sfreq=SFREQ)
    assert np.abs(out.astype(np.float64).sum(axis=0)).max() < 1e-3 * out.std()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16])
def test_dtype_shape_and_no_mutation(dtype):
    data = (_white(5, 3000, seed=7)).astype(dtype)
    before = data.copy()
    data.setflags(write=False)  # also: read-only input is fine
    out = preprocess(data, sfreq=SFREQ)
    assert out.dtype == np.float32
    assert out.shape == data.shape
    np.testing.assert_array_equal(data, before)
    assert _max_rel_err(out, _mne_reference(before)) < TOL


def test_non_contiguous_input():
    data = _white(6, 4000, seed=8)
    view = data[::2, ::1]
    np.testing.assert_array_equal(preprocess(view, sfreq=SFREQ), preprocess(view.copy(), sfreq=SFREQ))


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (np.zeros(5000, dtype=np.float32), "2-D array"),
        (np.zeros((2, 3, 5000), dtype=np.float32), "2-D array"),
        (np.zeros((0, 5000), dtype=np.float32), "at least one channel"),
        (np.zeros((3, 1690), dtype=np.float32), "at least 1691 samples"),
        (np.zeros((3, 5000), dtype=np.complex64), "real numeric"),
        (np.full((3, 5000), np.nan, dtype=np.float32), "finite"),
    ],
)
def test_bad_data_raises(data, match):
    with pytest.raises(ConfigError, match=match) as info:
        preprocess(data, sfreq=SFREQ)
    message = str(info.value)
    assert "'data'" in message
    assert "\n" not in message


@pytest.mark.parametrize("sample", [1234, 20_000])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_single_non_finite_sample_raises(bad, sample):
    data = _white(3, 30_000, seed=9)
    data[1, sample] = bad
    with pytest.raises(ConfigError, match=f"first at sample {sample}"):
        preprocess(data, sfreq=SFREQ)
    with pytest.raises(ConfigError, match=f"first at sample {sample}"):
        preprocess(data, sfreq=SFREQ, config=PreprocessConfig(car=False))
    with pytest.raises(ConfigError, match="'data'"):
        common_average_reference(data)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"l_freq_hz": 0.0}, "l_freq_hz"),
        ({"l_freq_hz": -1.0}, "l_freq_hz"),
        ({"h_freq_hz": float("nan")}, "h_freq_hz"),
        ({"l_freq_hz": 45.0, "h_freq_hz": 45.0}, "h_freq_hz"),
        ({"l_freq_hz": 50.0, "h_freq_hz": 45.0}, "h_freq_hz"),
        ({"car": "yes"}, "car"),
        ({"fir_design": "remez"}, "fir_design"),
    ],
)
def test_bad_config_raises(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        PreprocessConfig(**kwargs)


@pytest.mark.parametrize(
    ("sfreq", "match"), [(80.0, "Nyquist"), (90.0, "Nyquist"), (0.0, "sfreq"), (-256.0, "sfreq")]
)
def test_bad_sfreq_raises(sfreq, match):
    with pytest.raises(ConfigError, match=match):
        preprocess(_white(2, 5000, seed=0), sfreq=sfreq)
    with pytest.raises(ConfigError, match=match):
        design_bandpass(sfreq)
