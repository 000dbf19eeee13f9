"""Models per hour: one model at a time (``train_model``) vs N models packed in one step (``train_packed``) vs P
concurrent processes on one device, measured side by side in one run (absolute times are noisy; ratios are not).

Workload: a chb01-sized fold of the paper's configuration (``cnn_transformer``, 23 x 1280 windows, batch 64,
Adam AMSGrad, bf16 on CUDA, 10 % validation windows per epoch). Throughput is taken from the fastest epoch after
the first (warm-up) of each run; the models of a pack share one copy of the windows on the device. Prints one row
per mode (epoch seconds, training windows/s, models/hour for a 20,000-window fold trained 54 epochs, ratio to one at
a time, peak device memory) and projects the paper protocol (1328 models, 10.6 M training windows per epoch summed
over all models, ~54 epochs) one at a time vs the best pack and the best concurrency. On CUDA the fastest pack
is run again with NCHW activations (instead of channels-last) and with cuDNN autotuning (``cudnn.benchmark``).

``--check`` adds the CUDA path checks of ``benchmarks/gpu_pack_check.sh``: bf16 packed forward/backward finite,
packed vs one-by-one outputs in fp32, host-to-device copies during a packed epoch on GPU-resident windows.

Usage::

    PYTHONPATH=. python benchmarks/bench_gpu_pack.py --quick              # CPU, reduced sizes, ~1-2 minutes
    PYTHONPATH=. python benchmarks/bench_gpu_pack.py --device cuda        # the real measurement
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import math
import multiprocessing as mp
import queue as queue_module
import time

import torch
import torch.nn.functional as F

from seizurepred.models import build_model, count_parameters
from seizurepred.models.packed import pack_models
from seizurepred.training import TrainConfig, describe_device, resolve_device, train_model
from seizurepred.training.packed import train_packed

N_CHANS, BATCH = 23, 64
CHB01_TRAIN, CHB01_EPOCHS = 20_000, 54
PAPER_MODELS, PAPER_WINDOWS_PER_EPOCH, PAPER_EPOCHS = 1328, 10.6e6, 54


@dataclasses.dataclass(frozen=True)
class Spec:
    """One benchmark setting (picklable: sent to the concurrent worker processes)."""

    device: str
    model: str
    n_times: int
    n_train: int
    epochs: int
    amp: bool
    threads: int


def make_data(n: int, n_times: int, device: torch.device, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows (n, 23, n_times) µV with alternating labels, on ``device``."""
    gen = torch.Generator().manual_seed(seed)
    X = 30.0 * torch.randn(n, N_CHANS, n_times, generator=gen)  # (n, C, T)
    return X.to(device), (torch.arange(n) % 2).float().to(device)


