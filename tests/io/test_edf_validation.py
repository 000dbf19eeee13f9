"""A requested channel whose calibration would corrupt it silently is an EDFError naming the file and the channel.

Flat (physical min == max), uncalibrated (digital min == max) and inverted (one pair swapped: negative gain)
channels are refused when they are read; dummy and unrequested channels are never judged (real CHB-MIT files have
dummy channels with digital min == max, and other tools that refuse the whole file for them are wrong for us).
"""

from __future__ import annotations

import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from seizurepred.errors import EDFError
from seizurepred.io.edf import check_calibration, read_header, read_recording
from seizurepred.io.edf_write import write_edf
from seizurepred.io.montage import PAPER_23

SFREQ = 256
START = datetime(2090, 1, 1, 10, 0, 0)
NS = len(PAPER_23)
#: offset of the per-channel calibration fields (8 bytes per channel each) in a header of NS channels
FIELD_AT = {
    "physical_min": 256 + NS * (16 + 80 + 8),
    "physical_max": 256 + NS * (16 + 80 + 16),
    "digital_min": 256 + NS * (16 + 80 + 24),
    "digital_max": 256 + NS * (16 + 80 + 32),
}
T7P7 = PAPER_23.index("T7-P7")  # file channel 3


def _file(path: Path, **patch: tuple[int, str]) -> tuple[Path, np.ndarray]:
    """A CHB-MIT-like 23-channel file (real calibration), then header fields patched: field=(channel, text)."""
    rng = np.random.default_rng(3)
    digital = rng.integers(-2048, 2048, size=(NS, 4 * SFREQ)).astype(np.int16)
    digital[22] = digital[14]
    write_edf(path, digital, labels=PAPER_23, sfreq=SFREQ, start=START)
    with path.open("r+b") as fh:
        for name, (channel, text) in patch.items():
            fh.seek(FIELD_AT[name] + 8 * channel)
            fh.write(text.ljust(8).encode("ascii"))
    return path, digital


def _one_line_error(path: Path, **kw) -> str:
    with pytest.raises(EDFError) as err:
        read_recording(path, **kw)
    msg = str(err.value)
    assert "\n" not in msg
    return msg


def test_patched_fields_land_where_the_header_reads_them(tmp_path):
    path, _ = _file(tmp_path / "a.edf", physical_min=(T7P7, "-100"), digital_max=(T7P7, "1000"))
    h = read_header(path)
    assert (h.physical_min[T7P7], h.digital_max[T7P7]) == (-100.0, 1000.0)
    assert h.physical_min[T7P7 - 1] == -800.0 and h.digital_max[T7P7 + 1] == 2047.0


def test_flat_physical_range_is_an_error_naming_file_and_channel(tmp_path):
    """physical_min == physical_max: every sample would read 800 uV, spread by the common average."""
    path, _ = _file(tmp_path / "chb93_01.edf", physical_min=(T7P7, "800"))
    msg = _one_line_error(path)
    assert msg.startswith(f"{path}: channel 3 'T7-P7': physical_min equals physical_max (800 uV)")


@pytest.mark.parametrize(
    ("patch", "pair"),
    [
        ({"digital_min": (T7P7, "2047"), "digital_max": (T7P7, "-2048")}, "digital"),
        ({"physical_min": (T7P7, "800"), "physical_max": (T7P7, "-800")}, "physical"),
    ],
)
def test_swapped_pair_would_invert_the_channel_and_is_an_error(tmp_path, patch, pair):
    path, _ = _file(tmp_path / "chb93_02.edf", **patch)
    msg = _one_line_error(path, channels="core18")
    assert f"{path}: channel 3 'T7-P7': {pair}_min > {pair}_max" in msg
    assert "inverted" in msg


def test_digital_min_equal_to_max_on_a_requested_channel_fails_early_naming_the_file(tmp_path):
    """Was: NaN samples, then a late "Invalid value for 'data'" naming no file."""
    path, _ = _file(tmp_path / "chb93_03.edf", digital_min=(T7P7, "0"), digital_max=(T7P7, "0"))
    msg = _one_line_error(path, channels=["FP1-F7", "T7-P7"])
    assert msg.startswith(f"{path}: channel 3 'T7-P7': digital_min equals digital_max (0)")


