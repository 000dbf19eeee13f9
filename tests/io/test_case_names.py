"""Case names are bare names: check_case_name refuses paths before load_manifest / load_patient open anything."""

from __future__ import annotations

import json

import pytest

from seizurepred.errors import ConfigError, ManifestError
from seizurepred.io.manifest import check_case_name, load_manifest
from seizurepred.io.summary import load_patient

REAL = [f"chb{i:02d}" for i in range(1, 25)] + ["chb17a_03", "chb17b_63", "chb17c_13", "chb02_16+"]
BAD = ["", "..", "../x", "../../../x", "/x", "chb01/..", "a/b", "a\\b", "chb01.json", "chb 01", "chb01\n",
       "-rf", "+x", "chb01\x00", "ché01", "x" * 65]  # fmt: skip


@pytest.mark.parametrize("name", REAL)
def test_real_names_pass_unchanged(name):
    assert check_case_name(name) == name


@pytest.mark.parametrize("name", BAD)
def test_bad_names_are_refused_with_the_house_grammar(name):
    with pytest.raises(ConfigError) as err:
        check_case_name(name)
    msg = str(err.value)
    assert msg.startswith("Invalid value for 'patient': allowed a case name of 1-64 letters, digits")
    assert msg.endswith(f"; got {name!r}.")


def test_source_names_the_parameter():
    with pytest.raises(ConfigError, match=r"^Invalid value for 'case': .*; got '\.\./x'\.$"):
        check_case_name("../x", source="case")
    with pytest.raises(ConfigError, match="got 7"):
        check_case_name(7)  # type: ignore[arg-type]


def test_load_manifest_refuses_a_path_that_would_escape_the_manifests_folder(tmp_path, monkeypatch):
    """Was: `labels -p ../../../x` loaded /x.json from anywhere."""
    manifests = tmp_path / "a" / "b" / "manifests"
    manifests.mkdir(parents=True)
    outside = tmp_path / "x.json"
    real = json.loads(load_manifest("chb01").to_json())
    outside.write_text(json.dumps(real))
    monkeypatch.setenv("SEIZUREPRED_MANIFESTS", str(manifests))
    assert (manifests / "../../../x.json").resolve() == outside.resolve()
    with pytest.raises(ConfigError, match=r"Invalid value for 'case': .*; got '\.\./\.\./\.\./x'\."):
        load_manifest("../../../x")


def test_load_patient_refuses_a_path(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "evil-summary.txt").write_text("not read")
    with pytest.raises(ConfigError, match=r"got '\.\./evil'\."):
        load_patient(tmp_path / "data", "../evil")


def test_load_patient_accepts_a_name_with_plus(tmp_path):
    """'+' is allowed (chb02_16+); the refusal is about paths, not the characters real names use."""
    with pytest.raises(ManifestError, match=r"chb02\+-summary.txt: no such summary file"):
        load_patient(tmp_path, "chb02+")
