"""Band-coherency features of ``bandpower_logreg`` (``coherence=True``): the O(C) row sum against the C x C matrix.

The reference is the matrix form the model used before (per band: the real cross-spectrum of every channel pair
by a batched matmul, divided by the norms, rows summed); both run in this process on the same windows, and the
ratio reference / new is printed (times are the best of ``--repeats``; these machines are noisy). The whole
feature map (rFFT, log band power, coherency) is timed too, since the coherency is only part of it.

Usage::

    python benchmarks/bench_features.py              # 512 windows of 23 x 1280, about 30 s
"""

from __future__ import annotations

import argparse
import time

import torch

from seizurepred.models import build_model
from seizurepred.models.baseline import band_coherency


def matrix_coherency(spec: torch.Tensor, bands: torch.Tensor) -> torch.Tensor:
    """The reference: the C x C coherency matrix per band, rows summed, the diagonal taken out."""
    n_chans = spec.shape[1]
    out = []
    for b in range(bands.shape[1]):
        bins = torch.nonzero(bands[:, b] > 0).squeeze(1)
        re, im = spec.real[..., bins], spec.imag[..., bins]  # (B, C, n_bins)
        cross = re @ re.transpose(1, 2) + im @ im.transpose(1, 2)  # (B, C, C)
        diag = torch.diagonal(cross, dim1=1, dim2=2).clamp_min(1e-12).sqrt()  # (B, C)
        coh = cross / (diag[:, :, None] * diag[:, None, :])
        out.append((coh.sum(dim=2) - 1.0) / max(n_chans - 1, 1))
    return torch.cat(out, dim=1)


def best_of(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    model = build_model("bandpower_logreg", n_chans=23, n_times=1280, sfreq=256.0, coherence=True).eval()
    x = 40.0 * torch.randn(args.windows, 23, 1280)
    spec = torch.fft.rfft(x, dim=-1)
    slices = model._band_slices
    diff = float((band_coherency(spec, slices) - matrix_coherency(spec, model.bands)).abs().max())
    t_ref = best_of(lambda: matrix_coherency(spec, model.bands), args.repeats)
    t_new = best_of(lambda: band_coherency(spec, slices), args.repeats)

    def features_with(coherency):
        model._coherency = coherency
        with torch.no_grad():
            model.forward_features(x)

    t_feat_ref = best_of(lambda: features_with(lambda s: matrix_coherency(s, model.bands)), args.repeats)
    t_feat_new = best_of(lambda: features_with(lambda s: band_coherency(s, slices)), args.repeats)
    print(f"{args.windows} windows of 23 x 1280, torch threads {torch.get_num_threads()}; max |new - matrix| {diff:.1e}")
    print(f"coherency: matrix {t_ref * 1e3:.1f} ms, row sum {t_new * 1e3:.1f} ms: {t_ref / t_new:.2f}x")
    print(f"feature map: with matrix {t_feat_ref * 1e3:.1f} ms, with row sum {t_feat_new * 1e3:.1f} ms: "
          f"{t_feat_ref / t_feat_new:.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
