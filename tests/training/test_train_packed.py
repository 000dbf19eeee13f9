"""train_packed: each model of a pack trains as train_model trains it alone (CPU), with its own early stopping."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import torch

from seizurepred.errors import ConfigError
from seizurepred.models import build_model
from seizurepred.models.packed import pack_models
from seizurepred.training import TrainConfig, train_model
from seizurepred.training.packed import PackedAdam, train_packed

N_CHANS, N_TIMES = 23, 256


def toy(n: int, *, seed: int, invert: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Windows (n, 23, 256) µV; class 1 carries a large 8-cycle oscillation on channel 0."""
    gen = torch.Generator().manual_seed(seed)
    y = (torch.arange(n) % 2).float()  # (n,)
    X = 20.0 * torch.randn(n, N_CHANS, N_TIMES, generator=gen)  # (n, C, T)
    wave = 150.0 * torch.sin(2 * torch.pi * 8 * torch.arange(N_TIMES) / N_TIMES)  # (T,)
    X[:, 0] += (y if not invert else 1 - y)[:, None] * wave
    return X, y


def dataset(n_train: int, n_val: int, seed: int, *, invert_val: bool = False):
    return (*toy(n_train, seed=seed), *toy(n_val, seed=100 + seed, invert=invert_val))


def models(n: int, name: str = "small", seed: int = 0, **options) -> list[torch.nn.Module]:
    torch.manual_seed(seed)
    options = options or ({"width": 8} if name == "small" else {})
    return [build_model(name, n_chans=N_CHANS, n_times=N_TIMES, **options) for _ in range(n)]


def cfg(**kw) -> TrainConfig:
    base = {"batch_size": 32, "max_epochs": 3, "patience": 20, "device": "cpu", "num_threads": 1, "lr": 3e-3}
    return TrainConfig(**{**base, **kw})


def alone(model, data, config: TrainConfig, seed: int):
    return train_model(model, *data, config=dataclasses.replace(config, seed=seed), progress=False)


def assert_same_training(packed_res, ref_res, *, atol: float = 1e-5) -> None:
    assert packed_res.best_epoch == ref_res.best_epoch
    assert packed_res.stopped_early == ref_res.stopped_early
    assert len(packed_res.history) == len(ref_res.history)
    for a, b in zip(packed_res.history, ref_res.history, strict=True):
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-5)
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-5)
    for k, v in ref_res.state_dict.items():
        torch.testing.assert_close(packed_res.state_dict[k], v, rtol=1e-5, atol=atol, msg=k)


def test_pack_of_different_sizes_trains_each_model_as_train_model():
    """Training sets of 200, 150 (partial last batch) and 97 windows (trailing batch of one dropped):
    shorter epochs sit steps out, partial batches are padded; each model still matches train_model alone."""
    data = [dataset(200, 60, 0), dataset(150, 40, 1), dataset(97, 33, 2)]
    ms = models(3)
    refs = copy.deepcopy(ms)
    config = cfg()
    res = train_packed(ms, data, config=config, seeds=[0, 1, 2], progress=False)
    for i, r in enumerate(res):
        assert_same_training(r, alone(refs[i], data[i], config, seed=i))
        assert all(h["n_packed"] == 3 for h in r.history)
        for k, v in ms[i].state_dict().items():  # the models end holding their best weights
            assert torch.equal(v, r.state_dict[k]), k
    assert res[0].history[-1]["val_auc"] > 0.9


def test_pack_of_one_paper_architecture_matches_train_model():
    """The CNN-Transformer has parameters whose gradient is zero up to rounding (conv biases before BatchNorm,
    attention key biases; Adam turns that noise into +-lr steps), so it is compared as a function: same best
    epoch and losses, same eval logits, same weights elsewhere."""
    data = dataset(160, 48, 3)
    (m,) = models(1, "cnn_transformer", filters=(8, 16, 16), num_heads=2, key_dim=8, dense_dim=16)
    ref = copy.deepcopy(m)
    config = cfg(max_epochs=2, lr=1e-3)
    (res,) = train_packed([m], [data], config=config, seeds=[5], progress=False)
    ref_res = alone(ref, data, config, seed=5)
    assert res.best_epoch == ref_res.best_epoch == 2
    for a, b in zip(res.history, ref_res.history, strict=True):
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-4)
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
    X_test, _ = toy(16, seed=9)
    with torch.no_grad():
        torch.testing.assert_close(m.eval()(X_test), ref.eval()(X_test), rtol=1e-4, atol=1e-4)
    noise = {f"conv.{i}.bias" for i in (0, 5, 10)} | {f"conv.{i}.running_mean" for i in (1, 6, 11)}
    noise |= {k for k in res.state_dict if k.endswith("key.bias")}
    # Elsewhere the weights agree to a tenth of one Adam step (lr 1e-3): the grouped convolution sums in another
    # order than the plain one, and on some CPUs' kernels a weight with a near-zero gradient moves by ~1e-5
    # (measured: 1.4e-5 in conv.5.weight, 4.7e-5 in conv.10.weight); a wrong gradient moves it by whole steps.
    for k, v in ref_res.state_dict.items():
        if k not in noise:
            torch.testing.assert_close(res.state_dict[k], v, rtol=1e-4, atol=0.1 * config.lr, msg=k)