def fold_data(spec: Spec, device: torch.device, seed: int = 0):
    X, y = make_data(spec.n_train, spec.n_times, device, seed)
    Xv, yv = make_data(max(2, spec.n_train // 10), spec.n_times, device, seed + 1)
    return X, y, Xv, yv


def fresh_models(spec: Spec, n: int, seed: int = 0) -> list[torch.nn.Module]:
    torch.manual_seed(seed)
    return [build_model(spec.model, n_chans=N_CHANS, n_times=spec.n_times) for _ in range(n)]


def train_config(spec: Spec, *, epochs: int | None = None, channels_last: bool = True) -> TrainConfig:
    return TrainConfig(
        batch_size=BATCH,
        max_epochs=epochs or spec.epochs,
        patience=(epochs or spec.epochs) + 1,
        device=spec.device,
        amp=spec.amp,
        deterministic=spec.device == "cpu",
        channels_last=channels_last,
    )


def steady_epoch_s(history: list[dict[str, float]]) -> float:
    """Fastest epoch after the first (warm-up); the only epoch when there is one."""
    seconds = [h["seconds"] for h in history]
    return min(seconds[1:]) if len(seconds) > 1 else seconds[0]


def free_device_memory(device: torch.device) -> None:
    """Return cached device memory (after an out-of-memory error, and before other processes need it)."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def warm_up(spec: Spec, device: torch.device, n_models: int) -> None:
    """One short run (kernels, allocator, cuDNN plans) so that one-epoch measurements are fair."""
    X, y, Xv, yv = fold_data(dataclasses.replace(spec, n_train=BATCH), device)
    cfg = train_config(spec, epochs=1)
    train_model(fresh_models(spec, 1)[0], X, y, Xv, yv, config=cfg, progress=False)
    train_packed(fresh_models(spec, n_models), [(X, y, Xv, yv)] * n_models, config=cfg, progress=False)
    sync(device)


def time_single(spec: Spec, data, device: torch.device) -> float:
    """Steady epoch seconds of ``train_model`` on one fold."""
    res = train_model(fresh_models(spec, 1)[0], *data, config=train_config(spec), progress=False)
    sync(device)
    return steady_epoch_s(res.history)


def time_packed(spec: Spec, data, device: torch.device, n: int, *, channels_last: bool = True):
    """Steady epoch seconds of a pack of ``n`` models (same windows) and the peak device memory in GiB."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    cfg = train_config(spec, channels_last=channels_last)
    res = train_packed(fresh_models(spec, n), [data] * n, config=cfg, seeds=list(range(n)), progress=False)
    sync(device)
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else math.nan
    return steady_epoch_s(res[0].history), peak


def _worker(rank: int, spec: Spec, barrier, queue) -> None:
    """One concurrent process: warm up, wait for the others, train one model; report wall-clock start and end."""
    torch.set_num_threads(spec.threads)
    device = resolve_device(spec.device)
    data = fold_data(spec, device, seed=10 * rank)
    short = fold_data(dataclasses.replace(spec, n_train=BATCH), device)
    train_model(fresh_models(spec, 1, rank)[0], *short, config=train_config(spec, epochs=1), progress=False)
    model = fresh_models(spec, 1, rank)[0]
    barrier.wait(timeout=600)
    start = time.time()
    train_model(model, *data, config=train_config(spec), progress=False)
    sync(device)
    queue.put((start, time.time()))


def time_concurrent(spec: Spec, n_procs: int, timeout_s: float = 600.0) -> float:
    """Training windows/s of ``n_procs`` processes each training one model on the same device (each with
    ``spec.threads`` CPU threads): all their windows (every epoch) over the wall time from the common start to
    the last end. NaN when a worker fails or the run exceeds ``timeout_s``."""
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(n_procs), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(r, spec, barrier, queue)) for r in range(n_procs)]
    for p in procs:
        p.start()
    spans, deadline = [], time.perf_counter() + timeout_s
    try:
        while len(spans) < n_procs:
            try:
                spans.append(queue.get(timeout=2.0))
            except queue_module.Empty:
                failed = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
                if failed or time.perf_counter() > deadline:
                    print(f"{n_procs} concurrent procs: failed (exit codes {failed}) or timed out")
                    return math.nan
    finally:
        for p in procs:
            p.join(timeout=5.0)
            if p.is_alive():
                p.terminate()
    wall = max(end for _, end in spans) - min(start for start, _ in spans)
    return n_procs * spec.n_train * spec.epochs / wall


def models_per_hour(windows_per_s: float) -> float:
    """Models per hour for a chb01-sized fold (20,000 training windows, 54 epochs) at this training rate."""
    return 3600.0 * windows_per_s / (CHB01_TRAIN * CHB01_EPOCHS)


def paper_hours(windows_per_s: float) -> float:
    """Hours for the paper protocol's 1328 models (10.6 M windows per epoch summed, 54 epochs)."""
    return PAPER_WINDOWS_PER_EPOCH * PAPER_EPOCHS / windows_per_s / 3600.0


def row(label: str, n: int, epoch_s: float, wps: float, base: float, peak: float = math.nan) -> None:
    peak_s = f"{peak:6.1f}" if math.isfinite(peak) else "     -"
    print(
        f"{label:22s} {n:3d} {epoch_s:9.2f} {wps:11.0f} {models_per_hour(wps):12.2f} {wps / base:9.2f}x {peak_s}"
    )