def test_bad_calibration_on_unrequested_and_dummy_channels_is_not_judged(tmp_path):
    """core18 does not read FT9-FT10 (channel 21); paper23 reads the first T8-P8 for both slots, never the second."""
    lsb = 1600 / 4095
    ft9 = PAPER_23.index("FT9-FT10")
    flat_ft9, digital = _file(tmp_path / "chb93_04.edf", physical_min=(ft9, "800"))
    dead_t8, _ = _file(tmp_path / "chb93_05.edf", digital_min=(22, "0"), digital_max=(22, "0"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        core = read_recording(flat_ft9, channels="core18")
        paper = read_recording(dead_t8, channels="paper23")
    np.testing.assert_allclose(core, digital[:18] * lsb + (-800 + 2048 * lsb), atol=1e-3)
    np.testing.assert_allclose(paper, digital * lsb + (-800 + 2048 * lsb), atol=1e-3)
    with pytest.raises(EDFError, match="channel 21 'FT9-FT10'"):
        read_recording(flat_ft9, channels="paper23")


def test_dummy_channels_with_digital_min_equal_to_max_are_ignored(tmp_path):
    """The real chb18-like layout: '-' and '.' channels, digital min == max, between the EEG channels."""
    labels = ["-", *PAPER_23[:18], ".", "ECG"]
    digital = np.zeros((len(labels), 2 * SFREQ), dtype=np.int16)
    digital[1:19] = 100
    dmin = [0 if lab in ("-", ".") else -2048 for lab in labels]
    dmax = [0 if lab in ("-", ".") else 2047 for lab in labels]
    path = write_edf(tmp_path / "chb18_01.edf", digital, labels=labels, sfreq=SFREQ, start=START,
                     digital_min=dmin, digital_max=dmax)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = read_recording(path, channels="core18")
    lsb = 1600 / 4095
    np.testing.assert_allclose(data, np.full((18, 2 * SFREQ), 100 * lsb + (-800 + 2048 * lsb)), atol=1e-3)


def test_both_pairs_swapped_is_the_same_calibration_and_reads_normally(tmp_path):
    """Swapping both pairs keeps the gain positive: the same numbers as the unpatched file."""
    normal, _ = _file(tmp_path / "n.edf")
    patch = {"physical_min": (T7P7, "800"), "physical_max": (T7P7, "-800")}
    patch |= {"digital_min": (T7P7, "2047"), "digital_max": (T7P7, "-2048")}
    both, _ = _file(tmp_path / "b.edf", **patch)
    np.testing.assert_allclose(read_recording(both), read_recording(normal), atol=1e-3)


def test_check_calibration_judges_only_the_given_channels(tmp_path):
    path, _ = _file(tmp_path / "c.edf", physical_max=(T7P7, "-800"))
    h = read_header(path)
    check_calibration(h, [0, 1, 3])  # no error
    with pytest.raises(EDFError, match="channel 3 'T7-P7'"):
        check_calibration(h, [0, T7P7])


# ------------------------------------------------------------------ calibrations that overflow float32
_SANE = "expected a finite physical range within +-1e+09 uV (1 kV)."


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("1e38", "physical range -800..1e+38 uV gives samples up to 8.5e+38 uV, beyond the 1e+09 uV that float32 "
                 "preprocessing holds without overflowing to inf/NaN"),
        ("9e307", "its gain (physical range / digital range) 2.2e+304 uV per digital step overflows float32, so "
                  "every sample would read as inf or NaN"),
        ("1e400", "physical_max is not a finite number (inf)"),
        ("nan", "physical_max is not a finite number (nan)"),
    ],
)  # fmt: skip
def test_physical_range_overflowing_float32_is_an_error_naming_file_and_channel(tmp_path, value, why):
    """physical_max = 1e38 gave NaN/inf in the cache with exit 0."""
    path, _ = _file(tmp_path / "chb93_06.edf", physical_max=(T7P7, value))
    assert _one_line_error(path) == f"{path}: channel 3 'T7-P7': {why}; {_SANE}"


def test_a_range_within_1_kv_in_volts_reads_and_beyond_is_refused(tmp_path):
    """The limit is in uV after the unit: +-0.5 V reads (as +-5e5 uV), +-2000 V does not."""
    for value, ok in (("0.5", True), ("2000", False)):
        path, _ = _file(tmp_path / f"v{value}.edf", physical_min=(T7P7, f"-{value}"), physical_max=(T7P7, value))
        with path.open("r+b") as fh:  # physical dimension of T7-P7: V
            fh.seek(256 + NS * (16 + 80) + 8 * T7P7)
            fh.write(b"V       ")
        if ok:
            assert np.isfinite(read_recording(path)).all()
        else:
            assert "physical range -2000..2000 V gives samples up to" in _one_line_error(path)


def test_non_finite_calibration_of_an_unread_channel_is_not_judged(tmp_path):
    ft9 = PAPER_23.index("FT9-FT10")
    path, _ = _file(tmp_path / "chb93_07.edf", physical_max=(ft9, "nan"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_recording(path, channels="core18").shape == (18, 4 * SFREQ)


def test_a_header_declaring_hundreds_of_hours_is_refused_before_allocating(tmp_path, monkeypatch):
    """A sparse 200-GB file was a MemoryError traceback; the output size is checked first."""
    import seizurepred.io.edf as edf

    path, _ = _file(tmp_path / "chb93_08.edf")
    monkeypatch.setattr(edf, "MAX_READ_BYTES", 4 * NS * SFREQ * 3)  # 3 s of 23 channels
    msg = _one_line_error(path)
    assert msg.startswith(f"{path}: 23 channels x 0.0 h at 256 Hz need 0.0 GiB, more than the ")
    assert msg.endswith(" GiB one read may take (4 records of 1 s); a damaged or sparse file? Read a part with "
                        "start_s/stop_s.")  # fmt: skip
    assert read_recording(path, stop_s=3.0).shape == (NS, 3 * SFREQ)


def test_a_device_is_not_read_as_an_edf(tmp_path):
    link = tmp_path / "zero.edf"
    link.symlink_to("/dev/zero")
    with pytest.raises(EDFError, match=rf"^{link}: not an EDF file but a character device\.$"):
        read_header(link)
