"""Training of the seizure-prediction models (paper defaults: BCE, Adam + AMSGrad, batch 64, early stopping).

``train_model(model, X_train, y_train, X_val, y_val, *, config=TrainConfig(), checkpoint_path=None)`` trains in
place on CUDA when present (bf16 autocast, windows resident on the GPU) or on the CPU (bit-repeatable), and returns
a :class:`TrainResult`; ``predict_proba(model, X)`` gives preictal probabilities. ``train_packed`` trains N
models of one architecture in lockstep as one packed network (several small models per GPU).
"""

from seizurepred.training.checkpoint import load_checkpoint, load_model_from_checkpoint, save_checkpoint
from seizurepred.training.config import TrainConfig
from seizurepred.training.device import describe_device, resolve_device
from seizurepred.training.packed import train_packed
from seizurepred.training.trainer import TrainResult, clone_model, predict_proba, train_model

__all__ = [
    "TrainConfig",
    "TrainResult",
    "clone_model",
    "describe_device",
    "load_checkpoint",
    "load_model_from_checkpoint",
    "predict_proba",
    "resolve_device",
    "save_checkpoint",
    "train_model",
    "train_packed",
]
