"""The Kubernetes Indexed Job manifest keeps the fields docs/scale-out.md
describes (read as text: no YAML parser needed), and the docs point at it."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "docs" / "k8s" / "ghostload-indexed-job.yaml"
DOC = REPO / "docs" / "scale-out.md"


def test_indexed_job_manifest_key_fields() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    assert re.search(r"^kind:\s*Job\s*$", text, re.MULTILINE)
    assert re.search(r"^\s+completionMode:\s*Indexed\b", text, re.MULTILINE)
    completions = re.search(r"^\s+completions:\s*(\d+)", text, re.MULTILINE)
    assert completions and re.search(r"^\s+parallelism:\s*\d+", text, re.MULTILINE)
    # JOB_COMPLETION_INDEX is 0-based, --shard 1-based.
    assert "--shard $((JOB_COMPLETION_INDEX + 1))/" in text
    assert "--output-dir /data/shard-${JOB_COMPLETION_INDEX}" in text
    shards = re.search(r'name:\s*SHARDS\s*\n\s*value:\s*"(\d+)"', text)
    assert shards and shards.group(1) == completions.group(1), "SHARDS must equal completions"
    assert "mountPath: /data" in text


def test_scale_out_doc_embeds_the_manifest() -> None:
    doc = DOC.read_text(encoding="utf-8")
    manifest = MANIFEST.read_text(encoding="utf-8")
    body = manifest[manifest.index("apiVersion:"):].strip()
    assert body in doc, "docs/scale-out.md and docs/k8s/ghostload-indexed-job.yaml differ"
    assert "ghostload validate --shards /data/shard-*" in doc
    assert "examples/spark/generate.py" in doc
