"""Tests of training checkpoints: weights_only loading, contents, resume equals an uninterrupted run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seizurepred._version import __version__
from seizurepred.config import config_to_dict
from seizurepred.errors import CacheError, ConfigError
from seizurepred.models import build_model
from seizurepred.training import (
    TrainConfig,
    load_checkpoint,
    load_model_from_checkpoint,
    predict_proba,
    train_model,
)

N_CHANS, N_TIMES = 4, 64


def data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    y = (torch.arange(n) % 2).float()  # (n,)
    X = 20.0 * torch.randn(n, N_CHANS, N_TIMES, generator=gen)  # (n, C, T)
    X[:, 1] += 60.0 * y[:, None]
    return X, y


def fresh() -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model("small", n_chans=N_CHANS, n_times=N_TIMES, width=8)


CFG = TrainConfig(batch_size=16, max_epochs=3, patience=20, device="cpu", num_threads=1)


class Interrupt(Exception):
    pass


def _stop_after(epoch: int):
    def callback(row):
        if row["epoch"] == epoch:
            raise Interrupt

    return callback


def test_resume_equals_uninterrupted(tmp_path):
    X, y = data(64, 0)
    Xv, yv = data(16, 1)
    ref_model = fresh()
    ref = train_model(ref_model, X, y, Xv, yv, config=CFG, progress=False)

    path = tmp_path / "run" / "ckpt.pt"
    with pytest.raises(Interrupt):
        train_model(
            fresh(),
            X,
            y,
            Xv,
            yv,
            config=CFG,
            checkpoint_path=path,
            progress=False,
            on_epoch_end=_stop_after(2),
        )
    assert load_checkpoint(path)["epoch"] == 2
    resumed_model = fresh()
    res = train_model(resumed_model, X, y, Xv, yv, config=CFG, checkpoint_path=path, progress=False)
    assert res.resumed_from_epoch == 2
    assert len(res.history) == 3
    for k in ref.state_dict:
        assert torch.equal(ref.state_dict[k], res.state_dict[k]), k
    last = load_checkpoint(path)
    for k, v in ref_model.state_dict().items():
        assert torch.equal(v, res.state_dict[k]), k
    assert last["epoch"] == 3
    assert [h["train_loss"] for h in res.history] == [h["train_loss"] for h in ref.history]


def test_checkpoint_contents_load_with_weights_only(tmp_path):
    X, y = data(48, 0)
    Xv, yv = data(16, 1)
    path = tmp_path / "ckpt.pt"
    model = fresh()
    res = train_model(model, X, y, Xv, yv, config=CFG, checkpoint_path=path, progress=False)
    raw = torch.load(path, weights_only=True)
    assert raw["version"] == __version__
    assert raw["train_config"] == config_to_dict(CFG)
    assert raw["model_config"]["name"] == "small"
    assert raw["model_config"]["options"] == {"width": 8}
    assert (raw["model_config"]["n_chans"], raw["model_config"]["n_times"]) == (N_CHANS, N_TIMES)
    assert raw["epoch"] == 3 and len(raw["history"]) == 3
    assert raw["best_epoch"] == res.best_epoch
    assert set(raw["optimizer_state"]) == {"state", "param_groups"}
    for k, v in raw["best_state"].items():
        assert torch.equal(v, res.state_dict[k]), k
    rebuilt = load_model_from_checkpoint(path)
    np.testing.assert_array_equal(
        predict_proba(rebuilt, Xv, device="cpu"), predict_proba(model, Xv, device="cpu")
    )
    # A finished run resumes to the same result without training.
    again = train_model(fresh(), X, y, Xv, yv, config=CFG, checkpoint_path=path, progress=False)
    assert again.resumed_from_epoch == 3
    for k in res.state_dict:
        assert torch.equal(again.state_dict[k], res.state_dict[k]), k


def test_resume_with_other_seed_is_config_error(tmp_path):
    X, y = data(32, 0)
    Xv, yv = data(16, 1)
    path = tmp_path / "ckpt.pt"
    train_model(fresh(), X, y, Xv, yv, config=CFG, checkpoint_path=path, progress=False, on_epoch_end=None)
    other = TrainConfig(**{**config_to_dict(CFG), "seed": 5})
    with pytest.raises(ConfigError, match="seed"):
        train_model(fresh(), X, y, Xv, yv, config=other, checkpoint_path=path, progress=False)
    res = train_model(fresh(), X, y, Xv, yv, config=other, checkpoint_path=path, resume=False, progress=False)
    assert res.resumed_from_epoch == 0


def test_corrupt_checkpoint_is_cache_error(tmp_path):
    path = tmp_path / "bad.pt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CacheError, match="bad.pt"):
        load_checkpoint(path)
    with pytest.raises(ConfigError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


class _Foreign:
    """An arbitrary Python object: never loaded from a checkpoint (unpickling it could run code)."""


def _load_error(path) -> str:
    with pytest.raises(CacheError) as err:
        load_checkpoint(path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{path}: not a readable checkpoint (")
    # no advice to load it unsafely, no terminal escapes
    assert "weights_only" not in msg and "trust" not in msg and "\x1b" not in msg
    return msg


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: torch.save({"format": 1, "x": _Foreign()}, p), "it holds a Python object of type '"),
        (lambda p: p.write_bytes(b""), "empty or truncated file"),
        (
            lambda p: p.write_bytes(b"not a checkpoint"),
            "unreadable data: corrupt, or not written by torch.save",
        ),
    ],
)
def test_unloadable_checkpoint_gives_our_own_one_line_reason(tmp_path, make, reason):
    path = tmp_path / "bad.pt"
    make(path)
    msg = _load_error(path)
    assert reason in msg
    if "Python object" in reason:
        assert "_Foreign'" in msg


def test_truncated_checkpoint_names_the_file_and_the_reason(tmp_path, recwarn):
    good = tmp_path / "good.pt"
    torch.save({"format": 1, "w": torch.zeros(1000)}, good)
    path = tmp_path / "cut.pt"
    path.write_bytes(good.read_bytes()[:600])
    assert _load_error(path) == f"{path}: not a readable checkpoint (corrupt or truncated PyTorch archive)."
    assert not recwarn.list
