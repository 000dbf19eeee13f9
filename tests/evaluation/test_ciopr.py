"""CIOPR on constructed outputs with known answers (docs/method.md section 4)."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
from scipy.special import expit

from seizurepred.errors import ConfigError
from seizurepred.evaluation.ciopr import CioprOptions, choose_opp, ciopr_compare, ciopr_terms
from seizurepred.evaluation.ciopr_fit import block_average
from seizurepred.evaluation.continuous import ContinuousOutput
from seizurepred.evaluation.metrics import UndefinedMetricWarning

W_MIN = 5.0 / 60.0
LN19 = math.log(19.0)


def _times(record_min=600.0):
    """Window starts in minutes before onset, earliest first; the last window ends at onset."""
    n = int(round(record_min / W_MIN))
    return np.arange(n, 0, -1) * W_MIN


def _centres(t):
    return t - W_MIN / 2


def _output(probs, t):
    return ContinuousOutput(
        seizure_id=3, times_min_before_onset=t, probs=probs, record_hours=t[0] / 60, window_s=5.0
    )


def _step(at_min, t):
    return (_centres(t) < at_min).astype(float)


def _reference_spc(probs, level=0.99, *, sustained=True, centre=True):
    """Slow SPC: the first 3-block run reaching the level (sustained: staying there), anchored at its centre or
    start; SPC_err over [0, SPC] minutes before onset (centre: the run's middle block counts half, its first not)."""
    y = probs.reshape(-1, 96).mean(axis=1)  # 600 min = 75 full blocks, earliest first
    m = np.array([y[j : j + 3].mean() for j in range(y.size - 2)])
    ok = m >= level * m.max()
    if sustained:
        j = next(j for j in range(m.size) if ok[j:].all())
    else:
        j = next(j for j in range(m.size) if ok[j])
    if not centre:
        return 600.0 - 8.0 * j, float(np.mean(np.abs(1 - y[j:])))
    err = np.abs(1 - y[j + 1 :])
    weights = np.r_[0.5, np.ones(err.size - 1)]
    return 600.0 - 8.0 * j - 12.0, float(np.sum(weights * err) / weights.sum())


def test_block_average_matches_reshape_and_drops_partial_leading_block():
    rng = np.random.default_rng(0)
    t = _times(605.0)  # 5 min partial block at the start
    p = rng.random(t.size)
    b = block_average(t, p, window_s=5.0)
    np.testing.assert_allclose(b.y, p[60:].reshape(-1, 96).mean(axis=1))
    assert b.start_min[0] == 600.0 and b.center_min[-1] == 4.0 and b.y.size == 75


def test_clean_sigmoid_rising_90_min_before_onset():
    t = _times()
    b_true = 0.1  # per minute
    p = expit(-b_true * (_centres(t) - 90.0))
    terms = ciopr_terms(_output(p, t), options=CioprOptions(output="probability"))
    assert terms.fit_ok and terms.seizure_id == 3
    assert terms.infl_min == pytest.approx(90.0, abs=1.0)
    assert terms.b < 0  # rises towards onset
    assert terms.tp_min == pytest.approx(2 * LN19 / b_true, rel=0.02)
    assert terms.nd_min == pytest.approx(600.0 - (90.0 + LN19 / b_true), abs=2.0)
    spc, spc_err = _reference_spc(p)
    assert terms.spc_min == spc
    assert terms.spc_err == pytest.approx(spc_err)
    assert terms.spc_eff == pytest.approx(spc * (1 - spc_err))
    start = ciopr_terms(_output(p, t), options=CioprOptions(output="probability", spc_anchor="run_start"))
    spc, spc_err = _reference_spc(p, centre=False)
    assert start.spc_min == spc and start.spc_err == pytest.approx(spc_err)
    assert terms.rho > 0.999


def test_rounded_step_gives_spc_as_constructed():
    t = _times()
    p = 0.2 + 0.6 * _step(96.0, t)  # probabilities 0.2 / 0.8, rounded at 0.5 to 0 / 1
    terms = ciopr_terms(_output(p, t))
    assert terms.spc_min == 84.0 and terms.spc_err == 0.0 and terms.spc_eff == 84.0  # centre of 96-72 min
    start = ciopr_terms(_output(p, t), options=CioprOptions(spc_anchor="run_start"))
    assert start.spc_min == 96.0 and start.spc_eff == 96.0
    assert terms.infl_min == pytest.approx(96.0, abs=4.0)
    assert terms.tp_min == pytest.approx(8.0, rel=1e-3)  # a step: the shortest resolvable transition
    assert terms.nd_err == pytest.approx(0.0, abs=1e-12)
    assert terms.nd_min == pytest.approx(600.0 - terms.tp_start_min)
    raw = ciopr_terms(_output(p, t), options=CioprOptions(output="probability"))
    assert raw.spc_min == 84.0 and raw.spc_err == pytest.approx(0.2)


def test_spc_can_be_shorter_than_24_min_as_the_paper_reports():
    """The paper reports SPC down to 16.7 min; a run-start anchor cannot go below 3 blocks (24 min) [R]."""
    t = _times()
    p = _step(16.0, t)  # converges in the last two blocks only
    assert ciopr_terms(_output(p, t)).spc_min == 12.0
    assert ciopr_terms(_output(p, t), options=CioprOptions(spc_anchor="run_start")).spc_min == 24.0


def test_flat_output_is_nan_with_warning():
    t = _times()
    with pytest.warns(UndefinedMetricWarning, match="flat"):
        terms = ciopr_terms(_output(np.full(t.size, 0.3), t), options=CioprOptions(output="probability"))
    assert not terms.fit_ok
    assert math.isnan(terms.infl_min) and math.isnan(terms.tp_min) and math.isnan(terms.nd_eff)
    assert terms.spc_min == 588.0  # SPC comes from the output, not the fit (flat: converged from the start)
    with pytest.warns(UndefinedMetricWarning) as record:
        rounded = ciopr_terms(_output(np.full(t.size, 0.3), t))  # rounds to all zeros
    assert any("never positive" in str(w.message) for w in record)
    assert math.isnan(rounded.spc_min) and math.isnan(rounded.infl_min)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        good = ciopr_terms(_output(_step(96.0, t), t))
    res = ciopr_compare({60: good, 30: terms})
    assert res[60].ciopr == 1.0 and math.isnan(res[30].ciopr) and math.isnan(res[30].ciopc)


def _r1_reference(terms):
    infl0 = min(t.infl_min for t in terms.values())
    comp = {k: (t.infl_min - infl0) * (1 - t.nd_err) for k, t in terms.items()}
    eta = min(1.0, min(t.spc_eff for t in terms.values()) / max(t.nd_eff + comp[k] for k, t in terms.items()))
    ciopc = {k: t.spc_eff + eta * (t.nd_eff + comp[k]) for k, t in terms.items()}
    return {k: v / max(ciopc.values()) for k, v in ciopc.items()}, eta


def test_faster_converging_output_gets_ciopr_one():
    t = _times()
    terms = {60: ciopr_terms(_output(_step(120.0, t), t)), 45: ciopr_terms(_output(_step(64.0, t), t))}
    terms[15] = ciopr_terms(_output(_step(32.0, t), t))
    res = ciopr_compare(terms)
    assert res[60].ciopr == 1.0
    assert 0 < res[15].ciopr < res[45].ciopr < 1.0
    ref, eta = _r1_reference(terms)
    for k in terms:
        assert res[k].ciopr == pytest.approx(ref[k])
        assert res[k].eta == pytest.approx(eta)
    assert res[15].infl_comp == 0.0  # the latest transition gets no compensation
    none = ciopr_compare(terms, options=CioprOptions(reconstruction="none"))
    for k, t_k in terms.items():
        assert none[k].eta == 1.0 and none[k].infl_comp == 0.0
        assert none[k].ciopc == pytest.approx(t_k.spc_eff + t_k.nd_eff)


def test_noisy_outputs_rank_by_convergence():
    rng = np.random.default_rng(3)
    t = _times()
    noisy = {
        k: np.clip(_step(at, t) * 0.9 + rng.normal(0, 0.15, t.size), 0, 1) for k, at in ((60, 150), (30, 40))
    }
    res = ciopr_compare({k: ciopr_terms(_output(p, t)) for k, p in noisy.items()})
    assert res[60].ciopr == 1.0 and res[30].ciopr < 1.0


def test_spc_modes_first_crossing_and_sustained():
    t = _times()
    c = _centres(t)
    p = (_step(64.0, t) + ((c < 424) & (c >= 400))).clip(0, 1)  # a 24 min burst 400 min before onset
    first = ciopr_terms(_output(p, t), options=CioprOptions(spc_mode="first_crossing", spc_anchor="run_start"))
    sustained = ciopr_terms(_output(p, t), options=CioprOptions(spc_anchor="run_start"))
    assert first.spc_min == 424.0 and sustained.spc_min == 64.0  # the default reading is the sustained one
    assert first.spc_err > 0 and sustained.spc_err == 0.0


def test_tuple_input_infers_window_length():
    t = _times()
    p = _step(96.0, t)
    a = ciopr_terms((t, p))
    b = ciopr_terms(_output(p, t))
    assert a.spc_min == b.spc_min and a.n_blocks == b.n_blocks == 75 and a.seizure_id == -1


def test_choose_opp():
    assert choose_opp({60: [0.9, 1.0], 45: [1.0, 1.0], 30: [np.nan]}, {60: 0.99, 45: 0.9}) == (45, "CIOPR")
    assert choose_opp({60: [1.0], 45: [1.0]}, {}) == (45, "CIOPR")  # tie -> shorter (the paper's chb21 footnote)
    assert choose_opp({}, {60: 0.9, 30: 0.9}) == (30, "F1")
    assert choose_opp({60: [], 45: [np.nan]}, {60: 0.95, 45: 0.97, 30: np.nan}) == (45, "F1")
    with pytest.warns(UndefinedMetricWarning):
        assert choose_opp({}, {60: np.nan}) == (None, "none")


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"output": "soft"}, "output"),
        ({"spc_mode": "x"}, "spc_mode"),
        ({"spc_anchor": "middle"}, "spc_anchor"),
        ({"reconstruction": "r2"}, "reconstruction"),
    ],
)
def test_options_are_validated(kwargs, name):
    with pytest.raises(ConfigError, match=name):
        CioprOptions(**kwargs)


