"""Labelling on hand-built timelines with known answers, config validation and a property test."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seizurepred.config import config_from_dict, config_hash
from seizurepred.errors import ConfigError, ManifestError
from seizurepred.io.manifest import Manifest, Recording, Seizure
from seizurepred.labels.report import unguarded_interictal_hours
from seizurepred.labels.segments import LabelConfig, Segments, label_segments

H = 3600.0
M = 60.0


def rec(
    name: str, start_min: float | None, stop_min: float | None, *seizures_min: tuple[float, float]
) -> Recording:
    """A recording from clock minutes; seizures in minutes from the start of the file."""
    return Recording(
        file_name=f"{name}.edf",
        start_clock_s=None if start_min is None else start_min * M,
        end_clock_s=None if stop_min is None else stop_min * M,
        channels=("FP1-F7",),
        seizures=tuple(Seizure(a * M, b * M) for a, b in seizures_min),
    )


def manifest(*recs: Recording) -> Manifest:
    return Manifest(case="chbxx", sfreq=256.0, recordings=tuple(recs))


def spans(intervals, *, clock: bool = True) -> list[tuple[float, float]]:
    """Intervals as (start, stop) in minutes (clock or file-relative)."""
    if clock:
        return [(iv.start_clock_s / M, iv.stop_clock_s / M) for iv in intervals]
    return [(iv.start_s / M, iv.stop_s / M) for iv in intervals]


def pre_of(seg: Segments, sid: int):
    return [iv for iv in seg.preictal if iv.seizure_id == sid]


# ------------------------------------------------------------------------------------------- config
def test_defaults_are_the_papers():
    cfg = LabelConfig()
    assert (cfg.preictal_min, cfg.sph_min, cfg.interictal_before_onset_min, cfg.interictal_after_end_min) == (
        60.0,
        0.0,
        240.0,
        60.0,
    )
    assert (cfg.postictal_exclusion_min, cfg.min_preictal_min, cfg.min_seizures) == (60.0, 1.0, 2)
    assert cfg.leading_seizure_min is None and cfg.leading_seizure_rule == "drop"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"preictal_min": -5}, "preictal_min"),
        ({"preictal_min": 0}, "preictal_min"),
        ({"sph_min": -1}, "sph_min"),
        ({"interictal_after_end_min": -1}, "interictal_after_end_min"),
        ({"postictal_exclusion_min": float("nan")}, "postictal_exclusion_min"),
        ({"preictal_min": 200, "sph_min": 60}, "preictal_min"),
        ({"preictal_min": 300}, "preictal_min"),
        ({"min_seizures": 0}, "min_seizures"),
        ({"min_seizures": 1.5}, "min_seizures"),
        ({"min_preictal_min": 61}, "min_preictal_min"),
        ({"leading_seizure_min": -30}, "leading_seizure_min"),
        ({"leading_seizure_rule": "keep"}, "leading_seizure_rule"),
        ({"preictal_min": "60"}, "preictal_min"),
    ],
)
def test_nonsense_config_names_the_parameter(kwargs, name):
    with pytest.raises(ConfigError, match=f"Invalid value for '{name}'") as info:
        LabelConfig(**kwargs)
    assert "\n" not in str(info.value)


def test_config_from_toml_dict_and_hash_stable():
    cfg = config_from_dict(LabelConfig, {"preictal_min": 30, "sph_min": 5, "leading_seizure_min": 30})
    assert cfg == LabelConfig(preictal_min=30.0, sph_min=5.0, leading_seizure_min=30.0)
    assert isinstance(cfg.preictal_min, float) and isinstance(cfg.min_seizures, int)
    assert config_hash(cfg) == config_hash(
        LabelConfig(preictal_min=30.0, sph_min=5.0, leading_seizure_min=30.0)
    )
    with pytest.raises(ConfigError, match="unknown key 'sop_min'"):
        config_from_dict(LabelConfig, {"sop_min": 30}, source="sweep.toml [label]")


def test_preictal_equal_to_interictal_distance_is_allowed():
    LabelConfig(preictal_min=200, sph_min=40, interictal_before_onset_min=240)


# ------------------------------------------------------------------------------------------- timelines
def test_two_isolated_seizures_exact_intervals():
    # file a: 0-10 h, seizure at 5 h (1 min); file b: 20-30 h, seizure at 25 h (1 min)
    m = manifest(rec("a", 0, 600, (300, 301)), rec("b", 1200, 1800, (300, 301)))
    seg = label_segments(m, config=LabelConfig())
    assert spans(pre_of(seg, 0)) == [(240, 300)]
    assert spans(pre_of(seg, 1)) == [(1440, 1500)]
    assert spans(pre_of(seg, 1), clock=False) == [(240, 300)]
    assert [iv.recording_index for iv in seg.preictal] == [0, 1]
    assert spans(seg.interictal) == [(0, 60), (361, 600), (1200, 1260), (1561, 1800)]
    assert seg.interictal_hours == pytest.approx((60 + 239 + 60 + 239) / 60)
    assert all(s.usable and s.coverage == 1.0 and s.reason == "" for s in seg.seizures)
    assert seg.eligible and seg.usable_seizure_ids == (0, 1)
    assert seg.reason.startswith("eligible")


def test_first_seizure_20_min_into_the_record():
    m = manifest(rec("a", 0, 60, (20, 21)), rec("b", 600, 1200, (300, 301)))
    seg = label_segments(m, config=LabelConfig())
    s0 = seg.seizures[0]
    assert s0.usable and s0.preictal_available_s == pytest.approx(20 * M)
    assert s0.coverage == pytest.approx(1 / 3)
    assert spans(pre_of(seg, 0)) == [(0, 20)]
    assert any("seizure 0: 20.0 of 60 min" in n and "before the start of the record" in n for n in seg.notes)


def test_gap_inside_preictal_period_splits_by_file():
    # a: 0-270 min; b: 280-360 min with a seizure at 300 min clock (20 min into b)
    m = manifest(rec("a", 0, 270), rec("b", 280, 360, (20, 21)))
    seg = label_segments(m, config=LabelConfig(min_seizures=1))
    assert spans(seg.preictal) == [(240, 270), (280, 300)]
    assert spans(seg.preictal, clock=False) == [(240, 270), (0, 20)]
    assert [iv.recording_index for iv in seg.preictal] == [0, 1]
    assert seg.seizures[0].coverage == pytest.approx(50 / 60)
    assert any("10.0 min fall in gaps between files" in n for n in seg.notes)
    assert spans(seg.interictal) == [(0, 60)]


def test_seizures_30_min_apart_second_has_no_preictal():
    m = manifest(rec("a", 0, 600, (300, 301), (331, 332)))
    seg = label_segments(m, config=LabelConfig(min_seizures=1))
    s1 = seg.seizures[1]
    assert not s1.usable and s1.preictal_available_s == 0.0
    assert "0.0 min of preictal data" in s1.reason and "postictal_exclusion_min" in s1.reason
    assert pre_of(seg, 1) == []
    # both seizures protect interictal data
    assert spans(seg.interictal) == [(0, 60), (392, 600)]
    # without the postictal exclusion the second seizure's preictal is what follows the first seizure
    seg0 = label_segments(m, config=LabelConfig(postictal_exclusion_min=0))
    assert spans(pre_of(seg0, 1)) == [(301, 331)]
    assert spans(pre_of(seg0, 0)) == [(240, 300)]


def test_postictal_exclusion_truncates_preictal():
    # s0 ends at 301; s1 at 400: window [340, 400] minus data before 301 + 60 = 361
    m = manifest(rec("a", 0, 600, (300, 301), (400, 401)))
    seg = label_segments(m, config=LabelConfig())
    assert spans(pre_of(seg, 1)) == [(361, 400)]
    assert seg.seizures[1].coverage == pytest.approx(39 / 60)
    seg2 = label_segments(m, config=LabelConfig(postictal_exclusion_min=20))
    assert spans(pre_of(seg2, 1)) == [(340, 400)]


def test_seizure_cluster_and_leading_rule():
    m = manifest(rec("a", 0, 900, (300, 301), (310, 311), (320, 321), (800, 801)))
    plain = label_segments(m, config=LabelConfig())
    assert plain.usable_seizure_ids == (0, 3)
    assert all("postictal_exclusion_min" in plain.seizures[i].reason for i in (1, 2))
    drop = label_segments(m, config=LabelConfig(leading_seizure_min=30))
    assert drop.usable_seizure_ids == (0, 3)
    assert drop.seizures[1].reason.startswith("not a leading seizure: starts 9.0 min after seizure 0")
    assert drop.seizures[2].reason.startswith("not a leading seizure: starts 9.0 min after seizure 1")
    merge = label_segments(m, config=LabelConfig(leading_seizure_min=30, leading_seizure_rule="merge"))
    assert merge.seizures[2].reason.startswith("merged into the cluster led by seizure 0")
    assert merge.preictal == drop.preictal == plain.preictal
    # cluster members still protect interictal data: the last one ends at 321
    assert spans(drop.interictal) == [(0, 60), (381, 560), (861, 900)]
    assert drop.interictal == plain.interictal


def test_leading_rule_without_postictal_exclusion():
    m = manifest(rec("a", 0, 900, (300, 301), (320, 321)))
    cfg = LabelConfig(postictal_exclusion_min=0, min_seizures=1)
    assert label_segments(m, config=cfg).usable_seizure_ids == (0, 1)
    led = label_segments(
        m, config=LabelConfig(postictal_exclusion_min=0, min_seizures=1, leading_seizure_min=30)
    )
    assert led.usable_seizure_ids == (0,)
    assert pre_of(led, 1) == []


def test_sph_shifts_the_preictal_period():
    m = manifest(rec("a", 0, 600, (300, 301)))
    seg = label_segments(m, config=LabelConfig(preictal_min=30, sph_min=5, min_seizures=1))
    assert spans(seg.preictal) == [(265, 295)]
    assert seg.seizures[0].preictal_requested_s == 30 * M


def test_too_little_preictal_drops_seizure_and_patient():
    # seizure 30 s into the record: < 1 min preictal
    m = manifest(rec("a", 0, 60, (0.5, 1)), rec("b", 600, 1200, (300, 301)))
    seg = label_segments(m, config=LabelConfig())
    s0 = seg.seizures[0]
    assert not s0.usable and "only 0.5 min of preictal data (< min_preictal_min = 1)" in s0.reason
    assert not seg.eligible and "1 usable seizure(s) (< min_seizures = 2)" in seg.reason
    assert label_segments(m, config=LabelConfig(min_seizures=1)).eligible


def test_no_interictal_data_not_eligible():
    m = manifest(rec("a", 0, 300, (100, 101), (250, 251)))
    seg = label_segments(m, config=LabelConfig(postictal_exclusion_min=0, interictal_after_end_min=60))
    assert seg.interictal == () and not seg.eligible and "no interictal data" in seg.reason


def test_unknown_times_are_ignored_and_reported():
    m = manifest(
        rec("a", 0, 600, (300, 301)),
        rec("x", None, None, (10, 11)),
        rec("b", 1200, 1800, (300, 301)),
    )
    seg = label_segments(m, config=LabelConfig())
    unknown = [s for s in seg.seizures if s.onset_clock_s is None]
    assert (
        len(unknown) == 1 and not unknown[0].usable and "x.edf has unknown clock times" in unknown[0].reason
    )
    assert unknown[0].recording_index == 1
    assert any("x.edf" in n and "cannot be placed" in n for n in seg.notes)
    assert all(iv.recording_index != 1 for iv in seg.preictal + seg.interictal)
    assert seg.usable_seizure_ids == (0, 1) and seg.eligible


def test_unguarded_interictal_near_record_end_and_long_gaps():
    # a: 0-600 with a seizure at 300; b: 610-700 (10 min gap); c: 1000-1100 (300 min gap > 240)
    m = manifest(rec("a", 0, 600, (300, 301)), rec("b", 610, 700), rec("c", 1000, 1100))
    seg = label_segments(m, config=LabelConfig(min_seizures=1))
    assert spans(seg.interictal) == [(0, 60), (361, 600), (610, 700), (1000, 1100)]
    # unguarded: within 240 min before 700 (gap of 300 min follows) -> [460, 600] + [610, 700]; before 1100 -> all of c
    assert unguarded_interictal_hours(seg, m) == pytest.approx((140 + 90 + 100) / 60)
    assert unguarded_interictal_hours(seg, manifest(rec("a", 0, 600, (300, 301)))) == pytest.approx(239 / 60)


def test_overlapping_recordings_are_labelled_once():
    m = manifest(rec("a", 0, 120), rec("b", 100, 200))
    seg = label_segments(m, config=LabelConfig(min_seizures=1))
    assert spans(seg.interictal) == [(0, 120), (120, 200)]
    assert spans(seg.interictal, clock=False) == [(0, 120), (20, 100)]
    assert any("b.edf overlaps an earlier recording by 1200 s" in n for n in seg.notes)


def test_bad_seizure_times_raise_manifest_error():
    m = manifest(rec("a", 0, 600, (300, 200)))
    with pytest.raises(ManifestError, match="a.edf: seizure ends at 12000 s, before its onset 18000 s"):
        label_segments(m, config=LabelConfig())


def test_label_segments_does_not_mutate_and_is_pure():
    m = manifest(rec("a", 0, 600, (300, 301)), rec("b", 1200, 1800, (300, 301)))
    before = m.to_json()
    assert label_segments(m, config=LabelConfig()) == label_segments(m, config=LabelConfig())
    assert m.to_json() == before


# ------------------------------------------------------------------------------------------- property test
def _reference(m: Manifest, cfg: LabelConfig) -> tuple[dict[int, float], set[int], float]:
    """Slow minute-by-minute labelling: preictal minutes per seizure, usable ids, interictal minutes."""
    events = [(e.seizure_id, e.onset_clock_s / M, e.offset_clock_s / M) for e in m.seizures]
    minutes = {int(t) for r in m.recordings for t in range(int(r.start_clock_s / M), int(r.end_clock_s / M))}
    pre: dict[int, float] = {}
    for sid, on, _ in events:
        earlier = [off for j, o, off in events if j != sid and o <= on]
        lo = max(
            [on - cfg.sph_min - cfg.preictal_min] + [off + cfg.postictal_exclusion_min for off in earlier]
        )
        hi = on - cfg.sph_min
        pre[sid] = float(sum(1 for t in minutes if t >= lo and t + 1 <= hi))
    usable = {sid for sid, v in pre.items() if v >= cfg.min_preictal_min}
    inter = sum(
        1
        for t in minutes
        if all(
            t + 1 <= on - cfg.interictal_before_onset_min or t >= off + cfg.interictal_after_end_min
            for _, on, off in events
        )
    )
    return pre, usable, float(inter)


@st.composite
def timelines(draw):
    n_files = draw(st.integers(1, 5))
    recs, clock = [], 0
    for i in range(n_files):
        clock += draw(st.integers(0, 300))
        length = draw(st.integers(1, 400))
        szs, t = [], 0
        for _ in range(draw(st.integers(0, 3))):
            t += draw(st.integers(0, 200))
            dur = draw(st.integers(1, 5))
            if t + dur > length:
                break
            szs.append((t, t + dur))
            t += dur
        recs.append(rec(f"f{i}", clock, clock + length, *szs))
        clock += length
    cfg = LabelConfig(
        preictal_min=draw(st.sampled_from([15, 30, 60])),
        sph_min=draw(st.sampled_from([0, 5])),
        interictal_before_onset_min=draw(st.sampled_from([70, 240])),
        interictal_after_end_min=draw(st.sampled_from([0, 60])),
        postictal_exclusion_min=draw(st.sampled_from([0, 30, 60])),
        min_preictal_min=draw(st.sampled_from([1, 10])),
        min_seizures=1,
    )
    return manifest(*recs), cfg


@settings(max_examples=150, deadline=None)
@given(timelines())
def test_property_never_both_labels_and_matches_reference(case):
    m, cfg = case
    seg = label_segments(m, config=cfg)
    pre, usable, inter_min = _reference(m, cfg)
    assert set(seg.usable_seizure_ids) == usable
    for s in seg.seizures:
        assert s.preictal_available_s / M == pytest.approx(pre[s.seizure_id])
        assert s.usable == (s.reason == "")
    assert seg.interictal_hours * 60 == pytest.approx(inter_min)
    # no clock time is both preictal and interictal, nor preictal of two seizures
    labelled = sorted((iv.start_clock_s, iv.stop_clock_s) for iv in seg.preictal + seg.interictal)
    for (_, b), (c, _) in zip(labelled, labelled[1:]):
        assert c >= b - 1e-6
    for iv in seg.preictal + seg.interictal:
        r = m.recordings[iv.recording_index]
        assert 0 <= iv.start_s < iv.stop_s <= r.duration_s + 1e-6
        assert iv.start_clock_s == pytest.approx(r.start_clock_s + iv.start_s)
