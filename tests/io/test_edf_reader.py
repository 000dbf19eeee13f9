"""Tests of the EDF reader (seizurepred.io.edf) on small EDF files, against MNE and pyedflib."""

from __future__ import annotations

import logging
import warnings
from datetime import datetime
from pathlib import Path

import mne
import numpy as np
import pyedflib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seizurepred.errors import ConfigError, EDFError, MontageError
from seizurepred.io.edf import EdfHeader, EDFWarning, read_header, read_recording
from seizurepred.io.edf_write import write_edf
from seizurepred.io.montage import CORE_18, PAPER_23

LSB_UV = 1600 / 4095
SFREQ = 256
START = datetime(2076, 11, 6, 23, 59, 58)
# byte offsets of fixed header fields
N_RECORDS_AT, RECORD_DURATION_AT = 236, 244


def _digital(n_chans: int, n_seconds: int, *, seed: int = 0, spread: int = 2048) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(-spread, spread, size=(n_chans, n_seconds * SFREQ)).astype(np.int16)


def _chbmit_file(
    path: Path, n_seconds: int = 6, *, seed: int = 0, spread: int = 2048, **kw
) -> tuple[Path, np.ndarray]:
    """A CHB-MIT-like file: the 23 real labels (duplicate T8-P8 identical), real calibration."""
    digital = _digital(23, n_seconds, seed=seed, spread=spread)
    digital[22] = digital[14]
    write_edf(path, digital, labels=PAPER_23, sfreq=SFREQ, start=START, **kw)
    return path, digital


def _patch(path: Path, offset: int, text: str, width: int = 8) -> None:
    with path.open("r+b") as fh:
        fh.seek(offset)
        fh.write(text.ljust(width).encode("ascii"))


