"""Figures on the patient clock (hours): the recordings with their gaps, the labels per length, the alarms.

:func:`alarm_marks` is the pure part of the alarm figure: every alarm of the held-out records under
``result.config.alarms``, raised on the per-stretch timelines exactly as the event tables raise them
(:mod:`seizurepred.sweep.events`), and classified as they count them (correct, false, or neither: an alarm that
is not correct and lies in the excluded time around a seizure). Conventions of the ``*_figure`` / ``plot_*``
pairs: :mod:`seizurepred.reporting.figures`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from seizurepred.evaluation.alarms import correct_alarms, firing_power, raise_alarms
from seizurepred.labels.segments import label_segments
from seizurepred.reporting.figures import new_figure, save_figure, set_title
from seizurepred.sweep.events import _timeline

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["alarm_marks", "alarms_figure", "labels_figure", "plot_alarms", "recordings_figure"]

_H = 3600.0
_KIND_STYLE = {
    "correct": {"marker": "^", "color": "C2", "label": "correct alarm"},
    "false": {"marker": "x", "color": "C3", "label": "false alarm"},
    "neither": {"marker": "|", "color": "0.4", "label": "alarm near a seizure (not counted)"},
}


def _draw_recordings(ax, manifest) -> int:
    """Recordings as bars (gaps between them stay white), seizures as red lines; returns how many had no times."""
    spans = [(r.start_clock_s / _H, (r.end_clock_s - r.start_clock_s) / _H) for r in manifest if r.has_times]
    ax.broken_barh(spans, (0.2, 0.6), facecolors="0.55", edgecolors="white", linewidth=0.5)
    for ev in manifest.seizures:
        if ev.onset_clock_s is not None:
            ax.axvline(ev.onset_clock_s / _H, color="C3", lw=1.2)
            ax.text(ev.onset_clock_s / _H, 1.0, f"{ev.seizure_id}", transform=ax.get_xaxis_transform(),
                    fontsize=7, color="C3", ha="center", va="bottom")  # fmt: skip
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    return sum(1 for r in manifest if not r.has_times)


def _clock_span(manifest) -> tuple[float, float]:
    timed = [r for r in manifest if r.has_times]
    if not timed:
        return 0.0, 1.0
    return min(r.start_clock_s for r in timed) / _H, max(r.end_clock_s for r in timed) / _H


def _untimed_note(ax, n: int) -> None:
    if n:
        ax.text(1.0, 1.02, f"{n} recording(s) without clock times not shown", transform=ax.transAxes, ha="right",
                va="bottom", fontsize=7, color="0.3")  # fmt: skip


def recordings_figure(manifest, *, synthetic: bool = False) -> Figure:
    """The patient's recordings on the patient clock (bars; gaps visible) with the seizures marked (red, id).

    Parameters
    ----------
    manifest : Manifest
        The patient; recordings without clock times are left out (the figure says how many).
    synthetic : bool
        Say "synthetic data" in the title.
    """
    fig = new_figure(11.0, 1.9)
    ax = fig.subplots()
    _untimed_note(ax, _draw_recordings(ax, manifest))
    ax.set_xlim(*_clock_span(manifest))
    ax.set_xlabel("patient clock, hours", fontsize=8)
    ax.tick_params(labelsize=7)
    title = f"{manifest.case}: {len(manifest)} recordings, {manifest.total_hours:.1f} h, {manifest.n_seizures} seizures"
    set_title(fig, title, synthetic=synthetic)
    return fig


def labels_figure(manifest, label_configs: Sequence, *, synthetic: bool = False) -> Figure:
    """Preictal (red) and interictal (blue) intervals of each label config on the patient clock.

    Parameters
    ----------
    manifest : Manifest
    label_configs : sequence of LabelConfig
        One row each (e.g. ``[config.label_for(k) for k in config.preictal_mins]``).
    synthetic : bool
        Say "synthetic data" in the title.
    """
    fig = new_figure(11.0, 1.2 + 0.7 * (len(label_configs) + 1))
    axes = fig.subplots(len(label_configs) + 1, 1, sharex=True, squeeze=False)[:, 0]
    _untimed_note(axes[0], _draw_recordings(axes[0], manifest))
    axes[0].set_ylabel("recorded", fontsize=8, rotation=0, ha="right", va="center")
    for ax, cfg in zip(axes[1:], label_configs):
        seg = label_segments(manifest, config=cfg)
        for intervals, color in ((seg.interictal, "C0"), (seg.preictal, "C3")):
            spans = [(iv.start_clock_s / _H, iv.duration_s / _H) for iv in intervals]
            ax.broken_barh(spans, (0.2, 0.6), facecolors=color)
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        ax.set_ylabel(f"{cfg.preictal_min:g} min", fontsize=8, rotation=0, ha="right", va="center")
        if not seg.eligible:
            ax.text(0.005, 0.97, seg.reason, transform=ax.transAxes, fontsize=7, va="top", color="C3")
    from matplotlib.patches import Patch

    handles = [Patch(color="C3", label="preictal"), Patch(color="C0", label="interictal")]
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=8)
    axes[-1].set_xlim(*_clock_span(manifest))
    axes[-1].set_xlabel("patient clock, hours", fontsize=8)
    for ax in axes:
        ax.tick_params(labelsize=7)
    set_title(fig, f"{manifest.case}: labels per preictal length", synthetic=synthetic)
    return fig


# -------------------------------------------------------------------------------------------------- alarms
def _held_out(result, manifest) -> list[tuple[Any, Any]]:
    """``(fold, seizure event)`` of every first-repeat fold with an output and a seizure on the clock."""
    events = {ev.seizure_id: ev for ev in manifest.seizures}
    out = []
    for f in result.folds:
        ev = events.get(f.seizure_id)
        if not f.ok or f.repeat != 0 or f.continuous is None or f.continuous.probs.size == 0:
            continue
        if ev is not None and ev.onset_clock_s is not None:
            out.append((f, ev))
    return out


def alarm_marks(result, manifest) -> list[dict[str, Any]]:
    """Every alarm on the held-out records of the first repeat, as the event tables count them.

    Parameters
    ----------
    result : SweepResult
        ``config.alarms`` gives the alarm rule, SOP and SPH.
    manifest : Manifest
        The seizures' clock times.

    Returns
    -------
    list of dict
        One row per alarm: ``preictal_min``, ``seizure_id`` (the held-out seizure whose record holds it),
        ``clock_s`` and ``kind`` (``"correct"``, ``"false"`` or ``"neither"``), in (length, seizure, time) order.
    """
    cfg = result.config.alarms
    rows = []
    for f, ev in sorted(_held_out(result, manifest), key=lambda p: (-p[0].preictal_min, p[0].seizure_id)):
        onset = float(ev.onset_clock_s)
        offset = float(ev.offset_clock_s) + cfg.postictal_min * 60.0
        alarms = raise_alarms(_timeline(f, onset), config=cfg)
        correct = correct_alarms(alarms, np.array([onset]), sop_min=cfg.sop_min, sph_min=cfg.sph_min)
        near = (alarms >= onset - cfg.refractory_s) & (alarms <= offset)
        for t, ok, n in zip(alarms, correct, near):
            kind = "correct" if ok else ("neither" if n else "false")
            rows.append(
                {
                    "preictal_min": f.preictal_min,
                    "seizure_id": f.seizure_id,
                    "clock_s": float(t),
                    "kind": kind,
                }
            )
    return rows


def _alarm_row(ax, folds, marks, cfg) -> None:
    """Firing power of one length's held-out records, the threshold, SOP windows, alarms by kind."""
    for f, ev in folds:
        onset = float(ev.onset_clock_s)
        for clock, probs in _timeline(f, onset):
            fp = firing_power(probs, n_windows=cfg.n_windows, output_threshold=cfg.output_threshold)
            ax.plot(clock / _H, fp, color="C0", lw=0.6)
        ax.axvspan(
            (onset - cfg.refractory_s) / _H, (onset - cfg.sph_min * 60.0) / _H, color="C2", alpha=0.15, lw=0
        )
        ax.axvline(onset / _H, color="C3", lw=1.0)
    ax.axhline(cfg.k_required / cfg.n_windows, color="0.3", ls="--", lw=0.8)
    for kind, style in _KIND_STYLE.items():
        t = np.array([m["clock_s"] for m in marks if m["kind"] == kind]) / _H
        if t.size:
            ax.plot(t, np.full(t.size, 1.1), ls="none", ms=6, gid=f"alarm-{kind}", **style)
    ax.set_ylim(-0.05, 1.22)


