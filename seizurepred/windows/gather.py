"""Windows of the cached signals for training: a torch Dataset, or all selected windows in one tensor.

:class:`WindowDataset` reads one window per item from the cache's memmaps (for data larger than memory).
:func:`materialize` gathers a whole index at once with vectorised numpy (one strided view per recording, one
fancy-index gather) and moves the result to the device with a single copy: the "load the selected windows onto
the GPU once" option, which removes the data loader from the training loop.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from torch.utils.data import Dataset

from seizurepred.cache.store import SignalCache
from seizurepred.errors import CacheError
from seizurepred.windows.index import WindowIndex

logger = logging.getLogger(__name__)

#: Windows gathered per fancy-index step (bounds the temporary to a few tens of MB).
_CHUNK_WINDOWS = 256


def _strided_windows(signal: np.ndarray, n_times: int) -> np.ndarray:
    """Read-only view of every window of ``signal``: shape (n_samples - n_times + 1, n_chans, n_times)."""
    n_chans, n_samples = signal.shape
    s_chan, s_time = signal.strides
    return np.lib.stride_tricks.as_strided(
        signal,
        shape=(n_samples - n_times + 1, n_chans, n_times),
        strides=(s_time, s_chan, s_time),
        writeable=False,
    )


def gather_starts(cache: SignalCache, file_name: str, starts: np.ndarray, n_times: int) -> np.ndarray:
    """Gather the windows of one recording that start at ``starts`` (samples) into one host array.

    One fancy index of a strided view of the memmap, in bounded chunks (never a copy of the whole view).

    Parameters
    ----------
    cache : SignalCache
        The built cache.
    file_name : str
        The recording.
    starts : ndarray of int
        First sample of each window.
    n_times : int
        Window length in samples.

    Returns
    -------
    ndarray of shape (len(starts), n_chans, n_times), float32, µV

    Raises
    ------
    CacheError
        A window runs past the cached signal, or the signal has another channel count than the cache.
    """
    starts = np.asarray(starts, dtype=np.int64)
    signal = cache.signal(file_name)
    if signal.shape[0] != cache.n_chans:
        raise CacheError(f"{file_name}: cached signal has {signal.shape[0]} channels, expected {cache.n_chans}.")
    if starts.size and (starts.min() < 0 or starts.max() + n_times > signal.shape[1]):
        raise CacheError(
            f"{file_name}: window index reaches sample {int(starts.max()) + n_times} but the cached signal "
            f"has {signal.shape[1]} samples (index built for another recording length?)."
        )
    out = np.empty((starts.size, signal.shape[0], n_times), dtype=np.float32)
    view = _strided_windows(signal, n_times)
    for lo in range(0, starts.size, _CHUNK_WINDOWS):
        out[lo : lo + _CHUNK_WINDOWS] = view[starts[lo : lo + _CHUNK_WINDOWS]]
    return out


def gather_windows(cache: SignalCache, index: WindowIndex) -> np.ndarray:
    """Gather every window of ``index`` from ``cache`` into one host array.

    Rows are grouped by recording and gathered with :func:`gather_starts`, one recording's memmap at a time.

    Parameters
    ----------
    cache : SignalCache
        The built cache.
    index : WindowIndex
        Windows to gather.

    Returns
    -------
    ndarray of shape (n_windows, n_chans, n_times), float32, µV
    """
    out = np.empty((len(index), cache.n_chans, index.n_times), dtype=np.float32)
    order = np.argsort(index.recording, kind="stable")
    bounds = np.flatnonzero(np.diff(index.recording[order])) + 1
    for rows in np.split(order, bounds) if len(order) else []:
        file_name = index.file_names[int(index.recording[rows[0]])]
        out[rows] = gather_starts(cache, file_name, index.start[rows], index.n_times)
    return out


def materialize(
    cache: SignalCache,
    index: WindowIndex,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Load the windows of ``index`` into one tensor on ``device`` (one host-to-device copy).

    Parameters
    ----------
    cache : SignalCache
        The built cache.
    index : WindowIndex
        Windows to load (e.g. ``index.select(split.train)``).
    device : str or torch.device
        Target device.
    dtype : torch.dtype
        Target dtype; the conversion happens on the device after the copy.

    Returns
    -------
    X : Tensor of shape (n_windows, n_chans, n_times)
    y : Tensor of shape (n_windows,), float32 labels (1 preictal, 0 interictal)
    """
    host = torch.from_numpy(gather_windows(cache, index))
    y = torch.from_numpy(index.label.astype(np.float32))
    X = host.to(device=device)
    if X.dtype != dtype:
        X = X.to(dtype)
    logger.info("materialized %d windows (%.1f MB) on %s", len(index), host.numel() * 4 / 1e6, device)
    return X, y.to(device=device)


class WindowDataset(Dataset):
    """A torch Dataset of the windows of ``index``, read from the cache on access.

    Parameters
    ----------
    cache : SignalCache
        The built cache.
    index : WindowIndex
        The windows.

    Notes
    -----
    Items are ``(x, y)`` with ``x`` a float32 tensor of shape (n_chans, n_times) in µV and ``y`` a float32 scalar
    tensor. Memmaps are opened lazily per recording (also in each DataLoader worker).
    """

    def __init__(self, cache: SignalCache, index: WindowIndex) -> None:
        self.cache = cache
        self.index = index
        self._signals: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.index)

    def _signal(self, rec: int) -> np.ndarray:
        if rec not in self._signals:
            self._signals[rec] = self.cache.signal(self.index.file_names[rec])
        return self._signals[rec]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self.index)
        if not -n <= i < n:
            raise IndexError(f"window {i} out of range for {n} windows")
        rec, start = int(self.index.recording[i]), int(self.index.start[i])
        signal = self._signal(rec)
        if start < 0 or start + self.index.n_times > signal.shape[1]:
            raise CacheError(
                f"{self.index.file_names[rec]}: window at sample {start} runs past the cached {signal.shape[1]} samples."
            )
        x = torch.from_numpy(np.array(signal[:, start : start + self.index.n_times], dtype=np.float32))
        y = torch.tensor(float(self.index.label[i]), dtype=torch.float32)
        return x, y

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_signals"] = {}  # memmaps are reopened in each worker
        return state
