"""``TrainConfig``: the training hyper-parameters (paper defaults, docs/method.md section 3)."""

from __future__ import annotations

import dataclasses
from typing import Literal

from seizurepred._validate import check_number, check_option

DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of :func:`seizurepred.training.train_model` (validated on construction).

    Parameters
    ----------
    lr : float
        Adam learning rate.
    amsgrad : bool
        Use the AMSGrad variant of Adam (the paper does).
    batch_size : int
        Windows per optimisation step.
    max_epochs : int
        Upper bound on training epochs.
    patience : int
        Stop after this many epochs without a lower validation loss.
    seed : int
        Seeds the shuffling and dropout of every epoch (the model's initial weights are the caller's).
    device : {"auto", "cpu", "cuda"}
        ``"auto"``: CUDA when available, else CPU.
    amp : bool
        bf16 autocast on CUDA (ignored on CPU).
    pos_weight : float or None
        Weight of positive (preictal) windows in the loss; ``None`` means 1.
    deterministic : bool
        Deterministic algorithms during the call (CPU runs are then bit-repeatable).
    num_threads : int or None
        CPU threads during the call (``None``: leave torch's setting).
    checkpoint_every : int
        Save a checkpoint every this many epochs (and at the end) when a path is given.
    channels_last : bool
        On CUDA, convert 4-D weights to channels-last (NHWC) memory format, which selects cuDNN's BatchNorm and
        convolution kernels: 1.75x faster training of ``cnn_transformer`` on an H200 (ignored on CPU).
    """

    lr: float = 1e-3
    amsgrad: bool = True
    batch_size: int = 64
    max_epochs: int = 100
    patience: int = 20
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    amp: bool = True
    pos_weight: float | None = None
    deterministic: bool = True
    num_threads: int | None = None
    checkpoint_every: int = 1
    channels_last: bool = True

    def __post_init__(self) -> None:
        check_number("lr", self.lr, min_value=0.0, inclusive_min=False)
        check_option("amsgrad", self.amsgrad, (True, False))
        check_number("batch_size", self.batch_size, min_value=1, integer=True)
        check_number("max_epochs", self.max_epochs, min_value=1, integer=True)
        check_number("patience", self.patience, min_value=1, integer=True)
        check_number("seed", self.seed, min_value=0, max_value=2**31 - 1, integer=True)
        check_option("device", self.device, DEVICES)
        check_option("amp", self.amp, (True, False))
        if self.pos_weight is not None:
            check_number("pos_weight", self.pos_weight, min_value=0.0, inclusive_min=False)
        check_option("deterministic", self.deterministic, (True, False))
        if self.num_threads is not None:
            check_number("num_threads", self.num_threads, min_value=1, integer=True)
        check_number("checkpoint_every", self.checkpoint_every, min_value=1, integer=True)
        check_option("channels_last", self.channels_last, (True, False))