def alarms_figure(result, manifest, *, synthetic: bool = False) -> Figure | None:
    """Alarm timeline over the patient's whole recording (patient clock, hours).

    Top row: the recordings (gaps visible) and seizures. One row per preictal length (first repeat): the firing
    power of each held-out seizure's record under its fold's model (every recorded stretch; gaps break the
    line), the alarm threshold (dashed), the SOP window of each held-out seizure (green) and the alarms raised
    under ``result.config.alarms``: correct (green triangle), false (red cross), or near a seizure and not
    counted (grey bar).

    Parameters
    ----------
    result : SweepResult
        The aggregated sweep; ``config.alarms`` gives the alarm rule.
    manifest : Manifest
        The patient the sweep ran on (recordings and seizures on the clock).
    synthetic : bool
        Say "synthetic data" in the title.

    Returns
    -------
    matplotlib.figure.Figure or None
        ``None`` when no fold of the first repeat has an output over a seizure placed on the clock.
    """
    held = _held_out(result, manifest)
    if not held:
        return None
    cfg = result.config.alarms
    lengths = sorted({f.preictal_min for f, _ in held}, reverse=True)
    marks = alarm_marks(result, manifest)
    from matplotlib.lines import Line2D

    fig = new_figure(11.0, 1.6 + 1.5 * len(lengths))
    axes = fig.subplots(len(lengths) + 1, 1, sharex=True, height_ratios=[0.6] + [1.0] * len(lengths))
    _untimed_note(axes[0], _draw_recordings(axes[0], manifest))
    axes[0].set_ylabel("recorded", fontsize=8)
    for ax, k in zip(axes[1:], lengths):
        mine = [m for m in marks if m["preictal_min"] == k]
        _alarm_row(ax, [p for p in held if p[0].preictal_min == k], mine, cfg)
        n_sz = sum(1 for f, _ in held if f.preictal_min == k)
        n_pred = len({m["seizure_id"] for m in mine if m["kind"] == "correct"})
        n_false = sum(1 for m in mine if m["kind"] == "false")
        ax.set_ylabel(f"{k} min\nfiring power", fontsize=8)
        ax.set_title(f"{k} min: {n_pred} of {n_sz} held-out seizures predicted, {n_false} false alarm(s)",
                     fontsize=8, loc="left")  # fmt: skip
    handles = [Line2D([], [], ls="none", ms=6, **s) for s in _KIND_STYLE.values()]
    fig.legend(
        handles, [s["label"] for s in _KIND_STYLE.values()], loc="outside lower center", ncol=3, fontsize=8
    )
    axes[-1].set_xlim(*_clock_span(manifest))
    axes[-1].set_xlabel("patient clock, hours", fontsize=8)
    for ax in axes:
        ax.tick_params(labelsize=7)
    rule = f"{cfg.k_required} of {cfg.n_windows} outputs >= {cfg.output_threshold:g}"
    title = f"{result.case}: alarms on the held-out records (SOP {cfg.sop_min:g} min, SPH {cfg.sph_min:g} min, {rule})"
    set_title(fig, title, synthetic=synthetic)
    return fig


def plot_alarms(result, manifest, path: str | Path, *, synthetic: bool = False) -> Path | None:
    """Write :func:`alarms_figure` to ``path``; ``None`` (nothing written) without a manifest or an output."""
    if manifest is None:
        return None
    fig = alarms_figure(result, manifest, synthetic=synthetic)
    return None if fig is None else save_figure(fig, path)
