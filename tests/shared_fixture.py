"""Where the real Home Assistant 2024.3.3 config folder lies: shared/ beside the checkout."""

from __future__ import annotations

from pathlib import Path

__all__ = ["HA_FIXTURE"]

_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "ha-2024.3-config",
    Path("/work/shared/fixtures/ha-2024.3-config"),
)

#: The fixture folder (read-only: tests copy it before opening anything in it).
HA_FIXTURE = next((path for path in _CANDIDATES if path.is_dir()), _CANDIDATES[0])
