"""Real CHB-MIT samples through the EDF writer and reader: exact to one LSB, and the montage facts still hold.

The excerpts in ``data_manifests/metadata/signals`` (see its README) are float64 µV arrays cut from the real EDFs.
They are converted back to digital values with the real calibration (without clipping: real values exceed the
digital range), written as EDF with the 23 real labels, padded to whole 1 s records, and read back.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from seizurepred.io.edf import read_recording
from seizurepred.io.edf_write import uv_to_digital, write_edf
from seizurepred.io.montage import PAPER_23

LSB_UV = 1600 / 4095
OFFSET_UV = -800 + 2048 * LSB_UV
SFREQ = 256
ROW = {lab: i for i, lab in reversed(list(enumerate(PAPER_23)))}  # first occurrence for T8-P8
CHAINS = {
    "left": (["FP1-F7", "F7-T7", "T7-P7", "P7-O1"], ["FP1-F3", "F3-C3", "C3-P3", "P3-O1"]),
    "right": (["FP2-F8", "F8-T8", "T8-P8", "P8-O2"], ["FP2-F4", "F4-C4", "C4-P4", "P4-O2"]),
}


def _excerpts(chbmit_dir: Path) -> list[tuple[str, np.ndarray, dict]]:
    """(name, µV array (23, N), manifest entry or {}) for every real excerpt, the derived int16 one included."""
    signals = chbmit_dir / "signals"
    manifest = {e["file"]: e for e in json.loads((signals / "MANIFEST.json").read_text())}
    out = [(rel, np.load(signals / rel), entry) for rel, entry in sorted(manifest.items())]
    with np.load(signals / "derived" / "chb01_03_2986-3036s_int16.npz") as z:
        assert list(z["channels"]) == list(PAPER_23)
        uv = z["digital"].astype(np.float64) * float(z["gain_uV_per_step"]) + float(z["offset_uV"])
    out.append(("derived/chb01_03_2986-3036s_int16.npz", uv, {}))
    return out


@pytest.fixture(scope="module")
def round_trips(chbmit_dir, tmp_path_factory):
    """(name, original µV, read µV, manifest entry) per excerpt, through EDF files in a temp folder."""
    folder = tmp_path_factory.mktemp("real_edf")
    result = []
    for name, uv, entry in _excerpts(chbmit_dir):
        assert uv.shape[0] == 23
        digital = uv_to_digital(uv)
        # the excerpts are exactly on the real calibration grid (README: residual < 1e-12)
        np.testing.assert_allclose(digital * LSB_UV + OFFSET_UV, uv, rtol=0, atol=1e-9)
        n = uv.shape[1]
        padded = np.zeros((23, -(-n // SFREQ) * SFREQ), dtype=np.int16)
        padded[:, :n] = digital
        path = folder / (Path(name).stem + ".edf")
        write_edf(path, padded, labels=PAPER_23, sfreq=SFREQ, start=datetime(2076, 11, 6, 11, 42, 54))
        data = read_recording(path, channels="paper23", stop_s=n / SFREQ)
        result.append((name, uv, data, entry))
    return result


def test_real_excerpts_round_trip_to_one_lsb(round_trips):
    assert len(round_trips) == 21
    for name, uv, data, _ in round_trips:
        assert data.shape == uv.shape and data.dtype == np.float32, name
        assert np.abs(data - uv).max() < LSB_UV / 100, name  # float32 rounding only, far below one LSB


def test_real_excerpts_exceed_the_digital_range(round_trips):
    """chb03_34 reaches digital 4241: read back linearly, not clipped."""
    peak = max(np.abs(data).max() for _, _, data, _ in round_trips)
    assert peak > 800 + LSB_UV
    name, uv, data, _ = next(r for r in round_trips if "chb03_34_ictal" in r[0])
    assert uv_to_digital(uv).max() == 4241
    assert data.max() == pytest.approx(4241 * LSB_UV + OFFSET_UV, abs=1e-3)


def test_duplicate_t8p8_and_reversed_p7t7(round_trips):
    for name, _, data, entry in round_trips:
        np.testing.assert_array_equal(data[22], data[14], err_msg=name)
        dev = np.abs(data[ROW["P7-T7"]] + data[ROW["T7-P7"]]).max()
        assert dev <= LSB_UV * 1.001, name
        if entry:
            assert dev == pytest.approx(entry["montage_checks"]["p7t7_is_minus_t7p7_max_abs_uV"], abs=1e-3)


def test_bipolar_chains_close(round_trips):
    """FP1->O1 along the temporal chain equals FP1->O1 along the parasagittal chain to a few LSB (right: same)."""
    for name, _, data, entry in round_trips:
        rms = np.sqrt(np.mean(data.astype(np.float64) ** 2))
        for side, (temporal, parasagittal) in CHAINS.items():
            closure = data[[ROW[c] for c in temporal]].sum(0) - data[[ROW[c] for c in parasagittal]].sum(0)
            dev = np.abs(closure).max()
            closure_rms = np.sqrt(np.mean(closure.astype(np.float64) ** 2))
            assert dev <= 16 * LSB_UV and closure_rms < min(rms / 10, 4 * LSB_UV), (name, side, dev, rms)
            if entry:  # the figure the manifest computed on the original arrays
                expected = entry["montage_checks"][f"{side}_chain_closure_max_abs_uV"]
                assert dev == pytest.approx(expected, abs=2e-3), (name, side)
