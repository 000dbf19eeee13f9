"""Progress bars (seizurepred._progress): silenced by set_quiet, SEIZUREPRED_QUIET and under pytest."""

from __future__ import annotations

from seizurepred import _progress


def test_progress_yields_every_item_and_is_quiet_under_pytest():
    assert _progress.is_quiet()
    assert list(_progress.progress(range(5), desc="x")) == [0, 1, 2, 3, 4]


def test_set_quiet_and_environment(monkeypatch):
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.delenv("SEIZUREPRED_QUIET", raising=False)
    _progress.set_quiet(False)
    assert not _progress.is_quiet()
    _progress.set_quiet(True)
    assert _progress.is_quiet()
    _progress.set_quiet(False)
    monkeypatch.setenv("SEIZUREPRED_QUIET", "1")
    assert _progress.is_quiet()