def _mne_uv(path: Path) -> tuple[list[str], np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
    return raw.ch_names, raw.get_data() * 1e6


def _pyedflib_uv(path: Path, channels: list[int] | None = None) -> np.ndarray:
    with pyedflib.EdfReader(str(path)) as reader:
        channels = range(reader.signals_in_file) if channels is None else channels
        return np.array([reader.readSignal(i) for i in channels])


def _one_line(err: pytest.ExceptionInfo, *parts: str) -> None:
    msg = str(err.value)
    assert "\n" not in msg
    for part in parts:
        assert part in msg, (part, msg)


# --- header ---------------------------------------------------------------------------------------------------


def test_header_fields(tmp_path):
    path, _ = _chbmit_file(tmp_path / "chb01_01.edf", 5)
    h = read_header(path)
    assert isinstance(h, EdfHeader)
    assert h.path == path and h.labels == PAPER_23
    assert h.start_datetime == START
    assert (h.n_records, h.n_records_header, h.record_duration_s, h.header_bytes) == (5, 5, 1.0, 256 * 24)
    assert h.samples_per_record == (256,) * 23
    assert (h.sfreq, h.duration_s, h.n_samples) == (256.0, 5.0, 1280)
    assert h.physical_min == (-800.0,) * 23 and h.digital_max == (2047.0,) * 23
    assert h.gain[0] == pytest.approx(LSB_UV) and h.offset[0] == pytest.approx(-800 + 2048 * LSB_UV)
    with pyedflib.EdfReader(str(path)) as ref:  # independent parser
        assert tuple(ref.getSignalLabels()) == h.labels
        assert ref.getStartdatetime() == h.start_datetime
        assert ref.getFileDuration() == h.duration_s


def test_header_tolerates_odd_spacing_and_two_digit_years(tmp_path):
    path, _ = _chbmit_file(tmp_path / "x.edf", 3)
    _patch(path, N_RECORDS_AT, "  3")
    _patch(path, RECORD_DURATION_AT, " 1.000 ")
    _patch(path, 168, "1.2.99", 8)  # start date without leading zeros, 1999
    _patch(path, 176, "1.2.3", 8)
    h = read_header(path)
    assert (h.n_records, h.record_duration_s) == (3, 1.0)
    assert h.start_datetime == datetime(1999, 2, 1, 1, 2, 3)


def test_edf_plus_with_annotations_and_mixed_rates(tmp_path):
    """An EDF+ file written by pyedflib: 'EDF Annotations' and a 128 Hz ECG are ignored for sfreq."""
    path = tmp_path / "plus.edf"
    rates = {"FP1-F7": 256, "F7-T7": 256, "ECG": 128}
    rng = np.random.default_rng(3)
    with pyedflib.EdfWriter(str(path), len(rates), file_type=pyedflib.FILETYPE_EDFPLUS) as writer:
        writer.setSignalHeaders(
            [
                dict(label=lab, dimension="uV", sample_frequency=fs, physical_max=800.0, physical_min=-800.0,
                     digital_max=2047, digital_min=-2048, transducer="", prefilter="")
                for lab, fs in rates.items()
            ]
        )  # fmt: skip
        writer.setStartdatetime(datetime(2001, 3, 2, 10, 11, 12))
        writer.writeSamples([rng.normal(0, 150, 10 * fs) for fs in rates.values()])
    h = read_header(path)
    assert h.labels[-1] == "EDF Annotations"
    assert h.sfreq == 256.0 and h.n_records == 10
    assert h.start_datetime == datetime(2001, 3, 2, 10, 11, 12)
    data = read_recording(path, channels=["F7-T7", "FP1-F7"])
    np.testing.assert_allclose(data, _pyedflib_uv(path, [1, 0]), atol=LSB_UV)
    relabelled = _with_labels(h, ("FP1-F7", "F7-T7", "C3-P3", "EDF Annotations"))  # 128 Hz channel as EEG
    with pytest.raises(EDFError) as err:
        relabelled.sfreq  # noqa: B018
    _one_line(err, "plus.edf", "different sampling rates")


def _with_labels(h: EdfHeader, labels: tuple[str, ...]) -> EdfHeader:
    fields = {k: getattr(h, k) for k in h.__dataclass_fields__ if k not in ("gain", "offset")}
    return EdfHeader(**{**fields, "labels": labels})


# --- values against MNE and pyedflib -----------------------------------------------------------------------------


def test_paper23_equals_mne_and_pyedflib(tmp_path):
    path, digital = _chbmit_file(tmp_path / "chb01_02.edf", 4, spread=4000)  # beyond the digital range too
    data = read_recording(path)
    assert data.dtype == np.float32 and data.shape == (23, 4 * SFREQ) and data.flags.c_contiguous
    names, ref = _mne_uv(path)
    assert names[14] == "T8-P8-0" and names[22] == "T8-P8-1"
    np.testing.assert_allclose(data, ref, rtol=0, atol=LSB_UV)
    np.testing.assert_allclose(data, _pyedflib_uv(path), rtol=0, atol=LSB_UV)
    np.testing.assert_array_equal(data[14], data[22])
    # exact linear calibration, no clipping of out-of-range digital values
    np.testing.assert_allclose(data, digital * LSB_UV + (-800 + 2048 * LSB_UV), rtol=0, atol=1e-3)
    assert np.abs(digital).max() > 2048


def test_per_channel_calibration_equals_mne(tmp_path):
    rng = np.random.default_rng(7)
    n = 5
    pmin = rng.uniform(-3000, -10, n).round(2)
    pmax = rng.uniform(10, 3000, n).round(2)
    dmin = rng.integers(-32768, -100, n)
    dmax = rng.integers(100, 32767, n)
    digital = np.stack([rng.integers(lo, hi, 3 * SFREQ) for lo, hi in zip(dmin, dmax)]).astype(np.int16)
    labels = ["FZ-CZ", "CZ-PZ", "C3-P3", "FP1-F7", "P8-O2"]
    path = write_edf(tmp_path / "cal.edf", digital, labels=labels, sfreq=SFREQ, start=START,
                     physical_min=pmin.tolist(), physical_max=pmax.tolist(), digital_min=dmin.tolist(),
                     digital_max=dmax.tolist())  # fmt: skip
    data = read_recording(path, channels=labels[::-1])
    _, ref = _mne_uv(path)
    lsb = (pmax - pmin) / (dmax - dmin)
    assert np.all(np.abs(data - ref[::-1]) <= lsb[::-1, None])
    np.testing.assert_allclose(data, _pyedflib_uv(path)[::-1], rtol=1e-6, atol=1e-3)


def test_core18_is_the_prefix_of_paper23(tmp_path):
    path, _ = _chbmit_file(tmp_path / "a.edf", 2)
    np.testing.assert_array_equal(read_recording(path, channels="core18"), read_recording(path)[:18])
    shuffled = [PAPER_23[i] for i in (5, 0, 22, 3)]
    np.testing.assert_array_equal(
        read_recording(path, channels=shuffled), read_recording(path)[[5, 0, 14, 3]]
    )
    assert len(CORE_18) == 18


def test_reordered_file_with_dummy_and_non_eeg_channels(tmp_path):
    """Dummy channels (digital min == max) and non-EEG channels are never read; nothing divides by zero."""
    rng = np.random.default_rng(11)
    labels = ["-", "ECG", *reversed(PAPER_23[:22]), ".", "VNS", "T8-P8", "FC1-Ref"]
    n = len(labels)
    digital = rng.integers(-2048, 2048, size=(n, 2 * SFREQ)).astype(np.int16)
    digital[labels.index("T8-P8", 3)] = digital[labels.index("T8-P8")]
    dummy = [i for i, lab in enumerate(labels) if lab in ("-", ".")]
    dmin, dmax = np.full(n, -2048), np.full(n, 2047)
    dmin[dummy] = dmax[dummy] = 0
    path = write_edf(tmp_path / "chb18_01.edf", digital, labels=labels, sfreq=SFREQ, start=START,
                     digital_min=dmin.tolist(), digital_max=dmax.tolist())  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (division by zero) and no EDFWarning
        h = read_header(path)
        data = read_recording(path)
    assert all(np.isnan(h.gain[i]) and np.isnan(h.offset[i]) for i in dummy)
    assert np.isfinite(data).all()
    order = [labels.index(lab) for lab in PAPER_23]
    np.testing.assert_allclose(data, digital[order] * LSB_UV + (-800 + 2048 * LSB_UV), atol=1e-3)
    np.testing.assert_allclose(data, _pyedflib_uv(path)[order], atol=LSB_UV)


# --- time spans ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_s", "stop_s"),
    [(None, None), (0, 1), (1, 3), (0.5, 2.25), (1.1, 1.2), (2.99, None), (None, 0.004), (0.2, 0.21)],
)
def test_time_span_equals_slice_of_full_read(tmp_path, start_s, stop_s):
    path, _ = _chbmit_file(tmp_path / "s.edf", 3)
    full = read_recording(path)
    part = read_recording(path, start_s=start_s, stop_s=stop_s)
    a = 0 if start_s is None else round(start_s * SFREQ)
    b = full.shape[1] if stop_s is None else round(stop_s * SFREQ)
    np.testing.assert_array_equal(part, full[:, a:b])
    assert part.flags.c_contiguous


