"""docs/python.md runs end to end: every Python block in order, in one namespace, and each
block's output is the text block that follows it in the document.

With PARQUETRY_UPDATE_DOCS=1 the plot the walkthrough draws is copied into docs/images.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "python.md"
BLOCK = re.compile(r"```(python|text)\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str | None]]:
    """Each Python block with the text block right after it (None when there is none)."""
    found = [(m.group(1), m.group(2), m.start(), m.end()) for m in BLOCK.finditer(DOC.read_text())]
    out = []
    for i, (kind, code, _, end) in enumerate(found):
        if kind != "python":
            continue
        expected = None
        if i + 1 < len(found) and found[i + 1][0] == "text":
            between = DOC.read_text()[end : found[i + 1][2]]
            if not between.strip():
                expected = found[i + 1][1]
        out.append((code, expected))
    return out


def test_the_walkthrough_runs_and_prints_what_the_document_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for code, expected in blocks():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(DOC), "exec"), namespace)
        if expected is not None:
            shown = [line.rstrip() for line in out.getvalue().rstrip().splitlines()]
            assert shown == [line.rstrip() for line in expected.rstrip().splitlines()], code
    plot = tmp_path / "python-walkthrough-p95.png"
    assert plot.stat().st_size > 10_000
    if os.environ.get("PARQUETRY_UPDATE_DOCS") == "1":
        shutil.copy(plot, DOC.parent / "images" / plot.name)
