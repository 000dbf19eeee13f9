"""The PhysioNet layout and the BIDS release layout of the same synthetic patient give the same sweep tables."""

from __future__ import annotations

import filecmp

import pytest

from seizurepred.cache.patient import prepare_patient
from seizurepred.io.bids import write_bids_patient
from seizurepred.reporting import run_sweep, write_sweep
from seizurepred.sweep import SweepConfig
from seizurepred.synth import generate_patient
from seizurepred.synth.demo import SHORT_RECORD_LABELS, short_synth_config
from seizurepred.training import TrainConfig

CONFIG = SweepConfig(
    preictal_mins=(30,),
    model="small",
    max_train_windows=300,
    n_surrogates=10,
    label=SHORT_RECORD_LABELS,
    train=TrainConfig(max_epochs=1, patience=1, seed=0, device="cpu", num_threads=1),
)


@pytest.mark.slow
def test_bids_and_physionet_layouts_give_identical_tables(tmp_path):
    generate_patient(tmp_path / "physionet", config=short_synth_config())
    write_bids_patient(tmp_path / "physionet", "chb01", tmp_path / "bids", how="hardlink")
    written = {}
    for layout in ("physionet", "bids"):
        patient = prepare_patient(
            "chb01", data_root=tmp_path / layout, cache_dir=tmp_path / f"cache-{layout}", layout=layout
        )
        assert len(patient.available) == len(patient.manifest)
        result = run_sweep(patient, config=CONFIG, out_dir=tmp_path / f"run-{layout}")
        written[layout] = write_sweep(result, tmp_path / f"run-{layout}")
    names = [n for n in written["physionet"] if n.endswith(".csv") and n != "timings.csv"]
    assert {"segments.csv", "pooled.csv", "ciopr.csv", "events.csv", "opp_evidence.csv"} <= set(names)
    for name in names:
        assert filecmp.cmp(written["physionet"][name], written["bids"][name], shallow=False), name
