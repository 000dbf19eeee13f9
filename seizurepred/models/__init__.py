"""Seizure-prediction models behind one contract and a small name registry.

Every model is built as ``build_model(name, n_chans=..., n_times=..., **options)`` and maps windows ``x`` of
shape ``(batch, n_chans, n_times)`` (float32, µV) to logits of shape ``(batch,)`` via ``forward_features`` and
``forward_head``. Registered names: ``"cnn_transformer"`` (the paper's model), ``"small"`` (fast CPU model),
``"bandpower_logreg"`` (logistic regression on log band powers).
"""

from seizurepred.models import baseline as _baseline  # noqa: F401  (registers "bandpower_logreg")
from seizurepred.models import small as _small  # noqa: F401  (registers "small")
from seizurepred.models.baseline import BandPowerLogReg
from seizurepred.models.cnn_transformer import CNNTransformer, InputNorm, KerasMultiHeadAttention
from seizurepred.models.registry import (
    ModelConfig,
    build_model,
    build_model_from_config,
    count_parameters,
    get_model_class,
    list_models,
    model_config_dict,
    register_model,
)
from seizurepred.models.small import SmallConvNet

__all__ = [
    "BandPowerLogReg",
    "CNNTransformer",
    "InputNorm",
    "KerasMultiHeadAttention",
    "ModelConfig",
    "SmallConvNet",
    "build_model",
    "build_model_from_config",
    "count_parameters",
    "get_model_class",
    "list_models",
    "model_config_dict",
    "register_model",
]
