"""``seizurepred manifest``: build the committed CHB-MIT manifests and show one case as a readable table."""

from __future__ import annotations

import json
from pathlib import Path

import click

from seizurepred.cli.options import NonEmptyPath
from seizurepred.io.manifest import Manifest, load_manifest


def format_clock(clock_s: float | None) -> str:
    """Format a patient-clock time as ``h:mm:ss`` (hours may exceed 24; ``?`` when unknown)."""
    if clock_s is None:
        return "?"
    s = int(round(clock_s))
    sign = "-" if s < 0 else ""
    s = abs(s)
    return f"{sign}{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _gap(prev_end: float | None, start: float | None) -> str:
    if prev_end is None or start is None:
        return ""
    gap_s = start - prev_end
    return f"{gap_s:.0f} s" if abs(gap_s) < 3600 else f"{gap_s / 3600:.2f} h"


def _channel_sets(manifest: Manifest) -> dict[tuple[str, ...], str]:
    """Name each distinct channel list ``A``, ``B``, ... in order of first use."""
    names: dict[tuple[str, ...], str] = {}
    for rec in manifest.recordings:
        names.setdefault(rec.channels, chr(ord("A") + len(names)) if len(names) < 26 else f"S{len(names)}")
    return names


def render_manifest(manifest: Manifest) -> str:
    """Return the human-readable report of a manifest (recordings, gaps, channel sets, seizures, totals, notes)."""
    sets = _channel_sets(manifest)
    sex = manifest.sex or "?"
    age = "?" if manifest.age_years is None else f"{manifest.age_years:g}"
    out = [
        f"{manifest.case}  (source {manifest.source or '?'}; {manifest.sfreq:g} Hz; sex {sex}; age {age} y)",
        "",
    ]
    out.append(
        f"{'#':>3}  {'file':<16} {'start':>9} {'end':>9} {'hours':>6} {'gap before':>11}  ch  seizures"
    )
    prev_end = None
    for i, rec in enumerate(manifest.recordings):
        hours = "?" if rec.duration_s is None else f"{rec.duration_s / 3600:.2f}"
        gap = _gap(prev_end, rec.start_clock_s)
        marker = sets[rec.channels]
        out.append(
            f"{i:>3}  {rec.file_name:<16} {format_clock(rec.start_clock_s):>9} {format_clock(rec.end_clock_s):>9} "
            f"{hours:>6} {gap:>11}  {marker:<3} {len(rec.seizures) or ''}"
        )
        prev_end = rec.end_clock_s if rec.end_clock_s is not None else prev_end
    out += ["", "Channel sets:"]
    for channels, name in sets.items():
        first = next(r.file_name for r in manifest.recordings if r.channels == channels)
        out.append(f"  {name} ({len(channels)} channels, from {first}): {' '.join(channels)}")
    out += [
        "",
        "Seizures:",
        f"{'id':>4}  {'file':<16} {'onset s':>8} {'end s':>8} {'dur s':>6} {'onset':>9} {'end':>9}",
    ]
    for ev in manifest.seizures:
        out.append(
            f"{ev.seizure_id:>4}  {ev.file_name:<16} {ev.onset_s:>8g} {ev.offset_s:>8g} {ev.offset_s - ev.onset_s:>6g} "
            f"{format_clock(ev.onset_clock_s):>9} {format_clock(ev.offset_clock_s):>9}"
        )
    n_with = sum(bool(r.seizures) for r in manifest.recordings)
    n_unknown = sum(not r.has_times for r in manifest.recordings)
    out += [
        "",
        f"Totals: {len(manifest)} recordings ({n_with} with seizures, {n_unknown} with unknown times), "
        f"{manifest.total_hours:.2f} h recorded, {manifest.n_seizures} seizures, {len(sets)} channel set(s).",
    ]
    if manifest.notes:
        out += ["", "Notes:"] + [f"  - {note}" for note in manifest.notes]
    return "\n".join(out)


def manifest_json(manifest: Manifest) -> str:
    """Return the manifest's JSON (the committed format) with a ``derived`` block (seizures on the clock, totals)."""
    data = manifest.to_dict()
    data["derived"] = {
        "n_recordings": len(manifest),
        "n_recordings_with_seizures": sum(bool(r.seizures) for r in manifest.recordings),
        "n_seizures": manifest.n_seizures,
        "total_hours": manifest.total_hours,
        "seizures": [
            {
                "seizure_id": ev.seizure_id,
                "file_name": ev.file_name,
                "onset_s": ev.onset_s,
                "offset_s": ev.offset_s,
                "onset_clock_s": ev.onset_clock_s,
                "offset_clock_s": ev.offset_clock_s,
            }
            for ev in manifest.seizures
        ],
    }
    return json.dumps(data, indent=1, sort_keys=True)


@click.group("manifest")
def manifest() -> None:
    """Build and show CHB-MIT case manifests (one JSON per case in data_manifests/)."""


def _committed_metadata(part: str = "") -> Path:
    """The real CHB-MIT metadata committed in the repository (``data_manifests/metadata/``), or a part of it."""
    from seizurepred.io.download_plan import metadata_dir

    return metadata_dir() / part


@manifest.command("build")
@click.option(
    "--summaries",
    "summaries_dir",
    default=lambda: _committed_metadata("summaries"),
    show_default="data_manifests/metadata/summaries",
    type=NonEmptyPath(exists=True, file_okay=False, path_type=Path),
    help="Folder with the chbNN-summary.txt files.",
)
@click.option(
    "--meta",
    "meta_dir",
    default=lambda: _committed_metadata(),
    show_default="data_manifests/metadata",
    type=NonEmptyPath(exists=True, file_okay=False, path_type=Path),
    help="Folder with RECORDS, RECORDS-WITH-SEIZURES, SUBJECT-INFO and SHA256SUMS.txt.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=NonEmptyPath(file_okay=False, path_type=Path),
    help="Output folder (e.g. data_manifests/); one CASE.json per case is written.",
)
def build(summaries_dir: Path, meta_dir: Path, out_dir: Path) -> None:
    """Build the manifest of every case from the real CHB-MIT metadata files (by default the committed copies)."""
    from seizurepred.io.build_manifests import build_all

    paths = build_all(summaries_dir, meta_dir, out_dir)
    click.echo(f"Wrote {len(paths)} manifests to {out_dir}.")


@manifest.command("show")
@click.argument("case")
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (the manifest plus derived seizure times and totals)."
)
def show(case: str, as_json: bool) -> None:
    """Show the committed manifest of CASE (e.g. chb01): recordings, gaps, channel sets, seizures, notes."""
    m = load_manifest(case)
    click.echo(manifest_json(m) if as_json else render_manifest(m))