@settings(max_examples=40, deadline=None)
@given(a=st.integers(0, 5 * SFREQ - 1), n=st.integers(1, 5 * SFREQ), chunk=st.sampled_from([1, 300, 1 << 17]))
def test_time_span_property(tmp_path_factory, a, n, chunk):
    import seizurepred.io.edf as edf

    path = tmp_path_factory.getbasetemp() / "prop.edf"
    if not path.exists():
        _chbmit_file(path, 5, seed=5)
    b = min(a + n, 5 * SFREQ)
    full = _pyedflib_uv(path)
    old, edf._CHUNK_VALUES = edf._CHUNK_VALUES, chunk
    try:
        part = read_recording(path, channels="paper23", start_s=a / SFREQ, stop_s=b / SFREQ)
    finally:
        edf._CHUNK_VALUES = old
    np.testing.assert_allclose(part, full[:, a:b], atol=LSB_UV)


@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"start_s": -1}, "start_s"),
        ({"start_s": 3}, "start_s"),
        ({"stop_s": 3.5}, "stop_s"),
        ({"start_s": 2, "stop_s": 1}, "stop_s"),
        ({"start_s": 1, "stop_s": 1}, "stop_s"),
        ({"stop_s": float("nan")}, "stop_s"),
        ({"start_s": "1"}, "start_s"),
    ],
)
def test_time_span_out_of_range(tmp_path, kw, name):
    path, _ = _chbmit_file(tmp_path / "chb01_05.edf", 3)
    with pytest.raises(ConfigError) as err:
        read_recording(path, **kw)
    _one_line(err, f"Invalid value for '{name}'", "chb01_05.edf")


