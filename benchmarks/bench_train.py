"""Throughput of ``train_model`` against a minimal plain PyTorch loop, same model, data, batch, optimiser, steps.

For each model (``small``, ``cnn_transformer`` at 23 x 1280), in one process:

* plain loop: shuffled index batches from device-resident windows, BCE on logits, Adam (AMSGrad), bf16 autocast
  on CUDA, and the per-epoch validation loss on the same 10 % set that any early-stopping loop needs; nothing else;
* ``train_model``: the same number of epochs over the same windows, with its validation (loss and AUC), early
  stopping bookkeeping and best-weights copy.

Prints windows/s of both and the ratio trainer / plain (goal >= 0.95), end to end and for the training phase
alone (history ``train_s``). With CUDA, also projects the time to train one paper model on a chb01-sized fold
(~20,000 training windows, 54 epochs; the paper: 8.1 min on an A100) from a few measured epochs.

Usage::

    python benchmarks/bench_train.py --quick            # CPU, a minute or two
    python benchmarks/bench_train.py --device cuda      # GPU figures + chb01 projection
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from seizurepred.models import build_model, count_parameters
from seizurepred.training import TrainConfig, describe_device, resolve_device, train_model

N_CHANS, N_TIMES = 23, 1280
PAPER_MIN_A100 = 8.1
CHB01_TRAIN, CHB01_EPOCHS = 20_000, 54


def make_data(n: int, device: torch.device, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows (n, 23, 1280) µV with alternating labels, on ``device``."""
    gen = torch.Generator().manual_seed(seed)
    X = 30.0 * torch.randn(n, N_CHANS, N_TIMES, generator=gen)  # (n, C, T)
    y = (torch.arange(n) % 2).float()  # (n,)
    return X.to(device), y.to(device)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def plain_loop(model, X, y, *, epochs: int, batch_size: int, amp: bool, X_val=None, y_val=None) -> float:
    """Minimal reference loop: a shuffled training epoch, then (when given) the validation loss that any
    early-stopping trainer needs, computed in batches of 256 without gradients; returns wall seconds."""
    device = X.device
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, amsgrad=True)
    gen = torch.Generator(device=device).manual_seed(0)
    sync(device)
    t0 = time.perf_counter()
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(X.shape[0], generator=gen, device=device)
        for start in range(0, X.shape[0], batch_size):
            idx = perm[start : start + batch_size]
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp and device.type == "cuda"):
                logits = model(X.index_select(0, idx))
            loss = F.binary_cross_entropy_with_logits(logits.float(), y.index_select(0, idx))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if X_val is not None:
            model.eval()
            with torch.no_grad():
                for start in range(0, X_val.shape[0], 256):
                    with torch.autocast(
                        device.type, dtype=torch.bfloat16, enabled=amp and device.type == "cuda"
                    ):
                        logits = model(X_val[start : start + 256])
                    F.binary_cross_entropy_with_logits(logits.float(), y_val[start : start + 256])
    sync(device)
    return time.perf_counter() - t0