def test_per_model_early_stopping_and_frozen_weights():
    """Model 1's validation labels contradict its training labels: it stops after `patience` epochs without a
    better validation loss and leaves the pack; model 0 trains on. Both match train_model alone."""
    data = [dataset(96, 32, 0), dataset(96, 32, 1, invert_val=True)]
    ms = models(2)
    refs = copy.deepcopy(ms)
    config = cfg(max_epochs=6, patience=2)
    res = train_packed(ms, data, config=config, seeds=[7, 8], progress=False)
    assert not res[0].stopped_early and len(res[0].history) == 6
    assert res[1].stopped_early and len(res[1].history) == res[1].best_epoch + 2 < 6
    assert [h["n_packed"] for h in res[0].history][-1] == 1
    for i in range(2):
        assert_same_training(res[i], alone(refs[i], data[i], config, seed=7 + i))


def test_cpu_runs_are_bit_repeatable_and_seeds_matter():
    data = [dataset(100, 30, 0), dataset(100, 30, 1)]
    config = cfg(max_epochs=2)
    a = train_packed(models(2), data, config=config, seeds=[1, 2], progress=False)
    b = train_packed(models(2), data, config=config, seeds=[1, 2], progress=False)
    c = train_packed(models(2), data, config=config, seeds=[1, 3], progress=False)
    for ra, rb in zip(a, b, strict=True):
        assert [h["val_loss"] for h in ra.history] == [h["val_loss"] for h in rb.history]
        assert all(torch.equal(ra.state_dict[k], rb.state_dict[k]) for k in ra.state_dict)
    assert all(torch.equal(a[0].state_dict[k], c[0].state_dict[k]) for k in a[0].state_dict)
    assert not all(torch.equal(a[1].state_dict[k], c[1].state_dict[k]) for k in a[1].state_dict)


def test_packed_adam_matches_torch_adam_and_freezes_inactive_models():
    torch.manual_seed(0)
    ms = models(3)
    packed = pack_models(ms)
    params = list(packed.parameters())
    opt = PackedAdam(params, n_models=3, lr=1e-3, amsgrad=True)
    refs = copy.deepcopy(ms)
    ref_opts = [torch.optim.Adam(m.parameters(), lr=1e-3, amsgrad=True) for m in refs]
    grads = [[torch.randn_like(p) for p in params] for _ in range(3)]  # 3 steps of random gradients (N, ...)
    active = [None, torch.tensor([True, False, True]), None]
    for g, act in zip(grads, active, strict=True):
        for p, gp in zip(params, g, strict=True):
            p.grad = gp.clone()
        opt.step(act)
        for i, (m, o) in enumerate(zip(refs, ref_opts, strict=True)):
            if act is not None and not bool(act[i]):
                continue  # model 1 sits step 2 out: no step at all
            for p, gp in zip(m.parameters(), g, strict=True):
                p.grad = gp[i].clone()
            o.step()
    assert opt.steps.tolist() == [3.0, 2.0, 3.0]
    for i, m in enumerate(refs):
        for (name, p), pp in zip(m.named_parameters(), params, strict=True):
            torch.testing.assert_close(pp[i], p.detach(), rtol=1e-5, atol=1e-6, msg=name)


def test_bad_inputs():
    data = dataset(40, 10, 0)
    with pytest.raises(ConfigError, match="one dataset and one seed per model"):
        train_packed(models(2), [data], config=cfg())
    one_class = (data[0], torch.zeros(40), data[2], data[3])
    with pytest.raises(ConfigError, match=r"datasets\[1\]: .*both classes"):
        train_packed(models(2), [data, one_class], config=cfg())
    short = (data[0][:, :, :128], data[1], data[2][:, :, :128], data[3])
    with pytest.raises(ConfigError, match=r"datasets\[1\].*shape"):
        train_packed(models(2), [data, short], config=cfg())
    with pytest.raises(ConfigError, match=r"seeds\[0\]"):
        train_packed(models(1), [data], config=cfg(), seeds=[-1])


def test_pack_dropout_path_of_cuda_runs_on_cpu(monkeypatch):
    """The CUDA path draws one fused dropout for the pack (no per-model generators): exercised here on the CPU;
    repeatable, finite, and different from the per-model draws."""
    from seizurepred.training import packed as packed_module

    data = [dataset(100, 30, 0), dataset(80, 30, 1)]
    config = cfg(max_epochs=2)
    exact = train_packed(models(2), data, config=config, seeds=[1, 2], progress=False)
    real = packed_module._dropout_generators

    def fused(seeds, device):
        real(seeds, torch.device("meta"))  # seeds the global generator as on CUDA, returns None
        return None

    monkeypatch.setattr(packed_module, "_dropout_generators", fused)
    a = train_packed(models(2), data, config=config, seeds=[1, 2], progress=False)
    b = train_packed(models(2), data, config=config, seeds=[1, 2], progress=False)
    for ra, rb, re in zip(a, b, exact, strict=True):
        assert [h["val_loss"] for h in ra.history] == [h["val_loss"] for h in rb.history]
        assert all(torch.isfinite(v).all() for v in ra.state_dict.values())
        assert not all(torch.equal(ra.state_dict[k], re.state_dict[k]) for k in re.state_dict)
