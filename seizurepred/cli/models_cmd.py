"""``seizurepred models``: the registered models with their parameter counts for a given input size."""

from __future__ import annotations

import click


@click.command("models")
@click.option("--n-chans", type=click.IntRange(min=1), default=23, show_default=True, help="Input channels.")
@click.option(
    "--n-times", type=click.IntRange(min=16), default=1280, show_default=True, help="Input samples."
)
@click.option(
    "-o",
    "--option",
    "options",
    multiple=True,
    metavar="NAME=VALUE",
    help="Model option applied to every model that has it (e.g. pool_channels=false); repeatable. A name no "
    "model has is refused.",
)
def models(n_chans: int, n_times: int, options: tuple[str, ...]) -> None:
    """List the registered models and their trainable parameter counts for N_CHANS x N_TIMES windows.

    \b
    Example:
      seizurepred models -o pool_channels=false
    """
    import inspect

    from seizurepred.models import build_model, count_parameters, get_model_class, list_models
    from seizurepred.models.registry import check_any_model_option

    parsed = dict(_parse(o) for o in options)
    check_any_model_option(parsed, source="--option")
    click.echo(f"{'model':<18} {'parameters':>12}  description (input {n_chans} x {n_times})")
    for name in list_models():
        cls = get_model_class(name)
        accepted = inspect.signature(cls.__init__).parameters
        opts = {k: v for k, v in parsed.items() if k in accepted}
        n = count_parameters(build_model(name, n_chans=n_chans, n_times=n_times, **opts))
        doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        shown = "" if not opts else " [" + ", ".join(f"{k}={v}" for k, v in opts.items()) + "]"
        click.echo(f"{name:<18} {n:>12,d}  {doc}{shown}")


def _parse(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise click.BadParameter(f"expected NAME=VALUE; got {text!r}.", param_hint="'--option'")
    name, raw = (p.strip() for p in text.split("=", 1))
    low = raw.lower()
    if low in ("true", "false"):
        return name, low == "true"
    for cast in (int, float):
        try:
            return name, cast(raw)
        except ValueError:
            pass
    return name, raw
