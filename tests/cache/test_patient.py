"""patient.py: the channel-set choice ("auto") and data preparation on a partial data root."""

from __future__ import annotations

import pytest

from seizurepred.cache.patient import prepare_patient, resolve_channel_set
from seizurepred.errors import CacheError
from seizurepred.io.manifest import Manifest, Recording, load_manifest
from seizurepred.io.montage import CORE_18, PAPER_23


def _manifest(hours_23: float, hours_18_only: float) -> Manifest:
    recs = (
        Recording("x_01.edf", 0.0, hours_23 * 3600, PAPER_23),
        Recording("x_02.edf", hours_23 * 3600 + 5, (hours_23 + hours_18_only) * 3600 + 5, CORE_18),
    )
    return Manifest("x", 256.0, recs)


@pytest.mark.parametrize(
    ("h23", "h18_only", "want"),
    [(10.0, 0.0, "paper23"), (10.0, 2.0, "paper23"), (10.0, 2.6, "core18"), (1.0, 20.0, "core18")],
)
def test_auto_picks_the_configuration_with_clearly_more_data(h23, h18_only, want):
    assert resolve_channel_set(_manifest(h23, h18_only), "auto") == want


def test_explicit_sets_pass_through():
    m = _manifest(1.0, 20.0)
    assert resolve_channel_set(m, "paper23") == "paper23"
    assert resolve_channel_set(m, "core18") == "core18"


def test_auto_on_the_real_manifests_switches_chb13_only():
    switched = [
        c
        for c in ("chb01", "chb13", "chb15", "chb16", "chb18")
        if resolve_channel_set(load_manifest(c), "auto") != "paper23"
    ]
    assert switched == ["chb13"]


def test_no_edf_present_is_one_clear_error(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(CacheError, match="none of the 2 EDF files"):
        prepare_patient("x", data_root=tmp_path, cache_dir=tmp_path / "c", manifest=_manifest(1.0, 1.0))
