"""Tests of the canonical channel sets and of mapping file labels onto them (seizurepred.io.montage)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seizurepred.errors import ConfigError, MontageError
from seizurepred.io.montage import (
    CORE_18,
    PAPER_23,
    channel_set,
    has_channels,
    is_matchable,
    missing_channels,
    normalize_label,
    resolve_channels,
)

README_CORE_18 = {
    "FP1-F7", "F7-T7", "T7-P7", "P7-O1", "FP1-F3", "F3-C3", "C3-P3", "P3-O1", "FZ-CZ",
    "CZ-PZ", "FP2-F4", "F4-C4", "C4-P4", "P4-O2", "FP2-F8", "F8-T8", "T8-P8", "P8-O2",
}  # fmt: skip
NON_EEG = ["ECG", "VNS", "LOC-ROC", "LUE-RAE", "EKG1-EKG2", "EKG1-CHIN", "FC1-Ref", "CP6-Ref", "PZ-OZ"]


def test_channel_sets_match_the_dataset_facts():
    assert len(PAPER_23) == 23 and len(set(PAPER_23)) == 22
    assert PAPER_23[14] == PAPER_23[22] == "T8-P8"
    assert set(CORE_18) == README_CORE_18 and len(CORE_18) == 18
    assert CORE_18 == PAPER_23[:18]
    assert set(PAPER_23) - set(CORE_18) == {"P7-T7", "T7-FT9", "FT9-FT10", "FT10-T8"}


def test_channel_set_names_and_explicit_labels():
    assert channel_set("paper23") == PAPER_23
    assert channel_set(" Core18 ") == CORE_18
    assert channel_set([" fp1-f7", "Cz-Pz "]) == ("FP1-F7", "CZ-PZ")


@pytest.mark.parametrize("bad", ["paper24", "", "all"])
def test_channel_set_unknown_name(bad):
    with pytest.raises(ConfigError, match=r"Invalid value for 'channels': allowed 'paper23', 'core18'"):
        channel_set(bad)


@pytest.mark.parametrize("bad", [[], ["-"], ["."], ["FP1-F7", "ECG"], ["FC1-Ref"], ["PZ-OZ"]])
def test_channel_set_rejects_empty_dummy_and_non_eeg(bad):
    with pytest.raises(ConfigError, match="Invalid value for 'channels'"):
        channel_set(bad)


def test_duplicate_t8p8_maps_to_first_occurrence():
    idx = resolve_channels(PAPER_23, "paper23")
    assert idx.dtype == np.int64
    assert idx.tolist() == list(range(22)) + [14]


def test_case_and_whitespace_insensitive():
    labels = [f"  {lab.lower()} " for lab in PAPER_23]
    assert resolve_channels(labels, "core18").tolist() == list(range(18))


def test_dummy_and_non_eeg_channels_are_skipped():
    labels = ["-", *NON_EEG[:3], *reversed(PAPER_23), ".", *NON_EEG[3:]]
    idx = resolve_channels(labels, "paper23")
    assert [normalize_label(labels[i]) for i in idx] == list(PAPER_23)
    assert all(is_matchable(labels[i]) for i in idx)
    for lab in ["-", ".", " - ", "", *NON_EEG, "EDF Annotations"]:
        assert not is_matchable(lab)


def test_missing_channels_raise_montage_error_naming_file_and_channels():
    labels = [lab for lab in PAPER_23 if lab not in ("FZ-CZ", "T8-P8")] + ["-", "ECG"]
    with pytest.raises(MontageError) as err:
        resolve_channels(labels, "paper23", source="chb99_01.edf")
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("chb99_01.edf: missing 2 of 22")
    assert "T8-P8" in msg and "FZ-CZ" in msg
    assert missing_channels(labels, "paper23") == ("T8-P8", "FZ-CZ")
    assert not has_channels(labels, "paper23")
    assert has_channels(labels, ["FP1-F7", "ft9-ft10"])


def _real_channel_blocks(summaries):
    """Distinct channel lists of the real summaries, as (file, labels)."""
    blocks = {}
    for path in sorted(summaries.glob("chb*-summary.txt")):
        labels = []
        for line in path.read_text().splitlines():
            m = re.match(r"Channel \d+: (.*)$", line.strip())
            if m:
                labels.append(m.group(1))
            elif labels:
                blocks.setdefault(tuple(labels), path.name)
                labels = []
        if labels:
            blocks.setdefault(tuple(labels), path.name)
    return blocks


def test_real_channel_lists(chbmit_dir):
    """Every channel list of the real summaries: the bipolar ones resolve (some only to core18: chb13, chb15 have
    blocks without P7-T7/T7-FT9/FT9-FT10/FT10-T8); chb12's referential/monopolar ones lack even core18."""
    blocks = _real_channel_blocks(chbmit_dir / "summaries")
    assert len(blocks) >= 5
    outcome = {"paper23": set(), "core18": set(), "none": set()}
    for labels, source in blocks.items():
        for channels in ("paper23", "core18"):
            if has_channels(labels, channels):
                idx = resolve_channels(labels, channels, source=source)
                assert [normalize_label(labels[i]) for i in idx] == list(channel_set(channels))
                assert all(is_matchable(labels[i]) for i in idx)
                outcome[channels].add(source)
                break
            with pytest.raises(MontageError, match=re.escape(source)):
                resolve_channels(labels, channels, source=source)
        else:
            outcome["none"].add(source)
    assert outcome["none"] == {"chb12-summary.txt"}
    assert outcome["core18"] == {"chb13-summary.txt", "chb15-summary.txt"}
    assert {"chb01-summary.txt", "chb18-summary.txt", "chb12-summary.txt"} <= outcome["paper23"]


_label = st.sampled_from([*PAPER_23, "-", ".", *NON_EEG, "FP1", "T8-CS2"])


@settings(max_examples=150, deadline=None)
@given(labels=st.lists(_label, max_size=40), channels=st.sampled_from(["paper23", "core18"]))
def test_resolve_agrees_with_a_slow_reference(labels, channels):
    wanted = channel_set(channels)
    expected_missing = tuple(dict.fromkeys(w for w in wanted if w not in labels))
    assert missing_channels(labels, channels) == expected_missing
    assert has_channels(labels, channels) == (not expected_missing)
    if expected_missing:
        with pytest.raises(MontageError):
            resolve_channels(labels, channels)
    else:
        assert resolve_channels(labels, channels).tolist() == [labels.index(w) for w in wanted]
