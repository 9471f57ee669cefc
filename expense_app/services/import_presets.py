"""Import presets: a user's saved CSV settings under a name, and the built-in ones.

A preset whose `header_signature` matches an uploaded file's header is chosen for it
automatically (`match_preset`); the built-ins (`statements.app_exports.BUILTIN_PRESETS`) read
other apps' exports and this app's own CSV export without any mapping.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from expense_app.errors import Conflict, NotFound, ValidationFailed
from expense_app.extensions import db
from expense_app.models import ImportPreset, User
from expense_app.services.rules import Errors, clean_text, is_storable_id, parse_id, raise_if
from expense_app.services.unit_of_work import transaction

NAME_MAX_LENGTH = 100
MAX_PRESETS = 100
PRESET_NOT_FOUND = "Import preset not found."


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


def _view(preset: ImportPreset) -> PresetView:
    return PresetView(
        preset.id, None, preset.name, False, dict(preset.settings or {}), preset.created_at, preset.updated_at
    )


def _taken(name: str) -> Conflict:
    message = f"You already have an import preset called \u201c{name}\u201d."
    return Conflict(message, {"name": [message]})


def owned_preset(*, user: User, preset_id) -> ImportPreset:
    """The user's preset row; NotFound when it is missing or someone else's."""
    if not is_storable_id(preset_id):
        raise NotFound(PRESET_NOT_FOUND)
    preset = db.session.scalar(
        sa.select(ImportPreset).where(ImportPreset.id == parse_id(preset_id), ImportPreset.user_id == user.id)
    )
    if preset is None:
        raise NotFound(PRESET_NOT_FOUND)
    return preset


def _clean_settings(settings) -> dict:
    from expense_app.statements.csv_settings import CsvSettings

    if not isinstance(settings, dict):
        raise ValidationFailed({"settings": ["Must be an object of CSV settings."]})
    try:
        return CsvSettings.from_dict(settings).as_dict()
    except (ValueError, TypeError) as error:
        raise ValidationFailed({"settings": [str(error) or "Invalid CSV settings."]}) from None


def _signature(sample: bytes | None, settings: dict) -> str | None:
    if not sample:
        return None
    from expense_app.services.import_staging import header_signature

    return header_signature(sample, settings)


def _check_name_free(user: User, name: str, except_id: int | None = None) -> None:
    query = sa.select(ImportPreset.id).where(
        ImportPreset.user_id == user.id, sa.func.lower(ImportPreset.name) == name.lower()
    )
    if except_id is not None:
        query = query.where(ImportPreset.id != except_id)
    if db.session.scalar(query) is not None:
        raise _taken(name)


def list_presets(*, user: User) -> list[PresetView]:
    """The user's presets by name, then the built-in ones."""
    from expense_app.statements import app_exports

    own = db.session.scalars(
        sa.select(ImportPreset).where(ImportPreset.user_id == user.id).order_by(sa.func.lower(ImportPreset.name))
    )
    builtins = [
        PresetView(None, key, preset["name"], True, dict(preset["settings"]), None, None)
        for key, preset in app_exports.BUILTIN_PRESETS.items()
    ]
    return [*map(_view, own), *builtins]


def get_preset(*, user: User, preset_id) -> PresetView:
    return _view(owned_preset(user=user, preset_id=preset_id))


def _batch_file(user: User, batch_id) -> bytes | None:
    """The stored file of the user's staged import `batch_id` (None once committed); NotFound
    for a missing or foreign batch."""
    from expense_app.models import ImportBatch

    found = (
        db.session.execute(
            sa.select(ImportBatch.id, ImportBatch.content).where(
                ImportBatch.id == parse_id(batch_id), ImportBatch.user_id == user.id
            )
        ).one_or_none()
        if is_storable_id(batch_id)
        else None
    )
    if found is None:
        raise NotFound("Import not found.")
    return found.content


def create_preset(*, user: User, name, settings, sample: bytes | None = None, batch_id=None) -> PresetView:
    """Save CSV settings under a name unique for the user (ignoring case); with `sample` (a file
    or its first lines), or `batch_id` (a staged import, whose stored file is the sample), the
    preset is chosen for files with the same header."""
    if sample is None and batch_id is not None:
        sample = _batch_file(user, batch_id)
    errors: Errors = {}
    name = clean_text(errors, "name", name, max_length=NAME_MAX_LENGTH, required=True)
    raise_if(errors)
    cleaned = _clean_settings(settings)
    signature = _signature(sample, cleaned)
    with transaction(conflict=_taken(name)) as session:
        session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
        _check_name_free(user, name)
        count = session.scalar(sa.select(sa.func.count()).where(ImportPreset.user_id == user.id))
        if count >= MAX_PRESETS:
            raise ValidationFailed({"name": [f"You can keep at most {MAX_PRESETS} import presets."]})
        preset = ImportPreset(user_id=user.id, name=name, settings=cleaned, header_signature=signature)
        session.add(preset)
        session.flush()
    return _view(preset)


def update_preset(*, user: User, preset_id, name=None, settings=None, sample: bytes | None = None) -> PresetView:
    """Rename a preset or change its settings (a new `sample` renews its header signature)."""
    errors: Errors = {}
    if name is not None:
        name = clean_text(errors, "name", name, max_length=NAME_MAX_LENGTH, required=True)
    raise_if(errors)
    cleaned = _clean_settings(settings) if settings is not None else None
    with transaction(conflict=_taken(name or "")) as session:
        # The user's row, as create_preset does: names are unique ignoring case, which the
        # database's own (case-sensitive) constraint does not see.
        session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
        preset = owned_preset(user=user, preset_id=preset_id)
        if name is not None:
            _check_name_free(user, name, except_id=preset.id)
            preset.name = name
        if cleaned is not None:
            preset.settings = cleaned
        if sample:
            preset.header_signature = _signature(sample, preset.settings)
    return _view(preset)


def delete_preset(*, user: User, preset_id) -> None:
    """Delete a preset; batches read with it keep their rows and forget it."""
    with transaction() as session:
        preset = owned_preset(user=user, preset_id=preset_id)
        session.delete(preset)


def match_preset(*, user: User, data: bytes) -> ImportPreset | None:
    """The user's preset whose header signature matches `data`'s header under that preset's own
    settings (the newest first when several do), else None."""
    presets = db.session.scalars(
        sa.select(ImportPreset)
        .where(ImportPreset.user_id == user.id, ImportPreset.header_signature.is_not(None))
        .order_by(ImportPreset.updated_at.desc(), ImportPreset.id.desc())
    )
    for preset in presets:
        if _signature(data, preset.settings) == preset.header_signature:
            return preset
    return None