# --- quirks and bad files --------------------------------------------------------------------------------------


def test_missing_channel_raises_montage_error(tmp_path):
    labels = [lab for lab in PAPER_23 if lab != "FT9-FT10"]
    path = write_edf(tmp_path / "chb13_01.edf", _digital(22, 1), labels=labels, sfreq=SFREQ, start=START)
    with pytest.raises(MontageError) as err:
        read_recording(path)
    _one_line(err, "chb13_01.edf", "FT9-FT10")
    assert read_recording(path, channels="core18").shape == (18, SFREQ)


def test_truncated_last_record_warns_and_keeps_whole_records(tmp_path):
    path, _ = _chbmit_file(tmp_path / "t.edf", 4)
    full = read_recording(path)
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size - 1000)
    with pytest.warns(EDFWarning, match="truncated last data record"):
        h = read_header(path)
    assert (h.n_records, h.n_records_header) == (3, 4)
    with pytest.warns(EDFWarning):
        data = read_recording(path)
    np.testing.assert_array_equal(data, full[:, : 3 * SFREQ])


@pytest.mark.parametrize(("stated", "expected", "warns"), [("-1", 4, False), ("9", 4, True), ("2", 2, True)])
def test_header_record_count(tmp_path, stated, expected, warns):
    """-1: computed from the file size; more than the file holds: warn, read what is whole; fewer: obey, with a
    warning (never drop data silently)."""
    path, _ = _chbmit_file(tmp_path / "n.edf", 4)
    full = read_recording(path)
    _patch(path, N_RECORDS_AT, stated)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = read_header(path)
        data = read_recording(path)
    assert any(issubclass(w.category, EDFWarning) for w in caught) == warns
    assert h.n_records == expected and h.n_records_header == int(stated)
    np.testing.assert_array_equal(data, full[:, : expected * SFREQ])


def test_minus_one_records_with_partial_record_warns(tmp_path):
    path, _ = _chbmit_file(tmp_path / "m.edf", 3)
    _patch(path, N_RECORDS_AT, "-1")
    with path.open("ab") as fh:
        fh.write(b"\0" * 100)
    with pytest.warns(EDFWarning, match="truncated"):
        assert read_header(path).n_records == 3


def test_out_of_range_values_are_logged_at_debug_level(tmp_path, caplog):
    digital = _digital(2, 1)
    digital[1, 5] = 4241  # as in chb03_34
    path = write_edf(tmp_path / "o.edf", digital, labels=["FP1-F7", "F7-T7"], sfreq=SFREQ, start=START)
    with caplog.at_level(logging.DEBUG, logger="seizurepred.io.edf"):
        data = read_recording(path, channels=["FP1-F7", "F7-T7"])
    assert data[1, 5] == pytest.approx(4241 * LSB_UV - 800 + 2048 * LSB_UV, abs=1e-3)
    assert "F7-T7" in caplog.text and "FP1-F7 " not in caplog.text
    assert all(r.levelno == logging.DEBUG for r in caplog.records)


