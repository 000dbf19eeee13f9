"""Device choice and a one-line device description."""

from __future__ import annotations

import torch

from seizurepred._validate import check_option
from seizurepred.errors import ConfigError


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Return the torch device for ``"auto"`` (CUDA when available, else CPU), ``"cpu"`` or ``"cuda"``.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"} or torch.device
        Requested device; ``"cuda"`` without a CUDA device raises :class:`ConfigError`.
    """
    if isinstance(device, torch.device):
        device = device.type if device.index is None else f"{device.type}:{device.index}"
    if isinstance(device, str) and device.startswith("cuda:"):
        base = "cuda"
    else:
        base = check_option("device", device, ("auto", "cpu", "cuda"))
    if base == "auto":
        return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    if base == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "Invalid value for 'device': allowed 'auto', 'cpu' (no CUDA device here); got 'cuda'."
        )
    return torch.device(device)


def describe_device(device: torch.device) -> str:
    """Return a short human description, e.g. ``"cuda:0 (NVIDIA H100 80GB HBM3)"`` or ``"cpu (2 threads)"``."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return f"cpu ({torch.get_num_threads()} threads)"