def run_packs(spec: Spec, data, device: torch.device, packs: list[int], single_wps: float, deadline: float):
    """Packs of growing N until out of memory or out of time; returns (label, windows/s) of the fastest."""
    best, last_wps = ("no pack faster than one at a time: packed N=1", single_wps), single_wps
    for n in packs:
        est = n * spec.n_train * 1.1 * (spec.epochs + 1) / last_wps  # + a warm-up epoch's worth
        if time.perf_counter() + est > deadline:
            print(f"{'packed':22s} {n:3d}   skipped: ~{est:.0f} s would exceed the time budget")
            break
        try:
            epoch_s, peak = time_packed(spec, data, device, n)
        except torch.cuda.OutOfMemoryError:
            print(f"{'packed':22s} {n:3d}   out of device memory")
            break
        except RuntimeError as err:  # e.g. a cuDNN configuration without a kernel: report it, keep the rest
            print(f"{'packed':22s} {n:3d}   failed: {str(err).splitlines()[0][:200]}")
            break
        last_wps = n * spec.n_train / epoch_s
        row("packed", n, epoch_s, last_wps, single_wps, peak)
        if last_wps > best[1]:
            best = (f"packed N={n}", last_wps)
    free_device_memory(device)
    return best


def run_variants(spec: Spec, data, device: torch.device, n: int, rates: tuple[float, float], deadline: float):
    """The best pack again in NCHW instead of channels-last, then with cuDNN autotuning; the fastest of them.
    ``rates``: windows/s one at a time and of that pack."""
    (single_wps, pack_wps), best = rates, None
    for label, channels_last, autotune in (("NCHW", False, False), ("cudnn-tuned", True, True)):
        if time.perf_counter() + 2 * n * spec.n_train * (spec.epochs + 1) / pack_wps > deadline:
            print(f"packed, {label:14s} {n:3d}   skipped: time budget")
            continue
        saved = torch.backends.cudnn.benchmark
        torch.backends.cudnn.benchmark = autotune
        try:
            epoch_s, peak = time_packed(spec, data, device, n, channels_last=channels_last)
        except RuntimeError as err:  # out of memory included
            print(f"packed, {label:14s} {n:3d}   failed: {str(err).splitlines()[0][:200]}")
            continue
        finally:
            torch.backends.cudnn.benchmark = saved
            free_device_memory(device)
        wps = n * spec.n_train / epoch_s
        row(f"packed, {label}", n, epoch_s, wps, single_wps, peak)
        if best is None or wps > best[1]:
            best = (f"packed N={n} {label}", wps)
    return best


def run_throughput(spec: Spec, device: torch.device, packs: list[int], procs: list[int], budget_s: float):
    """Measure one at a time, packs (and variants on CUDA) and concurrency; print the table; return the rates."""
    deadline = time.perf_counter() + budget_s
    data = fold_data(spec, device)
    warm_up(spec, device, min(2, max(packs)))
    singles = [time_single(spec, data, device)]
    single_wps = spec.n_train / singles[0]
    print(
        f"{'mode':22s} {'N':>3s} {'epoch s':>9s} {'windows/s':>11s} {'models/h':>12s} {'vs one':>10s} {'GiB':>6s}"
    )
    row("one at a time", 1, singles[0], single_wps, single_wps)
    best = {
        "pack": run_packs(spec, data, device, packs, single_wps, deadline),
        "concurrent": ("no concurrency faster than one at a time: 1 process", single_wps),
    }
    n_best = int(best["pack"][0].split("=")[-1])
    if device.type == "cuda" and n_best > 1:
        variant = run_variants(spec, data, device, n_best, (single_wps, best["pack"][1]), deadline)
        if variant is not None and variant[1] > best["pack"][1]:
            best["pack"] = variant
    for p in procs:
        wps = time_concurrent(spec, p)
        if math.isfinite(wps):
            row(f"{p} concurrent procs", p, p * spec.n_train / wps, wps, single_wps)  # epoch s: per process
            if wps > best["concurrent"][1]:
                best["concurrent"] = (f"{p} concurrent processes", wps)
    singles.append(time_single(spec, data, device))  # again at the end: drift check
    print(f"one at a time, first vs last run: {singles[0]:.2f} s vs {singles[-1]:.2f} s per epoch")
    return single_wps, best