def bench_model(
    name: str,
    *,
    n_train: int,
    epochs: int,
    device: torch.device,
    amp: bool,
    batch_size: int = 64,
    repeats: int = 1,
    options: dict | None = None,
) -> dict:
    """Time the plain loop and ``train_model`` on the same data, alternating, best of ``repeats`` each."""
    options = options or {}
    X, y = make_data(n_train, device)
    Xv, yv = make_data(max(2, n_train // 10), device, seed=1)
    torch.manual_seed(0)
    init = build_model(name, n_chans=N_CHANS, n_times=N_TIMES, **options)
    state = {k: v.clone() for k, v in init.state_dict().items()}

    def fresh():
        m = build_model(name, n_chans=N_CHANS, n_times=N_TIMES, **options)
        m.load_state_dict(state)
        m = m.to(device)
        # The same memory format as train_model uses on CUDA (TrainConfig.channels_last), so both loops match.
        return m.to(memory_format=torch.channels_last) if device.type == "cuda" else m

    config = TrainConfig(
        batch_size=batch_size,
        max_epochs=epochs,
        patience=epochs + 1,
        device=device.type,
        amp=amp,
        deterministic=device.type == "cpu",
    )
    warm = min(n_train, 4 * batch_size)
    plain_loop(
        fresh(), X[:warm], y[:warm], epochs=1, batch_size=batch_size, amp=amp
    )  # warm-up (kernels, caches)
    t_plain, t_trainer, t_phase, epoch_s = [], [], [], []
    for _ in range(repeats):
        t_plain.append(
            plain_loop(fresh(), X, y, epochs=epochs, batch_size=batch_size, amp=amp, X_val=Xv, y_val=yv)
        )
        sync(device)
        t0 = time.perf_counter()
        res = train_model(fresh(), X, y, Xv, yv, config=config, progress=False)
        sync(device)
        t_trainer.append(time.perf_counter() - t0)
        t_phase.append(sum(h["train_s"] for h in res.history))
        epoch_s += [h["seconds"] for h in res.history]
    n = n_train * epochs
    return {
        "model": name,
        "params": count_parameters(init),
        "plain_wps": n / min(t_plain),
        "trainer_wps": n / min(t_trainer),
        "ratio": min(t_plain) / min(t_trainer),
        "ratio_train_phase": min(t_plain) / min(t_phase),
        "epoch_s": epoch_s,
    }


def report(fig: dict, device: torch.device, amp: bool) -> None:
    print(
        f"{fig['model']:16s} {fig['params']:>9,d} params  {describe_device(device)} amp={amp and device.type == 'cuda'}: "
        f"plain {fig['plain_wps']:8.1f} windows/s, train_model {fig['trainer_wps']:8.1f} windows/s, "
        f"ratio {fig['ratio']:.3f} (training phase only {fig['ratio_train_phase']:.3f})"
    )


def project_chb01(device: torch.device, *, n_epochs: int = 3, amp: bool = True) -> float:
    """Measure a few epochs of the paper model on 20,000 x 23 x 1280 windows; return projected minutes for 54."""
    fig = bench_model("cnn_transformer", n_train=CHB01_TRAIN, epochs=n_epochs, device=device, amp=amp)
    steady_s = min(fig["epoch_s"][1:] or fig["epoch_s"])  # first epoch includes warm-up
    minutes = steady_s * CHB01_EPOCHS / 60
    report(fig, device, amp)
    print(
        f"chb01-sized fold projection (measured {n_epochs} epochs of {CHB01_TRAIN} windows + 10 % validation, "
        f"extrapolated to {CHB01_EPOCHS} epochs from the fastest epoch {steady_s:.2f} s): {minutes:.2f} min "
        f"= {minutes / PAPER_MIN_A100:.3f} x the paper's {PAPER_MIN_A100} min on an A100 (goal < 0.2)"
    )
    return minutes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few windows, one epoch")
    parser.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--no-amp", action="store_true", help="float32 on CUDA")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    amp = not args.no_amp
    print(f"torch {torch.__version__}, device {describe_device(device)}")
    if device.type == "cpu":
        sizes = (
            {"small": (1024, 1, 2), "cnn_transformer": (128, 1, 1)}
            if args.quick
            else {"small": (2048, 2, 2), "cnn_transformer": (384, 2, 1)}
        )
    else:
        sizes = (
            {"small": (4096, 2, 2), "cnn_transformer": (4096, 2, 2)}
            if args.quick
            else {"small": (20_000, 2, 2), "cnn_transformer": (20_000, 2, 2)}
        )
    for name, (n_train, epochs, repeats) in sizes.items():
        fig = bench_model(name, n_train=n_train, epochs=epochs, device=device, amp=amp, repeats=repeats)
        report(fig, device, amp)
    if device.type == "cuda":
        project_chb01(device, n_epochs=2 if args.quick else 3, amp=amp)


if __name__ == "__main__":
    main()
