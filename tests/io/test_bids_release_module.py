"""``io/bids_release``: the release's channels and the dataset files of a real or synthetic BIDS root."""

from __future__ import annotations

import json

from seizurepred.io import bids, bids_release
from seizurepred.io.montage import canonical_label


def test_release_channels_are_the_18_core_ones_under_old_names():
    assert len(bids_release.RELEASE_18) == 18 and bids.RELEASE_18 is bids_release.RELEASE_18
    assert "T3-T5" in bids_release.RELEASE_18
    assert canonical_label("T3-T5") == canonical_label("T7-P7")


def test_synthetic_dataset_description_names_no_real_database(tmp_path):
    real, synth = bids_release.dataset_description(), bids_release.dataset_description(synthetic=True)
    assert real["DatasetDOI"] and "Authors" in real
    assert synth["Name"] == bids_release.SYNTHETIC_DATASET_NAME and "DatasetDOI" not in synth
    bids_release._write_dataset_files(tmp_path, synthetic=True)
    assert json.loads((tmp_path / "dataset_description.json").read_text())["Name"] == synth["Name"]
    assert "ynthetic" in (tmp_path / "README").read_text()
