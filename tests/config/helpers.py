"""Writing configuration files for the tests: a valid base with a memory connector and a shipped template."""

from __future__ import annotations

import textwrap
from pathlib import Path

BASE = """\
database:
  url: sqlite:///var/test.db
plants:
  - id: plant-a
    name: Plant A
    gln: "4012345000009"
    lines:
      - id: line-1
connectors:
  - name: mes-line1
    kind: memory
    line: line-1
    options:
      channel: mes-line1
mappings:
  - template: mes-production-confirmation
    connectors: [mes-line1]
"""


def write(folder: Path, text: str = BASE, name: str = "lotline.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path
