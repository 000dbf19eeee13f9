"""Tests of the training loop: learning, early stopping, best weights, repeatability, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from seizurepred.errors import ConfigError
from seizurepred.evaluation.metrics import roc_auc
from seizurepred.models import build_model
from seizurepred.training import TrainConfig, predict_proba, train_model

N_CHANS, N_TIMES = 4, 64


def toy(n: int, *, seed: int, invert: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Windows (n, 4, 64) µV; class 1 carries a large 8-cycle oscillation on channel 0."""
    gen = torch.Generator().manual_seed(seed)
    y = (torch.arange(n) % 2).float()  # (n,)
    X = 20.0 * torch.randn(n, N_CHANS, N_TIMES, generator=gen)  # (n, C, T)
    wave = 150.0 * torch.sin(2 * torch.pi * 8 * torch.arange(N_TIMES) / N_TIMES)  # (T,)
    X[:, 0] += (y if not invert else 1 - y)[:, None] * wave
    return X, y


def fresh(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model("small", n_chans=N_CHANS, n_times=N_TIMES, width=8)


def cfg(**kw) -> TrainConfig:
    base = {"batch_size": 16, "max_epochs": 3, "patience": 20, "device": "cpu", "num_threads": 1}
    return TrainConfig(**{**base, **kw})


def test_learns_separable_toy_problem():
    X, y = toy(128, seed=0)
    Xv, yv = toy(48, seed=1)
    model = fresh()
    res = train_model(model, X, y, Xv, yv, config=cfg(max_epochs=8, lr=3e-3), progress=False)
    losses = [h["train_loss"] for h in res.history]
    assert losses[-1] < losses[0]
    Xt, yt = toy(64, seed=2)
    assert roc_auc_score(yt.numpy(), predict_proba(model, Xt, device="cpu")) > 0.95
    assert res.history[res.best_epoch - 1]["val_auc"] > 0.95
    assert set(res.history[0]) >= {"epoch", "train_loss", "val_loss", "val_auc", "seconds", "lr"}


def test_early_stopping_and_best_weights_restored():
    X, y = toy(96, seed=0)
    Xv, yv = toy(32, seed=1, invert=True)  # validation labels contradict training: val loss rises
    model = fresh()
    res = train_model(model, X, y, Xv, yv, config=cfg(max_epochs=30, patience=2, lr=3e-3), progress=False)
    assert res.stopped_early
    assert len(res.history) == res.best_epoch + 2 < 30
    best_losses = [h["val_loss"] for h in res.history]
    assert res.best_val_loss == min(best_losses) == best_losses[res.best_epoch - 1]
    for k, v in model.state_dict().items():
        assert torch.equal(v, res.state_dict[k]), k
    # An independent run stopped at the best epoch ends with exactly those weights.
    ref = fresh()
    train_model(ref, X, y, Xv, yv, config=cfg(max_epochs=res.best_epoch, patience=2, lr=3e-3), progress=False)
    for k, v in ref.state_dict().items():
        assert torch.equal(v, res.state_dict[k]), k


def test_two_cpu_runs_are_identical():
    X, y = toy(80, seed=0)
    Xv, yv = toy(24, seed=1)
    a, b = fresh(), fresh()
    ra = train_model(a, X, y, Xv, yv, config=cfg(), progress=False)
    rb = train_model(b, X, y, Xv, yv, config=cfg(), progress=False)
    for k in ra.state_dict:
        assert torch.equal(ra.state_dict[k], rb.state_dict[k]), k
    assert [h["train_loss"] for h in ra.history] == [h["train_loss"] for h in rb.history]
    c = fresh()
    rc = train_model(c, X, y, Xv, yv, config=cfg(seed=1), progress=False)
    assert not all(torch.equal(ra.state_dict[k], rc.state_dict[k]) for k in ra.state_dict)


def test_global_state_restored_and_arguments_untouched():
    X, y = toy(40, seed=0)
    Xv, yv = toy(16, seed=1)
    X0, y0 = X.clone(), y.clone()
    det = torch.are_deterministic_algorithms_enabled()
    threads = torch.get_num_threads()
    model = fresh()
    torch.manual_seed(123)
    rng = torch.get_rng_state()
    train_model(model, X, y, Xv, yv, config=cfg(max_epochs=1), progress=False)
    assert torch.equal(torch.get_rng_state(), rng)
    assert torch.are_deterministic_algorithms_enabled() == det
    assert torch.get_num_threads() == threads
    assert torch.equal(X, X0) and torch.equal(y, y0)


def test_numpy_inputs_and_pos_weight():
    X, y = toy(40, seed=0)
    Xv, yv = toy(16, seed=1)
    res = train_model(
        fresh(),
        X.numpy(),
        y.numpy(),
        Xv.numpy(),
        yv.numpy(),
        config=cfg(max_epochs=1, pos_weight=2.0),
        progress=False,
    )
    assert np.isfinite(res.history[0]["train_loss"])


def test_predict_proba_matches_model_and_restores_mode():
    model = fresh().train()
    X, _ = toy(10, seed=3)
    p = predict_proba(model, X, batch_size=3, device="cpu")
    assert model.training
    with torch.no_grad():
        ref = torch.sigmoid(model.eval()(X)).double().numpy()
    np.testing.assert_allclose(p, ref, rtol=1e-6)
    assert p.shape == (10,) and predict_proba(model, X[:0]).shape == (0,)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda X, y, Xv, yv: (X[:0], y[:0], Xv, yv), "at least one window"),
        (lambda X, y, Xv, yv: (X, torch.zeros_like(y), Xv, yv), "both classes"),
        (lambda X, y, Xv, yv: (X, y[:-1], Xv, yv), "matching"),
        (lambda X, y, Xv, yv: (X, y, Xv[:0], yv[:0]), "at least one window"),
        (lambda X, y, Xv, yv: (X, y, Xv[:, :, :32], yv), "X_val"),
        (lambda X, y, Xv, yv: (X[0], y, Xv, yv), "shape"),
        (lambda X, y, Xv, yv: (X, 2 * y, Xv, yv), "labels 0 and 1"),
    ],
)
def test_bad_inputs_are_config_errors(mutate, match):
    X, y = toy(20, seed=0)
    Xv, yv = toy(8, seed=1)
    with pytest.raises(ConfigError, match=match):
        train_model(fresh(), *mutate(X, y, Xv, yv), config=cfg(max_epochs=1), progress=False)


