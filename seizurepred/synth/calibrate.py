"""Measure what the signature strengths mean (the calibration table of :mod:`seizurepred.synth.signatures`).

``python benchmarks/synth_calibration.py`` generates the monopolar signal of a few patients in memory (no files;
the background of each file once), adds each kind's signature at each strength, cuts 5-s windows and compares

* **at onset vs without**: the windows of the last :data:`ONSET_MIN` minutes before each onset with the
  signature against the *same* windows without it (same background, so the ratio is the signature's own
  effect): band power ratio, coherence before -> after, electrode power change;
* **per window**: the area under the ROC curve of one feature (band power or coherence) between the last-5-min
  windows and interictal windows (more than :data:`INTERICTAL_BEFORE_S` before and :data:`INTERICTAL_AFTER_S`
  after every seizure), per patient.

Features, on the 21 distinct bipolar channels of the 23 (the duplicate ``T8-P8`` and ``P7-T7`` left out) or on
the monopolar electrodes: ``power``: band power (Hann periodogram) averaged over the kind's signature channels;
``coherence``: magnitude-squared coherence (1-s Hann segments, half overlap) averaged over the band's bins and
every pair of those channels. Kinds ``focal``/``diffuse`` use ``power``; ``synchrony`` reports monopolar
coherence and electrode power (the generator's definition) and bipolar power and coherence (what a model sees).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np

from seizurepred.evaluation.metrics import roc_auc
from seizurepred.synth.background import StateTimeline, add_artefacts, background, build_timeline
from seizurepred.synth.config import SFREQ, SynthConfig
from seizurepred.synth.generator import add_file_signature, file_base_uv, plan_truth
from seizurepred.synth.head import ELECTRODES, PAPER_23, derivation_matrix
from seizurepred.synth.signatures import (
    SIGNATURE_BANDS_HZ,
    add_signature,
    hemisphere,
    signature_channels,
    signature_ramp,
)

WINDOW_S = 5
ONSET_MIN = 5.0
INTERICTAL_BEFORE_S = 3600.0
INTERICTAL_AFTER_S = 1800.0
#: The 21 distinct bipolar channels of the 23 (``P7-T7`` is ``-(T7-P7)``, ``T8-P8`` appears twice).
DISTINCT_BIPOLAR: tuple[str, ...] = tuple(lab for lab in PAPER_23[:22] if lab != "P7-T7")
_SEG = SFREQ  # coherence segments: 1 s


def windows(x: np.ndarray) -> np.ndarray:
    """Non-overlapping 5-s windows, mean removed: (n_chans, n_samples) -> (n_windows, n_chans, 5 * SFREQ)."""
    w = WINDOW_S * SFREQ
    n = x.shape[1] // w
    out = x[:, : n * w].reshape(x.shape[0], n, w).transpose(1, 0, 2).astype(np.float64)
    return out - out.mean(axis=-1, keepdims=True)


def band_power(x: np.ndarray, band_hz: tuple[float, float]) -> np.ndarray:
    """Band power per window and channel (µV², Hann periodogram summed over the band), shape (n_win, n_ch)."""
    freqs = np.fft.rfftfreq(x.shape[-1], 1.0 / SFREQ)
    keep = (freqs >= band_hz[0]) & (freqs <= band_hz[1])
    taper = np.hanning(x.shape[-1])
    spec = np.fft.rfft(x * taper, axis=-1)[..., keep]
    return (np.abs(spec) ** 2).sum(axis=-1) * 2.0 / (SFREQ * (taper**2).sum())


def band_coherence(x: np.ndarray, band_hz: tuple[float, float]) -> np.ndarray:
    """Mean magnitude-squared coherence over channel pairs and band bins per window, shape (n_win,).

    Parameters
    ----------
    x : ndarray of shape (n_win, n_ch, n_times)
        Windows (``n_ch >= 2``); 1-s Hann segments with half overlap.
    band_hz : tuple of float
        (low, high) Hz.
    """
    starts = np.arange(0, x.shape[-1] - _SEG + 1, _SEG // 2)
    segs = np.stack([x[..., s : s + _SEG] for s in starts], axis=2) * np.hanning(_SEG)
    freqs = np.fft.rfftfreq(_SEG, 1.0 / SFREQ)
    spec = np.fft.rfft(segs, axis=-1)[..., (freqs >= band_hz[0]) & (freqs <= band_hz[1])]
    cross = np.einsum("wisf,wjsf->wijf", spec, spec.conj()) / len(starts)  # (n_win, n_ch, n_ch, n_bins)
    auto = np.real(np.einsum("wiif->wif", cross))
    msc = np.abs(cross) ** 2 / (auto[:, :, None, :] * auto[:, None, :, :])
    iu = np.triu_indices(x.shape[1], k=1)
    return msc[:, iu[0], iu[1], :].mean(axis=(1, 2))


def kind_features(mono: np.ndarray, *, kind: str, focus: str) -> dict[str, np.ndarray]:
    """One value per 5-s window for each of ``kind``'s features.

    Parameters
    ----------
    mono : ndarray of shape (n_electrodes, n_samples)
        Monopolar µV.
    kind : {"focal", "diffuse", "synchrony"}
    focus : str

    Returns
    -------
    dict of str to ndarray of shape (n_windows,)
        ``power`` (focal, diffuse); ``bip_power``, ``bip_coherence``, ``mono_coherence`` and ``mono_power_<E>``
        per hemisphere electrode (synchrony).
    """
    band = SIGNATURE_BANDS_HZ[kind]
    chans = [lab for lab in DISTINCT_BIPOLAR if lab in set(signature_channels(kind, focus))]
    bip = windows(derivation_matrix(tuple(chans)) @ mono)
    if kind != "synchrony":
        return {"power": band_power(bip, band).mean(axis=1)}
    rows = [ELECTRODES.index(e) for e in hemisphere(focus)]
    mono_w = windows(mono[rows])
    out = {
        "bip_power": band_power(bip, band).mean(axis=1),
        "bip_coherence": band_coherence(bip, band),
        "mono_coherence": band_coherence(mono_w, band),
    }
    mono_p = band_power(mono_w, band)
    out.update({f"mono_power_{ELECTRODES[r]}": mono_p[:, i] for i, r in enumerate(rows)})
    return out


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Area under the ROC curve of a score between positive and negative windows (scikit-learn's)."""
    y = np.r_[np.ones(pos.size), np.zeros(neg.size)]
    return roc_auc(y, np.r_[pos, neg])