def project(spec: Spec, device: torch.device, single_wps: float, best: dict) -> None:
    note = "" if device.type == "cuda" else f" [CPU numbers at 23 x {spec.n_times}, not a GPU projection]"
    (pack, pack_wps), (conc, conc_wps) = best["pack"], best["concurrent"]
    print(
        f"paper protocol ({PAPER_MODELS} models, {PAPER_WINDOWS_PER_EPOCH / 1e6:.1f} M training windows per epoch "
        f"summed, {PAPER_EPOCHS} epochs): one at a time {paper_hours(single_wps):.1f} h; {pack} "
        f"{paper_hours(pack_wps):.1f} h ({pack_wps / single_wps:.2f}x); {conc} "
        f"{paper_hours(conc_wps):.1f} h ({conc_wps / single_wps:.2f}x){note}"
    )
    print(
        "  (full packs assumed; unequal fold sizes and early stopping at different epochs leave slots idle, "
        "so the sweep's packed time lies between this and the one-at-a-time figure)"
    )


def check_amp(device: torch.device, n_times: int) -> None:
    """bf16 forward + backward of a pack of 4 paper models: finite logits, loss and gradients."""
    if device.type != "cuda":
        print("bf16 autocast check: CUDA only (train_packed uses autocast on CUDA only), skipped on CPU")
        return
    torch.manual_seed(0)
    packed = pack_models([build_model("cnn_transformer", n_chans=N_CHANS, n_times=n_times) for _ in range(4)])
    packed = packed.to(device).train()
    x = 30.0 * torch.randn(4, BATCH, N_CHANS, n_times, device=device)  # (N, B, C, T)
    y = (torch.arange(BATCH, device=device) % 2).float().expand(4, BATCH)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        logits = packed(x)  # (N, B)
    loss = F.binary_cross_entropy_with_logits(logits.float(), y)
    loss.backward()
    grads_ok = all(bool(torch.isfinite(p.grad).all()) for p in packed.parameters() if p.grad is not None)
    print(
        f"bf16 autocast, pack of 4: logits {logits.dtype}, loss {loss.item():.4f} finite="
        f"{bool(torch.isfinite(loss))}, all gradients finite={grads_ok}"
    )


def check_equivalence(device: torch.device, n_times: int) -> None:
    """fp32 eval logits of a pack of 4 paper models vs each model alone (TF32 off)."""
    tf32 = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        torch.manual_seed(0)
        models = [
            build_model("cnn_transformer", n_chans=N_CHANS, n_times=n_times).to(device) for _ in range(4)
        ]
        packed = pack_models(models).eval()
        x = 30.0 * torch.randn(4, 16, N_CHANS, n_times, device=device)  # (N, B, C, T)
        with torch.no_grad():
            out = packed(x)  # (N, B)
            ref = torch.stack([m.eval()(xi) for m, xi in zip(models, x, strict=True)])  # (N, B)
        diff = float((out - ref).abs().max())
        print(
            f"fp32 packed vs one by one, 4 paper models: max |logit difference| {diff:.2e} (logits ~{float(ref.abs().mean()):.2f})"
        )
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = tf32


