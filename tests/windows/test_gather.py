"""Tests of seizurepred.windows.gather: materialize and WindowDataset against a slow per-window loop over the cache."""

from __future__ import annotations

import tracemalloc
from datetime import datetime, timedelta

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from seizurepred.cache.store import SignalCache
from seizurepred.errors import CacheError
from seizurepred.io.edf_write import uv_to_digital, write_edf
from seizurepred.io.manifest import Manifest, Recording
from seizurepred.labels.segments import Interval, LabelConfig, Segments
from seizurepred.windows.gather import WindowDataset, gather_windows, materialize
from seizurepred.windows.index import WindowConfig, WindowIndex, build_window_index

CHANNELS = ("FP1-F7", "F7-T7", "T7-P7")
SFREQ = 256
DURATION_S = 60


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    recs = []
    for i in range(3):
        data = rng.normal(0.0, 30.0, (3, SFREQ * DURATION_S))
        name = f"chb98_{i + 1:02d}.edf"
        write_edf(
            root / "chb98" / name,
            uv_to_digital(data),
            labels=CHANNELS,
            sfreq=SFREQ,
            start=datetime(2020, 1, 1, 8) + timedelta(minutes=2 * i),
        )
        recs.append(Recording(name, 28800.0 + 120.0 * i, 28800.0 + 120.0 * i + DURATION_S, CHANNELS))
    manifest = Manifest("chb98", float(SFREQ), tuple(recs))
    cache = SignalCache(root / "cache", channels=CHANNELS)
    report = cache.build(manifest, root)
    pre = [Interval(1, 5.0, 50.0, "preictal", 0, recs[1].start_clock_s + 5.0)]
    inter = [Interval(r, 0.0, DURATION_S, "interictal", -1, recs[r].start_clock_s) for r in (0, 2)]
    seg = Segments("chb98", LabelConfig(), tuple(pre), tuple(inter), (), True, "")
    index = build_window_index(
        seg,
        manifest,
        config=WindowConfig(),
        sfreq=cache.sfreq,
        seed=0,
        available=report.available,
        n_samples=cache.lengths(),
    )
    return cache, index


def _slow(cache, index):
    return np.stack(
        [
            np.asarray(cache.signal(index.file_names[r])[:, s : s + index.n_times])
            for r, s in zip(index.recording, index.start)
        ]
    )


def test_materialize_matches_slow_loop(built):
    cache, index = built
    assert index.n_preictal > 0 and index.n_interictal > 0
    X, y = materialize(cache, index)
    assert X.shape == (len(index), 3, 1280) and X.dtype == torch.float32 and y.dtype == torch.float32
    np.testing.assert_array_equal(X.numpy(), _slow(cache, index))
    np.testing.assert_array_equal(y.numpy(), index.label.astype(np.float32))


def test_materialize_non_contiguous_selection_and_dtype(built):
    cache, index = built
    rows = np.random.default_rng(1).permutation(len(index))[: len(index) // 2]
    sub = index.select(rows)  # rows of one recording interleaved with others'
    X, y = materialize(cache, sub, dtype=torch.float16)
    assert X.dtype == torch.float16
    np.testing.assert_allclose(X.float().numpy(), _slow(cache, sub), rtol=1e-3, atol=1e-2)
    np.testing.assert_array_equal(y.numpy(), sub.label)
    empty = materialize(cache, index.select(np.zeros(len(index), bool)))[0]
    assert empty.shape == (0, 3, 1280)


def test_gather_never_copies_the_whole_recording(built):
    """A strided view must be fancy-indexed, not made contiguous (that would be ~250 MB here, 100 GiB per real h)."""
    cache, index = built
    few = index.select(np.arange(0, len(index), max(1, len(index) // 10)))
    tracemalloc.start()
    try:
        out = gather_windows(cache, few)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(out, _slow(cache, few))
    assert peak < 5 * out.nbytes + 2**20


def test_dataset_items_and_loader(built):
    cache, index = built
    ds = WindowDataset(cache, index)
    assert len(ds) == len(index)
    ref = _slow(cache, index)
    for i in (0, len(ds) // 2, len(ds) - 1):
        x, y = ds[i]
        assert x.shape == (3, 1280) and y.shape == () and float(y) == index.label[i]
        np.testing.assert_array_equal(x.numpy(), ref[i])
    xb, yb = next(iter(DataLoader(ds, batch_size=8, shuffle=False)))
    np.testing.assert_array_equal(xb.numpy(), ref[:8])
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_out_of_range_window_is_a_cache_error(built):
    cache, index = built
    bad = WindowIndex(
        index.file_names, [0], [SFREQ * DURATION_S - 10], [0], [-1], [0.0], index.n_times, index.sfreq
    )
    with pytest.raises(CacheError, match="chb98_01.edf"):
        gather_windows(cache, bad)
    with pytest.raises(CacheError, match="chb98_01.edf"):
        WindowDataset(cache, bad)[0]
