"""CIOPR on constructed outputs with known answers (docs/method.md section 4)."""

from __future__ import annotations

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
    """Slow SPC: the first 3-block run reaching the level (sustained: staying there), anchored at its centre or start."""
    y = probs.reshape(-1, 96).mean(axis=1)  # 600 min = 75 full blocks, earliest first
    m = np.array([y[j : j + 3].mean() for j in range(y.size - 2)])
    ok = m >= level * m.max()
    if sustained:
        j = next(j for j in range(m.size) if ok[j:].all())
    else:
        j = next(j for j in range(m.size) if ok[j])
    return 600.0 - 8.0 * j - (12.0 if centre else 0.0), float(np.mean(np.abs(1 - y[j:])))


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