def count_h2d(spec: Spec, device: torch.device) -> None:
    """Profile one packed epoch (4 models) on GPU-resident windows; count host-to-device copies."""
    if device.type != "cuda":
        print("host->device copies: CUDA only, skipped on CPU")
        return
    from torch.profiler import ProfilerActivity, profile

    small = dataclasses.replace(spec, n_train=2048, epochs=1)
    data = fold_data(small, device)
    cfg = train_config(small)
    train_packed(fresh_models(small, 4), [data] * 4, config=cfg, progress=False)  # warm-up
    models = [m.to(device) for m in fresh_models(small, 4)]  # weights already there: only the loop is counted
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        train_packed(models, [data] * 4, config=cfg, progress=False)
    h2d = [e for e in prof.events() if "HtoD" in e.name]
    print(
        f"host->device copies during one packed epoch (4 models x {2048 // BATCH} steps) on GPU-resident windows: "
        f"{len(h2d)} (per-step copies would show >= {2048 // BATCH})"
    )


def guarded(check) -> None:
    """Run one check; an error is printed, not raised, so that the measurements after it still run."""
    try:
        check()
    except Exception as err:  # a one-shot script on a lent machine: report and go on
        print(f"check failed: {type(err).__name__}: {str(err).splitlines()[0][:200]}")


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="CPU-sized run: 23 x 128 windows, 128 per fold, packs 1,2,4"
    )
    ap.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    ap.add_argument("--check", action="store_true", help="also the CUDA path checks (gpu_pack_check.sh)")
    ap.add_argument("--model", default="cnn_transformer")
    ap.add_argument("--n-times", type=int, default=None, help="samples per window [1280; 128 with --quick]")
    ap.add_argument(
        "--n-train", type=int, default=None, help=f"training windows per fold [{CHB01_TRAIN}; 128 quick]"
    )
    ap.add_argument("--epochs", type=int, default=None, help="epochs per run, the first is warm-up [2]")
    ap.add_argument("--packs", default=None, help="pack sizes N [1,4,8,16,32,64; 1,2,4 quick]")
    ap.add_argument("--procs", default=None, help="concurrent process counts, '' for none [2,4; 2 quick]")
    ap.add_argument("--budget-s", type=float, default=420.0, help="skip larger packs beyond this wall time")
    ap.add_argument("--no-amp", action="store_true", help="float32 on CUDA")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads per process [1 on CPU]")
    return ap.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    device = resolve_device("cpu" if args.quick and args.device == "auto" else args.device)
    quick = args.quick or device.type == "cpu"
    spec = Spec(
        device=device.type,
        model=args.model,
        n_times=args.n_times or (128 if quick else 1280),
        n_train=args.n_train or (2 * BATCH if quick else CHB01_TRAIN),
        epochs=args.epochs or 2,
        amp=not args.no_amp,
        threads=args.threads or (1 if device.type == "cpu" else torch.get_num_threads()),
    )
    torch.set_num_threads(spec.threads)
    packs = [int(v) for v in (args.packs or ("1,2,4" if quick else "1,4,8,16,32,64")).split(",") if v]
    procs_arg = args.procs if args.procs is not None else ("2" if quick else "2,4")
    procs = [int(v) for v in procs_arg.split(",") if v]
    t0 = time.perf_counter()
    torch.manual_seed(0)
    n_params = count_parameters(build_model(spec.model, n_chans=N_CHANS, n_times=spec.n_times))
    print(
        f"torch {torch.__version__}, device {describe_device(device)}, bf16 autocast={spec.amp and device.type == 'cuda'}; "
        f"{spec.model} {n_params:,d} params, windows 23 x {spec.n_times}, {spec.n_train} training windows per fold "
        f"(+10 % validation), batch {BATCH}, {spec.epochs} epoch(s) per run"
        + (
            f"  [CPU numbers: reduced sizes, {spec.threads} thread(s) per process (concurrent processes also use "
            "more cores); only the ratios mean anything]"
            if device.type == "cpu"
            else ""
        )
    )
    if args.check:
        guarded(lambda: check_amp(device, spec.n_times))
        guarded(lambda: check_equivalence(device, spec.n_times))
        guarded(lambda: count_h2d(spec, device))
        free_device_memory(device)
    single_wps, best = run_throughput(spec, device, packs, procs, args.budget_s)
    project(spec, device, single_wps, best)
    print(f"bench_gpu_pack done in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