@pytest.mark.parametrize("seed", range(6))
def test_random_outputs_never_crash(seed):
    rng = np.random.default_rng(seed)
    t = _times(float(rng.choice([20.0, 150.0, 600.0])))
    p = np.clip(np.cumsum(rng.normal(0, 0.05, t.size)) + rng.random(), 0, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        terms = {k: ciopr_terms(_output(np.roll(p, 500 * i), t)) for i, k in enumerate((60, 45, 30))}
        res = ciopr_compare(terms)
    finite = [r.ciopr for r in res.values() if math.isfinite(r.ciopr)]
    assert all(0.0 <= v <= 1.0 for v in finite)
    assert not finite or max(finite) == 1.0


@pytest.mark.parametrize("seed", range(4))
def test_fit_is_as_good_as_curve_fit_started_at_the_truth(seed):
    from scipy.optimize import curve_fit

    from seizurepred.evaluation.ciopr_fit import fit_logistic4, logistic4

    rng = np.random.default_rng(seed)
    x = np.arange(75)[::-1] * 8.0 + 4.0
    truth = (0.8, -float(rng.uniform(0.02, 0.3)), float(rng.uniform(30, 400)), 0.1)
    y = logistic4(x, *truth) + rng.normal(0, 0.05, x.size)
    fit = fit_logistic4(x, y)
    ref, _ = curve_fit(logistic4, x, y, p0=truth, maxfev=10000)
    sse = np.sum((logistic4(x, fit.a, fit.b, fit.c, fit.d) - y) ** 2)
    assert sse <= np.sum((logistic4(x, *ref) - y) ** 2) + 1e-9
    assert fit.rho == pytest.approx(np.corrcoef(y, logistic4(x, fit.a, fit.b, fit.c, fit.d))[0, 1])


# ------------------------------------------------------------------ review of issue 19 (deliverable 8)
def test_transition_bound_is_one_block_and_inactive_above_it():
    """[R] TP >= 8 min: block-level transitions longer than a block are fitted exactly (the bound never binds);
    a step, which has no least-squares optimum without it, gets TP = 8 min and Infl at its edge."""
    from seizurepred.evaluation.ciopr_fit import fit_logistic4, logistic4

    x = np.arange(75)[::-1] * 8.0 + 4.0
    for tp in (12.0, 16.0, 24.0):
        fit = fit_logistic4(x, logistic4(x, 1.0, -2 * LN19 / tp, 150.0, 0.0))
        assert 2 * LN19 / abs(fit.b) == pytest.approx(tp, rel=1e-6) and fit.c == pytest.approx(150.0, abs=1e-4)
    step = (x < 96.0).astype(float)  # jumps between the block centres 100 and 92
    fit = fit_logistic4(x, step)
    assert 2 * LN19 / abs(fit.b) == pytest.approx(8.0) and fit.c == pytest.approx(96.0, abs=0.1)
    # without a bound, every inflection point between the two centres fits the step equally (Infl undefined)
    sse = [np.sum((logistic4(x, 1.0, -1e3, c, 0.0) - step) ** 2) for c in (92.5, 96.0, 99.5)]
    assert max(sse) < 1e-12


def test_falling_output_is_no_transition():
    """An output that falls towards onset does not converge to preictal: no transition (NaN terms, warned),
    whereas its mirror image rises and is fitted; before the fix the fall was fitted with b > 0."""
    t = _times()
    fall = expit(0.1 * (_centres(t) - 90.0))  # preictal-like far from onset, interictal-like near it
    opts = CioprOptions(output="probability")
    rise = ciopr_terms(_output(1.0 - fall, t), options=opts)
    with pytest.warns(UndefinedMetricWarning) as record:
        falling = ciopr_terms(_output(fall, t), options=opts)
    assert any("no transition" in str(w.message) for w in record)
    assert rise.fit_ok and rise.b < 0 and rise.infl_min == pytest.approx(90.0, abs=0.5)
    assert not falling.fit_ok and "rise towards onset" in falling.reason
    assert math.isnan(falling.infl_min) and math.isnan(falling.nd_eff) and math.isnan(falling.tp_min)
    assert falling.spc_min == 0.0  # the output is not converged at onset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        res = ciopr_compare({60: falling, 30: rise})
        rng = np.random.default_rng(7)
        for _ in range(3):  # noisy falls, rounded: never a transition
            noisy = np.clip(fall + rng.normal(0, 0.2, t.size), 0, 1)
            assert not ciopr_terms(_output(noisy, t)).fit_ok
    assert math.isnan(res[60].ciopr) and res[30].ciopr == 1.0


def test_spc_err_is_taken_over_the_minutes_of_spc():
    """SPC_eff = converged minutes from SPC to onset under either anchor: with the centre anchor the run's first
    block lies before SPC and is not counted, its middle block counts half."""
    t = _times()
    c = _centres(t)
    p = np.select([c >= 96, c >= 88, c >= 72], [0.0, 0.98, 1.0], 0.5)  # blocks: 0 .. | 0.98 | 1 | 1 | 0.5 x 9
    opts = CioprOptions(output="probability", spc_mode="first_crossing")
    centre = ciopr_terms(_output(p, t), options=opts)
    assert centre.spc_min == 84.0  # the run 96-72 min reaches 0.99 first; its centre
    assert centre.spc_eff == pytest.approx(4.0 + 8.0 + 72 * 0.5)  # output integrated over 84-0 min = 48
    assert centre.spc_err == pytest.approx(1 - 48.0 / 84.0)  # (before: the whole run from 96 min, 0.3767)
    start = ciopr_terms(_output(p, t), options=dataclasses.replace(opts, spc_anchor="run_start"))
    assert start.spc_min == 96.0 and start.spc_eff == pytest.approx(8 * 0.98 + 16.0 + 36.0)


def _fold(k, sid, probs, *, record_min=600.0, label=None):
    from _factories import make_fold

    from seizurepred.sweep.fold_result import FoldResult

    t = _times(record_min)
    cont = ContinuousOutput(sid, t, probs, record_min / 60.0, 5.0)
    y = np.array([1, 0, 1, 0], dtype=np.int8)
    fold = make_fold(k, sid, label=label)
    return FoldResult(fold=fold, y_true=y, y_score=y.astype(np.float32), continuous=cont)


def _flip_outputs(edge_60=80.0, edge_15=56.0):
    """60 min: 0.5 output before its step at 80 min (ND_err 0.5); 15 min: clean step at 56 min."""
    t = _times()
    half = (np.arange(t.size) % 2).astype(float)
    return {60: np.where(_centres(t) < edge_60, 1.0, half), 15: _step(edge_15, t)}


def test_robustness_table_crosses_the_spc_anchor():
    """The anchor is a reading of the paper: with r1, CIOPC_60 - CIOPC_15 = (S_60 - S_15) - S_15 ND_err_60
    = 24 - 56/2 < 0 at the run start, but 24 - 44/2 > 0 at the run centre: the OPP changes with it."""
    import itertools

    from seizurepred.sweep.ciopr_table import CIOPR_READINGS, ciopr_rows, paper_opp, reading_variants

    assert CIOPR_READINGS["spc_anchor"] == ("run_centre", "run_start")
    folds = [_fold(k, sid, p) for sid in (0, 1) for k, p in _flip_outputs().items()]
    pooled = [{"preictal_min": 60, "f1": 0.9}, {"preictal_min": 15, "f1": 0.9}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        used = ciopr_rows("chb97", folds, CioprOptions())
        table = reading_variants("chb97", folds, CioprOptions(), pooled, used)
        by = {(r["preictal_min"], r["seizure_id"]): r["ciopr"] for r in used}
        assert by[(15, 0)] == pytest.approx(88.0 / 90.0) and by[(60, 0)] == 1.0  # centre: 68 + 44/2 vs 44 + 44
        start = ciopr_rows("chb97", folds, CioprOptions(spc_anchor="run_start"))
        by = {(r["preictal_min"], r["seizure_id"]): r["ciopr"] for r in start}
        assert by[(60, 0)] == pytest.approx(108.0 / 112.0) and by[(15, 0)] == 1.0  # start: 80 + 56/2 vs 56 + 56
        assert len(table) == 16 == len(list(itertools.product(*CIOPR_READINGS.values())))
        cell = {(v["output"], v["spc_mode"], v["spc_anchor"], v["reconstruction"]): v for v in table}
        assert cell[("rounded", "sustained", "run_centre", "koutsouvelis_r1")]["opp_min"] == 60
        assert cell[("rounded", "sustained", "run_centre", "koutsouvelis_r1")]["used"]
        assert cell[("rounded", "sustained", "run_start", "koutsouvelis_r1")]["opp_min"] == 15
        for v in table:  # rereading SPC from the fitted blocks equals computing the reading from scratch
            opts = CioprOptions(**{name: v[name] for name in CIOPR_READINGS})
            assert (v["opp_min"], v["criterion"]) == paper_opp(ciopr_rows("chb97", folds, opts), pooled)


def _two_seizure_manifest(gap_min):
    """Seizure 0 ends at 61 min; seizure 1 starts ``gap_min`` later (one 10-h recording)."""
    from seizurepred.io.manifest import Manifest, Recording, Seizure

    onset_1 = (61.0 + gap_min) * 60.0
    seizures = (Seizure(3600.0, 3660.0), Seizure(onset_1, onset_1 + 30.0))
    rec = Recording("chb97_01.edf", 0.0, 36000.0, ("FP1-F7",), seizures)
    return Manifest(case="chb97", sfreq=256.0, recordings=(rec,))


def test_ciopr_input_leaves_out_the_postictal_hour():
    """The record starts at the previous seizure's end; its first hour (postictal, here the model fires) is no
    CIOPR input: the ND region then holds only interictal-like output, and the input must still exceed 2.5 h."""
    from seizurepred.sweep.ciopr_table import ciopr_input, ciopr_rows

    t = _times(240.0)
    probs = ((_centres(t) > 180.0) | (_centres(t) < 40.0)).astype(float)  # postictal firing, then a step at 40
    fold = _fold(60, 1, probs, record_min=240.0)
    trimmed = ciopr_input(fold, _two_seizure_manifest(240.0))
    assert trimmed.record_hours == 3.0 and trimmed.times_min_before_onset.max() <= 180.0
    assert trimmed.probs.size == 180 * 12 and not trimmed.probs[trimmed.times_min_before_onset > 40.0].any()
    assert ciopr_input(fold).record_hours == 4.0  # no manifest: no previous seizure known
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        (row,) = ciopr_rows("chb97", [fold], CioprOptions(), manifest=_two_seizure_manifest(240.0))
        (raw,) = ciopr_rows("chb97", [fold], CioprOptions())
    assert row["record_hours"] == 3.0 and row["n_blocks"] == 22 and row["nd_err"] == 0.0
    assert raw["n_blocks"] == 30 and raw["nd_err"] > 0.2  # the postictal firing counted as interictal error
    label = dataclasses.replace(fold.fold.label, interictal_after_end_min=80.0)  # the longer exclusion rules
    longer = ciopr_input(_fold(60, 1, probs, record_min=240.0, label=label), _two_seizure_manifest(240.0))
    assert longer.record_hours == pytest.approx(160.0 / 60.0) and longer.times_min_before_onset.max() <= 160.0
    # 3 h after the previous seizure: 2 h remain, below 2.5 h: not eligible
    short = _fold(60, 1, probs[t <= 180.0], record_min=180.0)
    assert ciopr_input(short) is not None and ciopr_input(short, _two_seizure_manifest(180.0)) is None


def test_paper_opp_compares_lengths_on_the_same_seizures():
    """Seizure 0 has a CIOPR under every length and 60 is best there; seizure 1 has none at 15 min, where 30
    wins. Averaged per length over different seizures, 15 (one seizure, 0.9) would beat 60 and 30; on the common
    set {seizure 0} 60 wins, and the pooled table names that set."""
    from seizurepred.sweep.aggregate import _pooled_rows
    from seizurepred.sweep.ciopr_table import ciopr_means, common_ciopr_set, paper_opp
    from seizurepred.sweep.config import SweepConfig

    values = {(60, 0): 1.0, (30, 0): 0.7, (15, 0): 0.9, (60, 1): 0.6, (30, 1): 1.0, (15, 1): math.nan}
    rows = [
        {"preictal_min": k, "seizure_id": s, "repeat": 0, "ciopr": v, "spc_min": 30.0}
        for (k, s), v in values.items()
    ]
    assert common_ciopr_set(rows) == ((15, 30, 60), ((0, 0),))
    assert ciopr_means(rows) == {60: 1.0, 30: 0.7, 15: 0.9}
    pooled = [{"preictal_min": k, "f1": 0.9} for k in (60, 30, 15)]
    assert paper_opp(rows, pooled) == (60, "CIOPR")
    per_length = {k: [v for (kk, _), v in values.items() if kk == k] for k in (60, 30, 15)}
    assert choose_opp(per_length, {}) == (15, "CIOPR")  # each length over its own seizures: the bias
    folds = [_fold(k, s, np.zeros(10), record_min=10.0) for k in (60, 30, 15) for s in (0, 1)]
    table = _pooled_rows("chb97", folds, rows, SweepConfig(preictal_mins=(60, 30, 15)))
    assert [(r["ciopr_mean"], r["n_ciopr_seizures"], r["ciopr_common_set"]) for r in table] == [
        (1.0, 1, "sz000_r0"), (0.7, 1, "sz000_r0"), (0.9, 1, "sz000_r0")
    ]
    # a length with no finite CIOPR is not compared (NaN, 0 seizures) and does not empty the common set
    rows += [{"preictal_min": 45, "seizure_id": s, "repeat": 0, "ciopr": math.nan, "spc_min": 30.0}
             for s in (0, 1)]
    assert common_ciopr_set(rows) == ((15, 30, 60), ((0, 0),)) and math.isnan(ciopr_means(rows)[45])
    folds += [_fold(45, s, np.zeros(10), record_min=10.0) for s in (0, 1)]
    table = _pooled_rows("chb97", folds, rows, SweepConfig(preictal_mins=(60, 45, 30, 15)))
    assert [r["n_ciopr_seizures"] for r in table] == [1, 0, 1, 1] and table[1]["ciopr_common_set"] == ""
    assert math.isnan(table[1]["ciopr_mean"]) and paper_opp(rows, pooled) == (60, "CIOPR")
    # disjoint sets: no common seizure, so no CIOPR comparison: the F1 fallback
    disjoint = [r for r in rows if (r["preictal_min"], r["seizure_id"]) != (60, 0)]
    assert common_ciopr_set(disjoint)[1] == () and paper_opp(disjoint, pooled) == (15, "F1")
