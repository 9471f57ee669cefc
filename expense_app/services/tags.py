"""Tags: free-form labels on expenses, created on first use and listed with their counts.

A tag is stored trimmed and lower-cased, once per user (`uq_tags_user_id_name`). Tags are never
created directly: `resolve_tags` makes the missing ones while an expense is saved, inside that
expense's transaction, and tolerates another request creating the same tag at the same moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from expense_app.extensions import db
from expense_app.models import Tag, User, expense_tags
from expense_app.services.rules import Errors, add_error, has_control_characters

MAX_TAGS = 20
TAG_MAX_LENGTH = 50


@dataclass(frozen=True)
class TagSummary:
    """A tag as listed: its name and how many of the user's expenses carry it."""

    id: int
    name: str
    expense_count: int


def normalize_tag(name: str) -> str:
    """The stored form of a tag name: trimmed and lower-cased."""
    return name.strip().lower()


def clean_tag_names(errors: Errors, field: str, names: Iterable[str] | None) -> list[str]:
    """Return the tag names normalised and de-duplicated (first occurrence wins, order kept).

    Records an error on `field` for a non-string or a name outside 1-50 characters, and when more
    than 20 distinct tags remain.
    """
    if names is None:
        return []
    if isinstance(names, str):
        add_error(errors, field, "Must be a list of tags.")
        return []
    cleaned: list[str] = []
    for name in names:
        if not isinstance(name, str):
            add_error(errors, field, "Each tag must be text.")
            return []
        tag = normalize_tag(name)
        if not 1 <= len(tag) <= TAG_MAX_LENGTH:
            add_error(errors, field, f"Each tag must be 1 to {TAG_MAX_LENGTH} characters.")
            return []
        if has_control_characters(tag):
            add_error(errors, field, "Tags must not contain control characters.")
            return []
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        add_error(errors, field, f"At most {MAX_TAGS} tags are allowed (got {len(cleaned)}).")
    return cleaned


def _insert_ignoring_duplicates():
    # INSERT ... ON CONFLICT DO NOTHING exists on both databases, under dialect-specific constructs.
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Tag)


def resolve_tags(*, user: User, names: list[str]) -> list[Tag]:
    """Return the user's Tag rows for already-cleaned `names`, creating the missing ones.

    Does not commit: the caller's transaction (saving an expense) owns the new rows. Two requests
    creating the same tag at once cannot collide, because the insert skips a row that already
    exists (PostgreSQL waits for the other transaction, then skips) instead of failing.
    """
    if not names:
        return []
    existing = set(db.session.scalars(sa.select(Tag.name).where(Tag.user_id == user.id, Tag.name.in_(names))))
    missing = [name for name in names if name not in existing]
    if missing:
        stmt = _insert_ignoring_duplicates().on_conflict_do_nothing(index_elements=["user_id", "name"])
        db.session.execute(stmt, [{"user_id": user.id, "name": name} for name in missing])
    return list(db.session.scalars(sa.select(Tag).where(Tag.user_id == user.id, Tag.name.in_(names))))


def list_tags(*, user: User) -> list[TagSummary]:
    """Return every tag of `user` with its expense count, by name (unused tags count 0)."""
    rows = db.session.execute(
        sa.select(Tag.id, Tag.name, sa.func.count(expense_tags.c.expense_id))
        .outerjoin(expense_tags, expense_tags.c.tag_id == Tag.id)
        .where(Tag.user_id == user.id)
        .group_by(Tag.id, Tag.name)
        .order_by(Tag.name)
    )
    return [TagSummary(id=tag_id, name=name, expense_count=count) for tag_id, name, count in rows]
