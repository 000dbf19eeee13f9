"""The OPP selector's null under a reference shared by every fold, and the stretches it may not test (pure).

Every fold of a sweep ranks its held-out seizure's contrast among the *same* reference EEG, so the seizures'
p-values are dependent; :func:`combined_p` combines them with Fisher's statistic under that joint null.
:func:`postictal_spans` gives the stretches before an onset that lie in an earlier seizure or its postictal
exclusion, which no band or stretch before it may touch. See :mod:`seizurepred.evaluation.opp`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["combined_p", "postictal_spans"]


def _shared_null(n_ref: np.ndarray, n_null: int, seed: int) -> np.ndarray:
    """Fisher's statistic under the null when every seizure is ranked among the *same* reference EEG.

    Each draw takes ``max(n_ref)`` calibration uniforms, shared by all seizures (seizure ``i`` uses the first
    ``n_ref[i]``: the folds score the same reference stretches), and one test uniform per seizure; seizure ``i``'s
    p-value is ``(1 + #calibration >= test) / (1 + n_ref[i])``. Sharing the calibration set makes the p-values
    positively dependent (a reference whose contrasts happen to run low makes every seizure look high together):
    with 3 seizures and 3 reference contrasts all three exceed the whole reference with probability 1/20, not
    (1/4)^3. This is the joint law of conformal p-values with one calibration set (Bates et al. 2023, Ann. Stat.).
    """
    rng = np.random.default_rng([seed, n_ref.size, int(n_ref.sum())])
    n_max = int(n_ref.max())
    out = np.empty(n_null)
    chunk = max(1, 2_000_000 // (n_max + n_ref.size))
    for lo in range(0, n_null, chunk):
        c = min(chunk, n_null - lo)
        calib = rng.random((c, n_max))
        test = rng.random((c, n_ref.size))
        stat = np.zeros(c)
        for i, n in enumerate(n_ref):
            above = np.count_nonzero(calib[:, : int(n)] >= test[:, i : i + 1], axis=1)
            stat -= 2.0 * np.log((1.0 + above) / (1.0 + n))
        out[lo : lo + c] = stat
    return out


def combined_p(p: np.ndarray, n_ref: np.ndarray, n_null: int, seed: int) -> tuple[float, float]:
    """``(p_value, p_floor)``: Monte Carlo p-value of Fisher's statistic of the seizures' p-values under the shared
    reference (:func:`_shared_null`), and the smallest value it can take with these reference sizes (every seizure
    above its whole reference; at least ``1 / (1 + n_null)``)."""
    null = _shared_null(np.asarray(n_ref, dtype=np.int64), n_null, seed)
    stat = -2.0 * np.log(np.asarray(p, dtype=np.float64)).sum()
    s_max = -2.0 * np.log(1.0 / (1.0 + np.asarray(n_ref, dtype=np.float64))).sum()
    p_value = float((1.0 + np.count_nonzero(null >= stat - 1e-9)) / (1.0 + n_null))
    p_floor = float((1.0 + np.count_nonzero(null >= s_max - 1e-9)) / (1.0 + n_null))
    return max(p_value, p_floor), p_floor


def _touches(spans: Sequence[tuple[float, float]], lo: float, hi: float) -> bool:
    """Whether any span (minutes before onset) overlaps ``[lo, hi]``."""
    return any(a < hi - 1e-9 and b > lo + 1e-9 for a, b in spans)


def postictal_spans(
    onset_clock_s: float, earlier_seizures: Sequence[tuple[float, float]], *, postictal_min: float
) -> list[tuple[float, float]]:
    """Stretches in minutes before ``onset_clock_s`` that lie in an earlier seizure or within ``postictal_min``
    after its end (``earlier_seizures``: ``(onset_clock_s, offset_clock_s)`` pairs)."""
    out = []
    for on, off in earlier_seizures:
        if on < onset_clock_s:
            out.append(((onset_clock_s - off) / 60.0 - postictal_min, (onset_clock_s - on) / 60.0))
    return out