def test_unequal_sampling_rate_among_requested_channels(tmp_path):
    path = tmp_path / "rates.edf"
    with pyedflib.EdfWriter(str(path), 2, file_type=pyedflib.FILETYPE_EDF) as writer:
        writer.setSignalHeaders(
            [
                dict(label=lab, dimension="uV", sample_frequency=fs, physical_max=800.0, physical_min=-800.0,
                     digital_max=2047, digital_min=-2048, transducer="", prefilter="")
                for lab, fs in (("FP1-F7", 256), ("F7-T7", 128))
            ]
        )  # fmt: skip
        writer.writeSamples([np.zeros(512), np.zeros(256)])
    assert read_recording(path, channels=["F7-T7"]).shape == (1, 256)
    with pytest.raises(EDFError) as err:
        read_recording(path, channels=["FP1-F7", "F7-T7"])
    _one_line(err, "rates.edf", "different sampling rates")
    with pytest.raises(EDFError):
        read_header(path).sfreq  # noqa: B018


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    good, _ = _chbmit_file(tmp_path / "good.edf", 1)
    raw = good.read_bytes()
    cases = {
        "empty": (b"", "not an EDF file"),
        "text": (b"Seizure Start Time: 2996 seconds\n" * 20, "not an EDF file"),
        "random": (np.random.default_rng(0).bytes(5000), "not an EDF file"),
        "bdf": (b"\xffBIOSEMI" + raw[8:], "BDF"),
        "short_header": (raw[:1000], "truncated header"),
        "fixed_only": (raw[:256], "truncated header"),
        "bad_ns": (raw[:252] + b"abcd" + raw[256:], "number of signals"),
        "zero_ns": (raw[:252] + b"0   " + raw[256:], "0 signals"),
        "bad_spr": (raw[: 256 + 23 * 216] + b"x" * 8 + raw[256 + 23 * 216 + 8 :], "samples per record"),
        "bad_date": (raw[:168] + b"32.13.99" + raw[176:], "start date"),
        "bad_duration": (raw[:244] + b"0       " + raw[252:], "record duration"),
        "edf_plus_d": (raw[:192] + b"EDF+D".ljust(44) + raw[236:], "EDF+D"),
    }
    out = {}
    for name, (content, message) in cases.items():
        path = tmp_path / f"{name}.edf"
        path.write_bytes(content)
        out[name] = (path, message)
    return out


def test_bad_files_give_one_line_edf_errors(tmp_path):
    for name, (path, message) in _bad_files(tmp_path).items():
        for fn in (read_header, read_recording):
            with pytest.raises(EDFError) as err:
                fn(path)
            _one_line(err, f"{name}.edf", message)
    with pytest.raises(EDFError) as err:
        read_header(tmp_path / "does_not_exist.edf")
    _one_line(err, "does_not_exist.edf")


def test_no_whole_record(tmp_path):
    path, _ = _chbmit_file(tmp_path / "z.edf", 1)
    with path.open("r+b") as fh:
        fh.truncate(256 * 24 + 10)
    with pytest.warns(EDFWarning):
        with pytest.raises(EDFError) as err:
            read_recording(path)
    _one_line(err, "z.edf", "no whole data record")


def test_millivolt_file_is_scaled_to_microvolt(tmp_path):
    digital = _digital(2, 2)
    path = write_edf(tmp_path / "mv.edf", digital, labels=["FP1-F7", "F7-T7"], sfreq=SFREQ, start=START,
                     physical_min=-0.8, physical_max=0.8, physical_dimension="mV")  # fmt: skip
    data = read_recording(path, channels=["FP1-F7", "F7-T7"])
    _, ref = _mne_uv(path)
    np.testing.assert_allclose(data, ref, atol=LSB_UV)
    assert read_header(path).physical_dimension == ("mV", "mV")


@pytest.mark.parametrize(("start_s", "stop_s"), [(None, None), (0.3, 9.7), (2, 3.5)])
def test_threaded_path_equals_single_thread(tmp_path, monkeypatch, start_s, stop_s):
    import seizurepred.io.edf as edf

    path, _ = _chbmit_file(tmp_path / "thr.edf", 10)
    header = read_header(path)
    single = read_recording(path, start_s=start_s, stop_s=stop_s, header=header)
    monkeypatch.setattr(edf, "_THREADED_VALUES", 1)
    monkeypatch.setattr(edf, "_CHUNK_VALUES", 256 * 23)
    threaded = read_recording(path, start_s=start_s, stop_s=stop_s, header=header)
    np.testing.assert_array_equal(threaded, single)
    _, ref = _mne_uv(path)
    a = round((start_s or 0) * SFREQ)
    np.testing.assert_allclose(threaded, ref[:, a : a + threaded.shape[1]], atol=LSB_UV)


