"""experiments/eligibility.py: the committed report is current, and --check notices a stale one."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from seizurepred.io.manifest import Manifest, Recording, Seizure
from seizurepred.labels.segments import LabelConfig, label_segments

SCRIPT = Path(__file__).resolve().parents[2] / "experiments" / "eligibility.py"


@pytest.fixture(scope="module")
def elig():
    spec = importlib.util.spec_from_file_location("experiments_eligibility", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    if len(module.known_cases()) < 24:
        pytest.skip("committed manifests (data_manifests/) not present")
    return module


def test_committed_report_is_current(elig):
    assert elig.OUTPUT.read_text(encoding="utf-8") == elig.build(), "run: python experiments/eligibility.py"


def test_check_flags_stale_file(elig, tmp_path, capsys):
    out = tmp_path / "eligibility.md"
    out.write_text("stale\n")
    assert elig.main(["--check", "--output", str(out)]) == 1
    assert elig.main(["--output", str(out)]) == 0
    assert elig.main(["--check", "--output", str(out)]) == 0


def test_paper_exclusions_and_known_facts(elig):
    rows = {r.case: r for r in (elig.case_row(elig.load_manifest(c)) for c in ("chb01", "chb12", "chb24"))}
    assert rows["chb01"].eligible_60 and rows["chb01"].agree and rows["chb01"].n_seizures == 7
    assert not rows["chb12"].eligible_60 and rows["chb12"].interictal_h == 0.0
    assert not rows["chb24"].eligible_60 and "unknown times" in rows["chb24"].reason


def test_restrict_keeps_protection_from_other_files(elig):
    m = 60.0
    recs = (
        Recording("a.edf", 0.0, 600 * m, ("X",), (Seizure(300 * m, 301 * m),)),
        Recording("b.edf", 700 * m, 1300 * m, ("Y",), (Seizure(10 * m, 11 * m),)),
    )
    seg = label_segments(Manifest("chbxx", 256.0, recs), config=LabelConfig(min_seizures=1))
    only_a = elig.restrict(seg, {0})
    # b's seizure (clock 710 min) still excludes [470, 771] from a: a keeps [0, 60] + [361, 470]
    assert only_a.usable == 1 and only_a.preictal_h == pytest.approx(1.0)
    assert only_a.interictal_h == pytest.approx((60 + 109) / 60)
    only_b = elig.restrict(seg, {1})
    assert only_b.interictal_h == pytest.approx(529 / 60) and only_b.preictal_h == pytest.approx(10 / 60)
    assert seg.interictal_hours == pytest.approx(only_a.interictal_h + only_b.interictal_h)
    assert elig.most_data_montage(Manifest("chbxx", 256.0, recs)) == {0}
