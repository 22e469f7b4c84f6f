"""Shared fixtures: the CLI binary (built by `cargo build --release --features cli`)."""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli() -> str:
    """The `ghostload` binary: $GHOSTLOAD_CLI, or the repository's release build."""
    path = os.environ.get("GHOSTLOAD_CLI") or str(REPO / "target" / "release" / "ghostload")
    if not os.path.exists(path):
        found = shutil.which("ghostload")
        if found is None:
            pytest.fail(
                f"the ghostload CLI is needed at {path}: run `cargo build --release --features cli` "
                "or set GHOSTLOAD_CLI"
            )
        path = found
    return path
