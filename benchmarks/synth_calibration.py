"""Calibration of the synthetic preictal signatures: effect size at onset per kind and strength.

Prints one line per (seed, kind, strength) and the means over seeds (with ranges), from
:func:`seizurepred.synth.calibrate.measure`. The table in ``seizurepred/synth/signatures.py`` comes from::

    python benchmarks/synth_calibration.py --strengths 1 0.5 0.1 0.05
"""

from __future__ import annotations

import argparse

import numpy as np

from seizurepred.synth.calibrate import measure


def main(argv: list[str] | None = None) -> None:
    """Print the calibration table (one line per seed, kind and strength, then the means over seeds)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--hours", type=float, default=12.0)
    parser.add_argument("--seizures", type=int, default=4)
    parser.add_argument("--strengths", type=float, nargs="+", default=[1.0, 0.5])
    parser.add_argument("--kinds", nargs="+", default=["focal", "diffuse", "synchrony"])
    args = parser.parse_args(argv)
    rows = measure(
        args.seeds, hours=args.hours, n_seizures=args.seizures, kinds=tuple(args.kinds),
        strengths=tuple(args.strengths),
    )  # fmt: skip
    keyed: dict[tuple[str, float], list[dict]] = {}
    for row in rows:
        keyed.setdefault((row["kind"], row["strength"]), []).append(row)
        values = " ".join(f"{k}={v:.3f}" for k, v in row.items() if isinstance(v, float) and k != "strength")
        print(f"seed {row['seed']} {row['focus']:>4} {row['kind']:<9} s={row['strength']:<5g} {values}")
    for (kind, strength), group in keyed.items():
        names = [k for k, v in group[0].items() if isinstance(v, float) and k != "strength"]
        stats = {k: [g[k] for g in group] for k in names}
        values = " ".join(f"{k}={np.mean(v):.3f}[{min(v):.2f}..{max(v):.2f}]" for k, v in stats.items())
        print(f"mean {kind:<9} s={strength:<5g} {values}")


if __name__ == "__main__":
    main()