def test_nan_windows_are_config_error():
    X, y = toy(20, seed=0)
    Xv, yv = toy(8, seed=1)
    X = X.clone()
    X[3, 1, 7] = float("nan")
    with pytest.raises(ConfigError, match="'X_train'.*NaN"):
        train_model(fresh(), X, y, Xv, yv, config=cfg(max_epochs=1), progress=False)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"lr": 0.0}, "'lr'"),
        ({"device": "gpu"}, "'device'"),
        ({"batch_size": 0}, "'batch_size'"),
        ({"patience": 1.5}, "'patience'"),
        ({"amp": "yes"}, "'amp'"),
        ({"pos_weight": -1.0}, "'pos_weight'"),
    ],
)
def test_train_config_validation(kw, match):
    with pytest.raises(ConfigError, match=match):
        TrainConfig(**kw)


def test_train_config_defaults_are_the_papers():
    c = TrainConfig()
    assert (c.lr, c.amsgrad, c.batch_size, c.max_epochs, c.patience) == (1e-3, True, 64, 100, 20)


def test_roc_auc_matches_sklearn():
    rng = np.random.default_rng(0)
    for _ in range(5):
        y = rng.integers(0, 2, 50)
        score = np.round(rng.normal(size=50) + y, 1)  # rounded: many ties
        assert roc_auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert np.isnan(roc_auc(np.ones(4), np.arange(4.0)))
