"""seizurepred.reporting.figures_forecast: reliability.png (a panel per length, counts per bin) and sen_tiw.png
(a curve per length, the chance diagonal), from plain per-length data; synthetic data says so in the title."""

from __future__ import annotations

import numpy as np
import pytest

from seizurepred.evaluation.forecast_scores import reliability_bins, sen_tiw_curve
from seizurepred.reporting.figures import SYNTHETIC_TEXT
from seizurepred.reporting.figures_forecast import (
    plot_reliability,
    plot_sen_tiw,
    reliability_figure,
    sen_tiw_figure,
)

PNG = b"\x89PNG\r\n\x1a\n"
LENGTHS = (15, 30, 60)


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    bins, curves = {}, {}
    for k in LENGTHS:
        f = rng.beta(0.6, 4.0, 300)
        y = (rng.random(300) < f).astype(np.int8)
        bins[k] = reliability_bins(f, y, n_bins=10)
        curves[k] = sen_tiw_curve(f, y)
    return bins, curves


def _main_axes(fig):
    """The panels (twin axes of the bin counts left out)."""
    return [ax for ax in fig.axes if ax.get_xlabel()]


def test_reliability_has_a_panel_per_length_with_counts():
    bins, _ = _data()
    fig = reliability_figure(bins)
    panels = _main_axes(fig)
    assert [ax.get_title() for ax in panels] == [f"preictal {k} min" for k in LENGTHS]
    for ax, k in zip(panels, LENGTHS):
        ok = bins[k].count > 0
        line = next(ln for ln in ax.get_lines() if ln.get_label() == "bins")
        np.testing.assert_allclose(line.get_xdata(), bins[k].mean_forecast[ok])
        np.testing.assert_allclose(line.get_ydata(), bins[k].observed[ok])
        labels = sorted(int(t.get_text()) for t in ax.texts)
        assert labels == sorted(bins[k].count[ok].tolist())  # the count of every non-empty bin is written
    bars = [ax for ax in fig.axes if ax not in panels]
    assert len(bars) == len(LENGTHS)
    assert [round(p.get_height()) for p in bars[0].patches] == bins[15].count.tolist()
    assert SYNTHETIC_TEXT not in fig._suptitle.get_text()


def test_sen_tiw_has_a_curve_per_length_and_the_diagonal():
    _, curves = _data()
    fig = sen_tiw_figure(curves, synthetic=True)
    (ax,) = fig.axes
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert labels[0].startswith("chance") and len(labels) == 1 + len(LENGTHS)
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [0, 1])
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [0, 1])
    for ln, k in zip(ax.get_lines()[1:], LENGTHS):
        assert ln.get_label() == f"{k} min (AUC {curves[k].auc:.2f})"
        np.testing.assert_allclose(ln.get_xdata(), curves[k].time_in_warning)
    assert SYNTHETIC_TEXT in fig._suptitle.get_text()


def test_plain_mappings_are_accepted():
    bins, curves = _data(1)
    plain_bins = {k: {"edges": b.edges, "mean_forecast": b.mean_forecast, "observed": b.observed,
                      "count": b.count} for k, b in bins.items()}  # fmt: skip
    plain_curves = {
        k: {"time_in_warning": c.time_in_warning, "sensitivity": c.sensitivity} for k, c in curves.items()
    }
    assert len(_main_axes(reliability_figure(plain_bins))) == 3
    labels = [ln.get_label() for ln in sen_tiw_figure(plain_curves).axes[0].get_lines()]
    assert labels[1:] == [f"{k} min" for k in LENGTHS]  # no AUC given: none shown


def test_empty_inputs():
    assert reliability_figure({}) is None and sen_tiw_figure({}) is None
    empty = {"edges": np.linspace(0, 1, 11), "mean_forecast": np.full(10, np.nan),
             "observed": np.full(10, np.nan), "count": np.zeros(10)}  # fmt: skip
    fig = reliability_figure({30: empty})
    assert any("no forecasts" in t.get_text() for t in fig.axes[0].texts)
    fig = sen_tiw_figure({30: {"time_in_warning": [0.0, 1.0], "sensitivity": [np.nan, np.nan]}})
    assert any("no seizure" in t.get_text() for t in fig.axes[0].texts)


@pytest.mark.parametrize("synthetic", [True, False])
def test_plots_write_deterministic_pngs(tmp_path, synthetic):
    bins, curves = _data()
    for plot, data, name in (
        (plot_reliability, bins, "reliability.png"),
        (plot_sen_tiw, curves, "sen_tiw.png"),
    ):
        a = plot(data, tmp_path / name, synthetic=synthetic)
        first = a.read_bytes()
        assert first.startswith(PNG)
        plot(data, tmp_path / name, synthetic=synthetic)
        assert a.read_bytes() == first  # no timestamp: the same figure gives the same bytes
    assert plot_reliability({}, tmp_path / "none.png") is None
    assert not (tmp_path / "none.png").exists()
