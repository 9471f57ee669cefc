"""Import presets: a user's saved CSV settings under a name, and the built-in ones.

A preset whose `header_signature` matches an uploaded file's header is chosen for it
automatically (`match_preset`); the built-ins (`statements.app_exports.BUILTIN_PRESETS`) read
other apps' exports and this app's own CSV export without any mapping.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from expense_app.models import User


@dataclass(frozen=True)
class PresetView:
    """A user's preset (`builtin=False`, `key=None`) or a built-in one (`builtin=True`, `id=None`)."""

    id: int | None
    key: str | None
    name: str
    builtin: bool
    settings: dict
    created_at: dt.datetime | None
    updated_at: dt.datetime | None


def list_presets(*, user: User) -> list[PresetView]:
    raise NotImplementedError


def get_preset(*, user: User, preset_id) -> PresetView:
    raise NotImplementedError


def create_preset(*, user: User, name, settings, sample: bytes | None = None) -> PresetView:
    """`sample`: a file (or its first lines) whose header the preset is chosen for."""
    raise NotImplementedError


def update_preset(*, user: User, preset_id, name=None, settings=None, sample: bytes | None = None) -> PresetView:
    raise NotImplementedError


def delete_preset(*, user: User, preset_id) -> None:
    raise NotImplementedError


def match_preset(*, user: User, data: bytes):
    """The user's preset (ImportPreset) whose header signature matches `data`'s header, else None."""
    raise NotImplementedError