def _labels(t_clock: np.ndarray, onsets: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pre = np.zeros(t_clock.size, dtype=bool)
    inter = np.ones(t_clock.size, dtype=bool)
    for on, end in zip(onsets, ends):
        pre |= (t_clock >= on - ONSET_MIN * 60.0) & (t_clock + WINDOW_S <= on)
        inter &= ~((t_clock + WINDOW_S > on - INTERICTAL_BEFORE_S) & (t_clock < end + INTERICTAL_AFTER_S))
    return pre, inter


def _calibration_config(seed: int, hours: float, n_seizures: int) -> SynthConfig:
    return SynthConfig(
        hours=hours, n_seizures=n_seizures, preictal_min=30.0, seed=seed, min_first_onset_h=2.0,
        min_onset_spacing_h=2.5, long_gap_prob=0.0, signature_kind="none",
    )  # fmt: skip


def _timeline(truth, seed: int) -> StateTimeline:
    """The patient's state timeline, as :func:`~seizurepred.synth.generator.generate_patient` draws it."""
    t0 = truth.files[0].start_clock_s
    return build_timeline(
        np.random.default_rng(np.random.SeedSequence([seed, 3])),
        t0_clock_s=t0,
        span_s=truth.files[-1].end_clock_s - t0,
        seizure_ends_clock_s=tuple(s.offset_clock_s for s in truth.seizures),
    )


def _patient_features(
    seed: int, *, hours: float, n_seizures: int, kinds: tuple[str, ...], strengths: tuple[float, ...]
) -> dict[tuple[str, float], dict[str, dict[str, np.ndarray]]]:
    """Features of one patient: (kind, strength) -> {"pre", "ref", "inter"} -> feature -> values.

    ``pre``: last-5-min windows with the signature; ``ref``: the same windows without it (strength 0 with the
    synchrony rhythm kept); ``inter``: interictal windows.
    """
    cfg = _calibration_config(seed, hours, n_seizures)
    truth, model = plan_truth(cfg)
    timeline = _timeline(truth, seed)
    onsets = tuple(s.onset_clock_s for s in truth.seizures)
    ends = np.array([s.offset_clock_s for s in truth.seizures])
    acc: dict = {(k, s): {"pre": [], "ref": [], "inter": []} for k in kinds for s in strengths}
    for plan in truth.files:
        t_clock = plan.start_clock_s + WINDOW_S * np.arange(plan.duration_s // WINDOW_S)
        pre, inter = _labels(t_clock, np.array(onsets), ends)
        if not (pre.any() or inter.any()):
            continue
        base = file_base_uv(plan, config=cfg, model=model, timeline=timeline)
        for kind in kinds:
            ref = base.copy()
            if kind == "synchrony":  # the rhythm without synchrony: same stream, zero ramp
                rng = np.random.default_rng(np.random.SeedSequence([seed, 5, plan.index]))
                add_signature(ref, rng, np.zeros(plan.n_samples), kind=kind, focus=model.focus)
            ref_f = kind_features(ref, kind=kind, focus=model.focus)
            for strength in strengths:
                dest = acc[(kind, strength)]
                dest["inter"].append({k: v[inter] for k, v in ref_f.items()})
                if not pre.any():
                    continue
                x = base.copy()
                sig_cfg = dataclasses.replace(cfg, signature_kind=kind, signature_strength=strength)
                add_file_signature(x, plan, config=sig_cfg, focus=model.focus, onsets=onsets)
                got = kind_features(x, kind=kind, focus=model.focus)
                dest["pre"].append({k: v[pre] for k, v in got.items()})
                dest["ref"].append({k: v[pre] for k, v in ref_f.items()})
    return {
        key: {
            part: {f: np.concatenate([d[f] for d in dicts]) for f in dicts[0]}
            for part, dicts in parts.items()
        }
        for key, parts in acc.items()
    }


def paired_effects(pre: dict[str, np.ndarray], ref: dict[str, np.ndarray], *, kind: str) -> dict[str, float]:
    """What the signature does to the same windows: ``pre`` (with it) against ``ref`` (without it)."""
    if kind != "synchrony":
        return {"power_ratio": float(pre["power"].mean() / ref["power"].mean())}
    elec = [k for k in pre if k.startswith("mono_power_")]
    return {
        "mono_coh_before": float(ref["mono_coherence"].mean()),
        "mono_coh_after": float(pre["mono_coherence"].mean()),
        "max_electrode_power_change": max(abs(pre[k].mean() / ref[k].mean() - 1.0) for k in elec),
        "bip_power_ratio": float(pre["bip_power"].mean() / ref["bip_power"].mean()),
        "bip_coh_before": float(ref["bip_coherence"].mean()),
        "bip_coh_after": float(pre["bip_coherence"].mean()),
    }


def window_aucs(pre: dict[str, np.ndarray], inter: dict[str, np.ndarray], *, kind: str) -> dict[str, float]:
    """Per-window AUC of each single feature, last-5-min (``pre``) against interictal (``inter``) windows."""
    if kind != "synchrony":
        return {"auc_power": auc(pre["power"], inter["power"])}
    return {
        "auc_mono_coherence": auc(pre["mono_coherence"], inter["mono_coherence"]),
        "auc_bip_coherence": auc(pre["bip_coherence"], inter["bip_coherence"]),
        "auc_bip_power_drop": auc(-pre["bip_power"], -inter["bip_power"]),
    }


def summarise(feats: dict[str, dict[str, np.ndarray]], *, kind: str) -> dict[str, float]:
    """Effect sizes of one patient, one kind and strength (see the module docstring)."""
    return {
        **paired_effects(feats["pre"], feats["ref"], kind=kind),
        **window_aucs(feats["pre"], feats["inter"], kind=kind),
    }


def onset_effects(seed: int, *, kind: str, strength: float, minutes: float = 5.0) -> dict[str, float]:
    """:func:`paired_effects` over the last ``minutes`` before the first onset of calibration patient ``seed``.

    A fast check of the table (a few minutes of signal instead of whole patients): the background of just
    that stretch (its own noise, the patient's model and state timeline) with and without the signature.
    """
    cfg = _calibration_config(seed, 12.0, 4)
    truth, model = plan_truth(cfg)
    timeline = _timeline(truth, seed)
    onset = truth.seizures[0].onset_clock_s
    n_s = int(minutes * 60)
    start = int(onset) - n_s
    rng = np.random.default_rng(np.random.SeedSequence([seed, 9]))
    base = background(rng, model, timeline, start_clock_s=start, n_samples=n_s * SFREQ)
    add_artefacts(base, rng, 1.0 - timeline.at("sleep", start, n_s * SFREQ))
    ramp = signature_ramp(
        start, n_s * SFREQ, onsets_clock_s=(onset,), preictal_s=cfg.preictal_min * 60.0, strength=strength
    )
    ref, x = base.copy(), base
    if kind == "synchrony":
        add_signature(ref, np.random.default_rng(1), np.zeros(ramp.size), kind=kind, focus=model.focus)
    add_signature(x, np.random.default_rng(1), ramp, kind=kind, focus=model.focus)
    return paired_effects(
        kind_features(x, kind=kind, focus=model.focus),
        kind_features(ref, kind=kind, focus=model.focus),
        kind=kind,
    )


def measure(
    seeds: Iterable[int],
    *,
    hours: float = 12.0,
    n_seizures: int = 4,
    kinds: tuple[str, ...] = ("focal", "diffuse", "synchrony"),
    strengths: tuple[float, ...] = (1.0, 0.5),
) -> list[dict[str, object]]:
    """One row per (seed, kind, strength) with :func:`summarise`'s effect sizes."""
    rows = []
    for seed in seeds:
        focus = plan_truth(_calibration_config(seed, hours, n_seizures))[1].focus
        feats = _patient_features(seed, hours=hours, n_seizures=n_seizures, kinds=kinds, strengths=strengths)
        for (kind, strength), parts in feats.items():
            rows.append(
                {
                    "seed": seed,
                    "focus": focus,
                    "kind": kind,
                    "strength": strength,
                    **summarise(parts, kind=kind),
                }
            )
    return rows