@pytest.mark.parametrize(("sfreq", "record_s"), [(200, 2), (100, 1), (512, 1)])
def test_other_rates_and_record_durations_equal_mne(tmp_path, sfreq, record_s):
    rng = np.random.default_rng(sfreq)
    labels = ["CZ-PZ", "FZ-CZ", "ECG"]
    digital = rng.integers(-2048, 2048, size=(3, 6 * sfreq)).astype(np.int16)
    path = write_edf(
        tmp_path / "r.edf", digital, labels=labels, sfreq=sfreq, start=START, record_duration_s=record_s
    )
    h = read_header(path)
    assert (h.sfreq, h.record_duration_s, h.n_samples) == (sfreq, record_s, 6 * sfreq)
    _, ref = _mne_uv(path)
    np.testing.assert_allclose(read_recording(path, channels=["FZ-CZ", "CZ-PZ"]), ref[[1, 0]], atol=LSB_UV)
    part = read_recording(path, channels=["FZ-CZ"], start_s=1.5, stop_s=4.25)
    np.testing.assert_allclose(part[0], ref[1, round(1.5 * sfreq) : round(4.25 * sfreq)], atol=LSB_UV)


def test_edfio_written_file_equals_edfio(tmp_path):
    edfio = pytest.importorskip("edfio")
    rng = np.random.default_rng(2)
    signals = [
        edfio.EdfSignal(rng.normal(0, 150, 10 * SFREQ), sampling_frequency=SFREQ, label=lab, physical_dimension="uV",
                        physical_range=(-800, 800), digital_range=(-2048, 2047))
        for lab in ("FP1-F7", "F7-T7", "T8-P8", "T8-P8")
    ]  # fmt: skip
    path = tmp_path / "edfio.edf"
    edfio.Edf(signals).write(path)
    ref = np.array([s.data for s in edfio.read_edf(path).signals])
    data = read_recording(path, channels=["T8-P8", "FP1-F7", "F7-T7", "T8-P8"])
    np.testing.assert_allclose(data, ref[[2, 0, 1, 2]], atol=LSB_UV)
    assert read_header(path).start_datetime == datetime(1985, 1, 1)


def _read_sum(path, queue):
    queue.put(float(read_recording(path).astype(np.float64).sum()))


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_threaded_read_works_in_a_forked_child(tmp_path, monkeypatch):
    """The thread pool made in the parent does not exist in a forked child: the child must make its own."""
    import multiprocessing

    import seizurepred.io.edf as edf

    monkeypatch.setattr(edf, "_THREADED_VALUES", 1)
    monkeypatch.setattr(edf, "_CHUNK_VALUES", 256 * 23)
    path, _ = _chbmit_file(tmp_path / "fork.edf", 8)
    expected = float(read_recording(path).astype(np.float64).sum())  # creates the pool in the parent
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_read_sum, args=(path, queue))
    child.start()
    try:
        assert queue.get(timeout=30) == expected
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()


def test_wrong_header_bytes_field_warns_and_uses_the_spec_value(tmp_path):
    path, _ = _chbmit_file(tmp_path / "hb.edf", 2)
    full = read_recording(path)
    _patch(path, 184, "9999")
    with pytest.warns(EDFWarning, match="9999 header bytes"):
        np.testing.assert_array_equal(read_recording(path), full)


def test_nul_padded_fields(tmp_path):
    path, _ = _chbmit_file(tmp_path / "nul.edf", 2)
    full = read_recording(path)
    with path.open("r+b") as fh:
        fh.seek(N_RECORDS_AT)
        fh.write(b"2\0\0\0\0\0\0\0")
        fh.seek(256)
        fh.write(b"FP1-F7\0\0\0\0\0\0\0\0\0\0")
    assert read_header(path).labels[0] == "FP1-F7"
    np.testing.assert_array_equal(read_recording(path), full)
