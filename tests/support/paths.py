"""Where the reference data beside the repository lives (``../shared``, as in CI)."""

from __future__ import annotations

from pathlib import Path

#: The repository's root folder.
REPO = Path(__file__).resolve().parents[2]
#: The shared reference folder next to the clone: the seed form and the JSON schemas.
SHARED = REPO.parent / "shared"
SCHEMAS = SHARED / "schemas"
