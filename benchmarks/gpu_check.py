"""One short GPU check for a lent CUDA machine (< 4 minutes on an H100); says "no CUDA" and exits fast on a CPU.

Prints: torch / CUDA versions and the device; the paper model's parameter count; bf16 autocast forward + backward
finite; host-to-device copies during a training epoch on GPU-resident windows (profiler count vs batches);
windows/s of ``small`` and ``cnn_transformer`` (plain loop vs ``train_model``) with and without AMP, and with
``deterministic=True`` (the TrainConfig default); the projected time to train one paper model on a chb01-sized fold.

Usage::

    PYTHONPATH=. python benchmarks/gpu_check.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_train import bench_model, make_data, project_chb01, report  # noqa: E402

from seizurepred.models import build_model, count_parameters  # noqa: E402
from seizurepred.training import TrainConfig, describe_device, train_model  # noqa: E402


def cpu_smoke() -> None:
    """Tiny CPU check so the script is useful (and fast) without a GPU."""
    torch.manual_seed(0)
    model = build_model("cnn_transformer", n_chans=23, n_times=1280)
    out = model(30.0 * torch.randn(2, 23, 1280))
    print(
        f"no CUDA: CPU smoke only. paper model {count_parameters(model):,d} params, output {tuple(out.shape)}, "
        f"finite={bool(torch.isfinite(out).all())}"
    )


def check_amp(device: torch.device) -> None:
    torch.manual_seed(0)
    model = build_model("cnn_transformer", n_chans=23, n_times=1280).to(device)
    X, y = make_data(64, device)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        logits = model(X)
    loss = F.binary_cross_entropy_with_logits(logits.float(), y)
    loss.backward()
    grads_ok = all(bool(torch.isfinite(p.grad).all()) for p in model.parameters() if p.grad is not None)
    print(
        f"bf16 autocast: logits dtype {logits.dtype}, loss {loss.item():.4f} finite={bool(torch.isfinite(loss))}, "
        f"all gradients finite={grads_ok}"
    )


def count_h2d(device: torch.device) -> None:
    """Profile one epoch of train_model on device-resident windows and count host-to-device copies."""
    from torch.profiler import ProfilerActivity, profile

    n = 2048
    X, y = make_data(n, device)
    Xv, yv = make_data(256, device, seed=1)
    torch.manual_seed(0)
    model = build_model("small", n_chans=23, n_times=1280)
    config = TrainConfig(max_epochs=1, device="cuda")
    train_model(model, X, y, Xv, yv, config=config, progress=False)  # warm-up
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        train_model(model, X, y, Xv, yv, config=config, progress=False, resume=False)
    h2d = [e for e in prof.events() if "HtoD" in e.name]
    n_bytes = sum(getattr(e, "cuda_memory_usage", 0) or 0 for e in h2d)
    print(
        f"host->device copies during one epoch of {n // 64} batches on GPU-resident windows: {len(h2d)} "
        f"(per-batch copies would show >= {n // 64}); {n_bytes} bytes attributed"
    )


def throughput(device: torch.device) -> None:
    for name in ("small", "cnn_transformer"):
        for amp in (True, False):
            report(bench_model(name, n_train=8192, epochs=1, device=device, amp=amp), device, amp)
    X, y = make_data(8192, device)
    Xv, yv = make_data(819, device, seed=1)
    for det in (False, True):
        torch.manual_seed(0)
        model = build_model("cnn_transformer", n_chans=23, n_times=1280)
        config = TrainConfig(max_epochs=2, device="cuda", deterministic=det)
        t0 = time.perf_counter()
        res = train_model(model, X, y, Xv, yv, config=config, progress=False)
        wps = 8192 / min(h["seconds"] for h in res.history)
        print(
            f"cnn_transformer train_model amp=True deterministic={det}: {wps:.0f} windows/s (best epoch of 2, "
            f"incl. validation; {time.perf_counter() - t0:.1f} s total)"
        )


def main() -> None:
    print(
        f"torch {torch.__version__}, CUDA build {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}"
    )
    if not torch.cuda.is_available():
        cpu_smoke()
        return
    device = torch.device("cuda")
    print(f"device {describe_device(device)}, bf16 supported={torch.cuda.is_bf16_supported()}")
    t0 = time.perf_counter()
    model = build_model("cnn_transformer", n_chans=23, n_times=1280)
    print(
        f"paper model params: {count_parameters(model):,d} (pool_channels=True), "
        f"{count_parameters(build_model('cnn_transformer', n_chans=23, n_times=1280, pool_channels=False)):,d} "
        f"(pool_channels=False)"
    )
    check_amp(device)
    count_h2d(device)
    throughput(device)
    project_chb01(device, n_epochs=2, amp=True)
    print(f"gpu_check done in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
