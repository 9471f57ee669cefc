"""Schemas of the Categories endpoints (names, colours and icons are checked by the service)."""

from marshmallow import fields

from expense_app.api.schemas import StrictSchema
from expense_app.api.schemas.fields import AsciiInteger, money_output, unconverted_count


class CategorySchema(StrictSchema):
    id = fields.Integer(dump_only=True, metadata={"example": 3})
    name = fields.String(dump_only=True, metadata={"example": "Groceries"})
    color = fields.String(dump_only=True, metadata={"example": "#198754"})
    icon = fields.String(dump_only=True, allow_none=True, metadata={"example": "cart"})
    expense_count = fields.Integer(
        dump_only=True, metadata={"description": "How many expenses are in this category.", "example": 12}
    )
    total_amount = money_output(
        description="Sum of its expenses' amounts in your base currency (their `base_amount`s).", example="245.80"
    )
    unconverted_count = unconverted_count()
    created_at = fields.AwareDateTime(dump_only=True, metadata={"example": "2026-11-26T09:30:00+00:00"})


NAME = {"description": "1 to 50 characters, trimmed; unique per user ignoring case.", "example": "Groceries"}
COLOR = {"description": "A hex colour `#rrggbb`; `#6c757d` (grey) when omitted.", "example": "#198754"}
ICON = {"description": "An icon name, at most 32 characters; an empty string removes it.", "example": "cart"}


class CategoryCreateSchema(StrictSchema):
    name = fields.String(required=True, metadata=NAME)
    color = fields.String(metadata=COLOR)
    icon = fields.String(metadata=ICON)


class CategoryUpdateSchema(StrictSchema):
    name = fields.String(metadata=NAME)
    color = fields.String(metadata=COLOR)
    icon = fields.String(metadata=ICON)


class CategoryDeleteArgsSchema(StrictSchema):
    reassign_to = AsciiInteger(
        metadata={
            "description": "Another of your categories to move this category's expenses to before deleting it. "
            "Required when the category still has expenses.",
            "example": 8,
        }
    )
