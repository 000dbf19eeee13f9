"""Tests of the model registry and every registered model's contract."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seizurepred.errors import ConfigError
from seizurepred.models import (
    InputNorm,
    KerasMultiHeadAttention,
    ModelConfig,
    build_model,
    count_parameters,
    list_models,
)
from seizurepred.models.baseline import DEFAULT_BANDS_HZ

N_CHANS, N_TIMES = 8, 256

# Pinned parameter counts at (N_CHANS, N_TIMES) with default options: a change means the architecture changed.
# cnn_transformer by hand: convs 320+18496+73856 + BN 2*(32+64+128) = 93120; 8 chans pool to 1 -> d = 128,
# 32 tokens; attention 1: 3*(128*512+512) + 512*128+128 = 263808; dense 128*64+64 = 8256; attention 2 (d = 64):
# 3*(64*512+512) + 512*64+64 = 132672; dense 4160; head 32*64+1 = 2049; total 504065.
# small: conv 8*16*9 + BN 32 + dw 16*9 + pw 16*32 + BN 64 + dw 32*9 + pw 32*32 + BN 64 + head 65 = 3345.
# bandpower_logreg: 8 chans x 5 bands + 1 = 41.
PINNED = {"bandpower_logreg": 41, "cnn_transformer": 504065, "small": 3345}


def _x(batch: int = 3, n_chans: int = N_CHANS, n_times: int = N_TIMES, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return 50.0 * torch.randn(batch, n_chans, n_times, generator=gen)  # (B, C, T) µV


def test_registry_lists_the_three_models():
    assert set(list_models()) >= {"cnn_transformer", "small", "bandpower_logreg"}


def test_unknown_model_lists_names():
    with pytest.raises(ConfigError, match="allowed 'bandpower_logreg', 'cnn_transformer', 'small'"):
        build_model("transformerz", n_chans=N_CHANS, n_times=N_TIMES)


def test_unknown_option_is_config_error():
    with pytest.raises(ConfigError, match="'pool_channels'"):
        build_model("cnn_transformer", n_chans=N_CHANS, n_times=N_TIMES, pool_chans=True)
    with pytest.raises(ConfigError, match="input_norm"):
        build_model("small", n_chans=N_CHANS, n_times=N_TIMES, input_norm="robust")
    with pytest.raises(ConfigError, match="n_times"):
        build_model("small", n_chans=N_CHANS, n_times=0)


@pytest.mark.parametrize("name", list_models())
def test_contract(name):
    torch.manual_seed(0)
    model = build_model(name, n_chans=N_CHANS, n_times=N_TIMES)
    assert model.model_config == ModelConfig(name=name, options={})
    x = _x()
    out = model(x)
    assert out.shape == (3,)
    assert out.dtype == torch.float32
    assert bool(torch.isfinite(out).all())
    (out.square().sum()).backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None, pname
        assert bool(torch.isfinite(p.grad).all()), pname
        assert bool((p.grad != 0).any()), pname


@pytest.mark.parametrize("name", list_models())
def test_parameter_count_pinned(name):
    model = build_model(name, n_chans=N_CHANS, n_times=N_TIMES)
    assert count_parameters(model) == PINNED[name]


@pytest.mark.parametrize("name", list_models())
def test_features_then_head_is_forward(name):
    torch.manual_seed(1)
    model = build_model(name, n_chans=N_CHANS, n_times=N_TIMES).eval()
    x = _x(seed=2)
    with torch.no_grad():
        feats = model.forward_features(x)
        assert feats.ndim == 2 and feats.shape[0] == 3
        torch.testing.assert_close(model.forward_head(feats), model(x))


@pytest.mark.parametrize(("pool_channels", "n_params"), [(True, 782721), (False, 6462465)])
def test_paper_model_at_paper_size(pool_channels, n_params):
    torch.manual_seed(0)
    model = build_model("cnn_transformer", n_chans=23, n_times=1280, pool_channels=pool_channels)
    assert count_parameters(model) == n_params
    assert model.n_tokens == 160
    out = model(_x(batch=2, n_chans=23, n_times=1280))
    assert out.shape == (2,) and bool(torch.isfinite(out).all())


def test_paper_model_options_change_the_count():
    base = count_parameters(build_model("cnn_transformer", n_chans=23, n_times=1280, attn_out_dim=64))
    assert base == 671937
    res = build_model("cnn_transformer", n_chans=N_CHANS, n_times=N_TIMES, residual_layernorm=True)
    assert count_parameters(res) == PINNED["cnn_transformer"] + 2 * 128 + 2 * 64
    out = res(_x())
    assert out.shape == (3,)


def test_keras_attention_matches_torch_multihead_attention():
    torch.manual_seed(0)
    ours = KerasMultiHeadAttention(16, num_heads=2, key_dim=8)
    ref = torch.nn.MultiheadAttention(16, 2, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([ours.query.weight, ours.key.weight, ours.value.weight]))
        ref.in_proj_bias.copy_(torch.cat([ours.query.bias, ours.key.bias, ours.value.bias]))
        ref.out_proj.weight.copy_(ours.out.weight)
        ref.out_proj.bias.copy_(ours.out.bias)
    x = torch.randn(2, 5, 16)
    expected, _ = ref(x, x, x, need_weights=False)
    torch.testing.assert_close(ours(x), expected, rtol=1e-5, atol=1e-5)


def test_input_norm_modes():
    x = _x(batch=2, n_chans=3, n_times=100)
    z = InputNorm("per_window_zscore")(x).numpy()
    xn = x.numpy().astype(np.float64)
    ref = (xn - xn.mean(-1, keepdims=True)) / xn.std(-1, keepdims=True)
    np.testing.assert_allclose(z, ref, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(InputNorm("fixed_scale", scale_uv=50.0)(x), x / 50.0)
    assert InputNorm("none")(x) is x
    with pytest.raises(ConfigError, match="input_scale_uv"):
        InputNorm("fixed_scale", scale_uv=0.0)


def test_band_powers_match_numpy_reference():
    model = build_model("bandpower_logreg", n_chans=2, n_times=512, sfreq=256.0).eval()
    t = np.arange(512) / 256.0
    x = np.stack([20 * np.sin(2 * np.pi * 10 * t), 5 * np.sin(2 * np.pi * 20 * t) + 3]).astype(np.float32)
    power = np.abs(np.fft.rfft(x.astype(np.float64), axis=-1)) ** 2 / 512**2  # (C, n_freqs)
    freqs = np.fft.rfftfreq(512, 1 / 256.0)
    ref = np.stack([power[:, (freqs >= lo) & (freqs < hi)].mean(-1) for lo, hi in DEFAULT_BANDS_HZ], axis=-1)
    ref = np.log10(ref + 1e-6).reshape(-1) / np.sqrt(
        1 + 1e-5
    )  # fresh BatchNorm in eval: divides by sqrt(1+eps)
    with torch.no_grad():
        feats = model.forward_features(torch.from_numpy(x)[None])[0].numpy()
    np.testing.assert_allclose(feats, ref, rtol=1e-4, atol=1e-4)
    assert np.argmax(feats[:5]) == 2  # 10 Hz -> alpha


def test_band_without_bins_is_config_error():
    with pytest.raises(ConfigError, match="contains no FFT bin"):
        build_model("bandpower_logreg", n_chans=2, n_times=64, bands_hz=((1.0, 2.0),))


def test_bandpower_coherence_features_see_synchrony_that_power_does_not():
    """Two channels sharing a 6 Hz rhythm vs two with independent ones of the same power: only coherency differs."""
    torch.manual_seed(0)
    t = torch.arange(1280) / 256.0
    phase = torch.rand(64, 2, 1) * 6.283
    shared = torch.sin(2 * torch.pi * 6.0 * t + phase[:, :1])  # (64, 1, T)
    synced = shared.expand(64, 2, 1280) + 0.1 * torch.randn(64, 2, 1280)
    indep = torch.sin(2 * torch.pi * 6.0 * t + phase) + 0.1 * torch.randn(64, 2, 1280)
    model = build_model("bandpower_logreg", n_chans=2, n_times=1280, sfreq=256.0, coherence=True).eval()
    n_bands = model.bands.shape[1]
    assert model.n_features == 2 * 2 * n_bands

    def coherency(x):
        spec = torch.fft.rfft(x, dim=-1)
        return model._coherency(spec)[:, 2]  # the 4-8 Hz band, channel 0 with the other one

    assert coherency(synced).mean() > 0.95
    assert coherency(indep).abs().mean() < 0.8
    power = torch.fft.rfft(synced, dim=-1).abs().square().mean(), torch.fft.rfft(indep, dim=-1).abs().square().mean()
    assert power[0] / power[1] == pytest.approx(1.0, rel=0.05)  # the same power: band power alone cannot tell
    with pytest.raises(ConfigError, match="coherence"):
        build_model("bandpower_logreg", n_chans=2, n_times=1280, coherence="yes")


def test_band_coherency_equals_the_mean_of_the_coherency_matrix():
    """The O(C) row sum equals the definition: per band, Re(cross-spectrum) / sqrt(power_i power_j), averaged over
    the other channels (computed here in float64 with the explicit C x C matrix); a flat channel gives 0."""
    gen = torch.Generator().manual_seed(3)
    x = 40.0 * torch.randn(6, 5, 256, generator=gen, dtype=torch.float64)
    x[1, 2] = 0.0  # a flat channel
    spec = torch.fft.rfft(x, dim=-1)
    model = build_model("bandpower_logreg", n_chans=5, n_times=256, sfreq=128.0, coherence=True)
    want = []
    for b in range(model.bands.shape[1]):
        z = spec[..., model.bands[:, b] > 0]  # (B, C, n_bins)
        cross = (z[:, :, None, :] * z[:, None, :, :].conj()).sum(-1).real  # (B, C, C)
        norm = torch.diagonal(cross, dim1=1, dim2=2).clamp_min(1e-12).sqrt()
        coh = cross / (norm[:, :, None] * norm[:, None, :])
        off = coh.sum(2) - torch.diagonal(coh, dim1=1, dim2=2)
        want.append(off / 4)
    got = model._coherency(spec.to(torch.complex64))
    torch.testing.assert_close(got, torch.cat(want, dim=1).float(), rtol=1e-4, atol=1e-5)
    assert torch.all(got[1, 2::5] == 0.0)  # the flat channel: coherency 0 with every other one


def test_option_no_model_has_is_refused_naming_it():
    """``seizurepred models -o foo=1`` was accepted (the option was applied to no model, silently)."""
    from seizurepred.errors import ConfigError
    from seizurepred.models.registry import check_any_model_option, model_options

    assert "pool_channels" in model_options("cnn_transformer")
    check_any_model_option(["pool_channels", "dropout"])
    with pytest.raises(ConfigError, match=r"^Invalid value for '--option': allowed an option of a registered model "
                                          r"\(.*'pool_channels'.*\); got 'foo', 'bar'\.$"):  # fmt: skip
        check_any_model_option(["foo", "pool_channels", "bar"], source="--option")
