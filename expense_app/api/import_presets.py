"""Import presets: saved CSV settings under a name ("ING checking"), chosen automatically for a file
whose header matches, and the built-in ones that read other apps' exports without any mapping.

The operations are tagged Import with the upload they serve, not with a tag of their own.
"""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from expense_app.api.authentication import auth_required, token_user
from expense_app.api.docs import protected
from expense_app.api.schemas.imports import SETTINGS_EXAMPLE, PresetCreateSchema, PresetSchema, PresetUpdateSchema
from expense_app.services import import_presets

URL_PREFIX = "/import-presets"
TAGS = ["Import"]
blp = Blueprint(
    "ImportPresets",
    __name__,
    description="Saved CSV import settings (presets) and the built-in presets for other apps' exports.",
)

PRESET_EXAMPLE = {
    "id": 2,
    "key": None,
    "name": "ING checking",
    "builtin": False,
    "settings": SETTINGS_EXAMPLE,
    "created_at": "2026-11-26T09:30:00+00:00",
    "updated_at": "2026-11-26T09:30:00+00:00",
}
BUILTIN_EXAMPLE = {
    "id": None,
    "key": "firefly",
    "name": "Firefly III export",
    "builtin": True,
    "settings": {"delimiter": ",", "date_format": "%Y-%m-%d"},
    "created_at": None,
    "updated_at": None,
}


def _fields(data: dict) -> dict:
    """The loaded body as the service's keyword arguments.

    `sample` arrives as text; the service compares it with files as bytes, so it is encoded as the
    files are (the settings' `encoding`, UTF-8 when none is given or it is unknown).
    """
    if "sample" not in data:
        return data
    encoding = (data.get("settings") or {}).get("encoding") or "utf-8"
    try:
        sample = data["sample"].encode(encoding, errors="replace")
    except (LookupError, TypeError):  # not a codec Python knows: the service refuses the settings
        sample = data["sample"].encode("utf-8")
    return {**data, "sample": sample}


@blp.route("", tags=TAGS)
class PresetCollection(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="list_import_presets")
    @protected(blp)
    @blp.response(200, PresetSchema(many=True), example=[PRESET_EXAMPLE, BUILTIN_EXAMPLE])
    def get(self):
        """List import presets

        Yours (by name), then the built-ins (`builtin: true`, no id, a `key` to upload with as
        `builtin_preset`).
        """
        return import_presets.list_presets(user=token_user)

    @blp.doc(operationId="create_import_preset")
    @protected(blp, 404, 409, 422)
    @blp.arguments(PresetCreateSchema, example={"name": "ING checking", "settings": SETTINGS_EXAMPLE})
    @blp.response(
        201,
        PresetSchema,
        headers={"Location": {"description": "URL of the new preset.", "schema": {"type": "string"}}},
        example=PRESET_EXAMPLE,
    )
    def post(self, data):
        """Save a preset

        CSV settings under a name of yours (unique: 409 otherwise). Settings that do not make sense
        are 422 naming them. With `sample` (the file's first lines, as text) or `batch_id` (a
        staged import of yours), files with that header get the preset automatically on upload.
        """
        created = import_presets.create_preset(user=token_user, **_fields(data))
        return created, 201, {"Location": url_for("ImportPresets.PresetItem", preset_id=created.id)}


@blp.route("/<int:preset_id>", tags=TAGS)
class PresetItem(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_import_preset")
    @protected(blp, 404)
    @blp.response(200, PresetSchema, example=PRESET_EXAMPLE)
    def get(self, preset_id):
        """Get an import preset

        One of yours; another user's is 404.
        """
        return import_presets.get_preset(user=token_user, preset_id=preset_id)

    @blp.doc(operationId="update_import_preset")
    @protected(blp, 404, 409, 422)
    @blp.arguments(PresetUpdateSchema, example={"name": "ING joint account"})
    @blp.response(200, PresetSchema, example=PRESET_EXAMPLE)
    def patch(self, data, preset_id):
        """Update an import preset

        Changes only the fields sent; `settings` replaces all of them.
        """
        return import_presets.update_preset(user=token_user, preset_id=preset_id, **_fields(data))

    @blp.doc(operationId="delete_import_preset")
    @protected(blp, 404)
    @blp.response(204)
    def delete(self, preset_id):
        """Delete an import preset

        Batches read with it keep their settings.
        """
        import_presets.delete_preset(user=token_user, preset_id=preset_id)
