"""Shared fixtures: the bundled samples, the labelled corpus, and a warehouse under tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CORPUS = ROOT.parent / "shared" / "corpus" / "dev"


@pytest.fixture
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the labelled corpus is missing: {CORPUS} (CI clones it beside the project)")
    return CORPUS


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """A private copy of the samples, so a test can drop bad files in without touching the repo."""
    target = tmp_path / "inbox"
    shutil.copytree(SAMPLES, target)
    return target
