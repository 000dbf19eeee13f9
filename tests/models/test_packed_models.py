"""Packed models: N copies with different weights give, packed, what each gives alone (forward and one Adam step)."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from seizurepred.errors import ConfigError
from seizurepred.models import build_model
from seizurepred.models.packed import pack_models, unpack, unpack_state_dicts
from seizurepred.models.packed_layers import PackStep

N_CHANS, N_TIMES, N_MODELS, BATCH = 8, 64, 3, 5
TINY_CT = {"filters": (4, 8, 8), "num_heads": 2, "key_dim": 4, "dense_dim": 8}
CASES = {
    "cnn_transformer": ("cnn_transformer", TINY_CT),
    "cnn_transformer_time_pool": ("cnn_transformer", {**TINY_CT, "pool_channels": False}),
    "cnn_transformer_residual": (
        "cnn_transformer",
        {**TINY_CT, "residual_layernorm": True, "attn_out_dim": 6},
    ),
    "cnn_transformer_zscore": ("cnn_transformer", {**TINY_CT, "input_norm": "per_window_zscore"}),
    "small": ("small", {"width": 4}),
    "bandpower_logreg": ("bandpower_logreg", {"sfreq": 128.0}),
    "bandpower_logreg_coherence": ("bandpower_logreg", {"sfreq": 128.0, "coherence": True}),
}


def _models(case: str, n: int = N_MODELS, seed: int = 0) -> list[torch.nn.Module]:
    """n models with different random weights and non-trivial BatchNorm statistics."""
    name, options = CASES[case]
    torch.manual_seed(seed)
    models = [build_model(name, n_chans=N_CHANS, n_times=N_TIMES, **options) for _ in range(n)]
    for m in models:
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d):
                mod.running_mean.normal_(0.0, 0.1)
                mod.running_var.uniform_(0.5, 2.0)
                if mod.affine:
                    mod.weight.data.uniform_(0.5, 1.5)
                    mod.bias.data.normal_(0.0, 0.1)
    return models


def _x(n: int = N_MODELS, batch: int = BATCH, seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return 50.0 * torch.randn(n, batch, N_CHANS, N_TIMES, generator=gen)  # (N, B, C, T) µV


def _noise_grad_keys(model: torch.nn.Module) -> set[str]:
    """Parameters whose gradient is zero up to rounding noise, which Adam's normalisation turns into steps of
    +-lr of arbitrary sign (compared by that bound instead): biases of convolutions followed by BatchNorm and
    attention key biases (softmax ignores a shift common to all keys)."""
    keys = {k for k in model.state_dict() if k.endswith(".attn.key.bias")}
    for name, seq in model.named_modules():
        layers = list(seq.named_children()) if isinstance(seq, torch.nn.Sequential) else []
        for (a, conv), (_, nxt) in zip(layers, layers[1:], strict=False):
            if isinstance(conv, torch.nn.Conv1d | torch.nn.Conv2d) and conv.bias is not None:
                if isinstance(nxt, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d):
                    keys.add(f"{name}.{a}.bias")
    return keys


def _one_by_one(models, x, seeds) -> torch.Tensor:
    """Reference: each model alone on its own windows, dropout from the global RNG seeded as its generator."""
    out = []
    for m, xi, s in zip(models, x, seeds, strict=True):
        torch.manual_seed(s)
        out.append(m(xi))  # (B,)
    return torch.stack(out)  # (N, B)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_packed_forward_equals_models_one_by_one(case, mode):
    models = _models(case)
    packed = pack_models(models)
    assert list(packed.state_dict()) == list(models[0].state_dict())
    refs = copy.deepcopy(models)
    for m in refs:
        m.train(mode == "train")
    packed.train(mode == "train")
    x, seeds = _x(), [11, 12, 13]
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    out = packed(x, PackStep(generators=gens))
    assert out.shape == (N_MODELS, BATCH)
    expected = _one_by_one(refs, x, seeds)
    assert not torch.allclose(expected[0], expected[1])  # the models differ
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    # Running statistics updated in train mode are each model's own.
    for i, sd in enumerate(unpack_state_dicts(packed)):
        for k, v in refs[i].state_dict().items():
            torch.testing.assert_close(sd[k], v, rtol=1e-5, atol=1e-6, msg=k)


def test_pack_unpack_round_trip_is_exact():
    models = _models("cnn_transformer_residual")
    packed = pack_models(models)
    for i, sd in enumerate(unpack_state_dicts(packed)):
        for k, v in models[i].state_dict().items():
            assert torch.equal(sd[k], v), k
        model = unpack(packed, i)
        assert type(model) is type(models[i]) and model.model_config == models[i].model_config
        model.load_state_dict(sd)  # loadable in the original class
        for k, v in models[i].state_dict().items():
            assert torch.equal(model.state_dict()[k], v), k
    sub = packed.select([2, 0])
    assert sub.n_models == 2
    x = _x(n=2)
    packed.eval()
    sub.eval()
    full = packed(torch.stack([x[1], torch.zeros_like(x[0]), x[0]]))
    torch.testing.assert_close(sub(x), full[[2, 0]])


@pytest.mark.parametrize("case", ["cnn_transformer", "small"])
def test_step_mask_padding_and_sitting_out(case):
    """Model 0 has 3 valid windows of 5, model 1 sits the step out, model 2 has all 5."""
    models = _models(case)
    packed = pack_models(models).train()
    refs = copy.deepcopy(models)
    x, seeds, n_valid = _x(), [21, 22, 23], (3, 0, 5)
    mask = torch.arange(BATCH)[None, :] < torch.tensor(n_valid)[:, None]  # (N, B)
    step = PackStep(
        n_valid=n_valid,
        active=torch.tensor([True, False, True]),
        sample_mask=mask,
        generators=[torch.Generator().manual_seed(s) for s in seeds],
    )
    out = packed(x, step)
    for i in (0, 2):
        torch.manual_seed(seeds[i])
        expected = refs[i].train()(x[i, : n_valid[i]])
        torch.testing.assert_close(out[i, : n_valid[i]], expected, rtol=1e-5, atol=1e-5)
    sds = unpack_state_dicts(packed)
    for k, v in models[1].state_dict().items():  # sat out: running statistics untouched
        assert torch.equal(sds[1][k], v), k
    for i in (0, 2):
        for k, v in refs[i].state_dict().items():
            torch.testing.assert_close(sds[i][k], v, rtol=1e-5, atol=1e-6, msg=k)


@pytest.mark.parametrize("case", ["cnn_transformer", "small"])
def test_one_adam_step_packed_equals_separate_steps(case):
    """Adam is elementwise: one AMSGrad step on the summed per-model loss equals N separate steps."""
    models = _models(case)
    packed = pack_models(models).train()
    refs = copy.deepcopy(models)
    x, seeds = _x(), [31, 32, 33]
    y = (torch.arange(BATCH) % 2).float().expand(N_MODELS, BATCH)  # (N, B)
    opt = torch.optim.Adam(packed.parameters(), lr=1e-3, amsgrad=True)
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    logits = packed(x, PackStep(generators=gens))  # (N, B)
    F.binary_cross_entropy_with_logits(logits, y, reduction="none").mean(dim=1).sum().backward()
    opt.step()
    for m, xi, yi, s in zip(refs, x, y, seeds, strict=True):
        ref_opt = torch.optim.Adam(m.parameters(), lr=1e-3, amsgrad=True)
        torch.manual_seed(s)
        F.binary_cross_entropy_with_logits(m.train()(xi), yi).backward()
        ref_opt.step()
    noise = _noise_grad_keys(models[0])
    for i, sd in enumerate(unpack_state_dicts(packed)):
        moved = 0
        for k, v in refs[i].state_dict().items():
            if k in noise:
                assert (sd[k] - v).abs().max() <= 2 * 1e-3 + 1e-7, k  # each moved by at most lr
                continue
            torch.testing.assert_close(sd[k], v, rtol=1e-5, atol=1e-6, msg=k)
            moved += int(not torch.equal(v, models[i].state_dict()[k]))
        assert moved > 0


def test_pack_models_rejects_mixed_or_unknown_models():
    a = build_model("small", n_chans=N_CHANS, n_times=N_TIMES, width=4)
    b = build_model("small", n_chans=N_CHANS, n_times=N_TIMES, width=8)
    with pytest.raises(ConfigError, match="one name and options"):
        pack_models([a, b])
    with pytest.raises(ConfigError, match="allowed CNNTransformer"):
        pack_models([torch.nn.Linear(3, 1)])
    with pytest.raises(ConfigError, match="at least one model"):
        pack_models([])
    packed = pack_models([a, copy.deepcopy(a)])
    with pytest.raises(ConfigError, match=r"allowed shape \(2, batch"):
        packed(torch.zeros(3, 2, N_CHANS, N_TIMES))
    with pytest.raises(ConfigError, match="'index'"):
        unpack(packed, 2)


def test_dropout_without_generators_is_one_draw_for_the_pack():
    """No per-model generators (the CUDA training path): plain dropout over the packed tensor."""
    from seizurepred.models.packed_layers import PackContext, PackedDropout

    layer = PackedDropout(0.25, 2, "channels", PackContext()).train()
    x = torch.ones(4, 2 * 3, 50)  # (B, N * C, T)
    torch.manual_seed(0)
    out = layer(x)
    torch.manual_seed(0)
    torch.testing.assert_close(out, F.dropout(x, 0.25, training=True))
    torch.testing.assert_close(out.unique(), torch.tensor([0.0, 1.0 / 0.75]))
    assert torch.equal(layer.eval()(x), x)
