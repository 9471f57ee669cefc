"""Categorisation rules: a user's ordered "when these conditions hold, do these actions", and runs.

A rule document (name, `match` all/any, conditions, actions, `active`, `stop_after`) is validated
here, the only writer of `models.rules`; the faces and `services/suggestions.py` use only the public
functions and constants below. Rules apply:
- to one would-be expense (`apply_to_fields`: manual entry with `apply_rules`, the import preview;
  `skip` only counts there, with `for_import=True`);
- retroactively over a date range: `dry_run` lists what would change (paged) and changes nothing,
  `apply_run` applies exactly that in one transaction and records each change, `undo_run` puts it
  back for every expense not changed since.

Evaluation: the rules run in order (position, id); a rule matches when all (`all`) or one (`any`)
of its conditions hold; its actions apply at once, and **later rules see earlier rules' changes**
(a rule on `description contains "starbucks"` matches a description an earlier rule rewrote to
"Starbucks"; a later `set_category` wins over an earlier one; tags accumulate). A matched rule with
`stop_after` ends the evaluation.

Text conditions are case-insensitive (Python's `str.lower()`). Regular expressions use RE2 (linear
time, no backtracking, so a user's `(a+)+$` cannot stall a worker), with a memory bound and a
pattern length limit; RE2 has no backreferences (`\\1` inside a pattern) or look-arounds.

Speed: a run reads the range in keyset batches of plain columns (one grouped tag query per batch)
and evaluates in Python. Conditions SQL can judge (text contains/equals/starts/ends with an ASCII
value as lower() LIKE with escaped wildcards, amounts, payment method, currency) become one boolean
column per rule, so Python only tries the rules that can match a row, and their OR is the WHERE
when every rule has one. Python still decides, so SQL only has to give a superset. A condition on a
field an earlier rule in the run can change (description, payment method) is not pushed: the row
may match only after that change. The regex conditions of the rules run together form one RE2 set
per text field (one search per description, however many regex rules).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import re2
import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from expense_app.errors import Conflict, NotFound, ValidationFailed
from expense_app.extensions import db
from expense_app.models import PAYMENT_METHODS, Category, Expense, Tag, User, expense_tags
from expense_app.models.base import utcnow
from expense_app.models.rules import Rule, RuleRun, RuleRunChange
from expense_app.services.rules import (
    REQUIRED,
    Errors,
    add_error,
    add_years,
    clean_choice,
    clean_currency,
    clean_date,
    clean_ids,
    clean_int,
    clean_money,
    clean_text,
    is_blank,
    is_storable_id,
    parse_decimal,
    parse_id,
    raise_if,
)
from expense_app.services.tags import clean_tag_names, resolve_tags
from expense_app.services.unit_of_work import transaction

MATCH_MODES = ("all", "any")
TEXT_FIELDS = ("description", "notes")
TEXT_OPERATORS = ("contains", "equals", "starts_with", "ends_with", "regex")  # case-insensitive
AMOUNT_OPERATORS = ("=", "<", "<=", ">", ">=", "between")  # on `amount` (original amount)
CHOICE_FIELDS = ("payment_method", "currency")  # operator "equals" only
ACTION_TYPES = ("set_category", "add_tags", "set_payment_method", "rewrite_description", "skip")
CONDITION_FIELDS = (*TEXT_FIELDS, "amount", *CHOICE_FIELDS)
MAX_RULES = 200
MAX_CONDITIONS = 20
MAX_ACTIONS = 10
MAX_PATTERN_LENGTH = 500
NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 255  # the expenses.description column
MAX_RUN_YEARS = 10
MAX_PER_PAGE = 200
# RE2's memory budget per compiled pattern: far above any sane pattern, far below a worker's memory.
REGEX_MAX_MEM = 8 << 20
# Rows read per batch in a run: large enough to amortise a round trip, small enough to stream.
BATCH_SIZE = 2000

RULE_NOT_FOUND = "Rule not found."
RUN_NOT_FOUND = "Rule run not found."
CATEGORY_NOT_YOURS = "Choose one of your categories."
RULE_FIELDS = ("name", "conditions", "actions", "match", "active", "stop_after")

_GROUP_REFERENCE = re.compile(r"\\(?:(\d+)|g<([^>]*)>|(.)|$)", re.DOTALL)


# --- regular expressions ---------------------------------------------------------------------------


def _regex_options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = REGEX_MAX_MEM
    options.log_errors = False  # a user's bad pattern is a 422, not a line on the server's stderr
    return options


def compile_pattern(errors: Errors, field_name: str, pattern) -> re2._Regexp | None:
    """Compile a user's pattern with RE2 (case-insensitive, bounded memory); record an error
    naming `field_name` when it is not text, blank, too long or not valid RE2 syntax."""
    text = clean_text(errors, field_name, pattern, max_length=MAX_PATTERN_LENGTH, required=True)
    if field_name in errors:
        return None
    try:
        return re2.compile(text, _regex_options())
    except Exception as error:  # re2.error, or a pattern over max_mem
        detail = error.args[0].decode(errors="replace") if error.args and isinstance(error.args[0], bytes) else ""
        message = f"Not a valid regular expression ({detail})." if detail else "Not a valid regular expression."
        if re.search(r"\\[1-9]", text):
            message += " Backreferences such as \\1 are not supported inside a pattern (RE2)."
        add_error(errors, field_name, message)
        return None


def _check_replacement(errors: Errors, field_name: str, replacement: str, regex) -> None:
    """A replacement may use `\\1` or `\\g<1>` / `\\g<name>` for groups the pattern has."""
    for match in _GROUP_REFERENCE.finditer(replacement):
        number, group, _other = match.groups()
        if match.group(0) == "\\":
            add_error(errors, field_name, "Must not end with a lone backslash.")
            return
        reference = number if number is not None else group
        if reference is None:
            continue
        if reference.isdigit() and reference.isascii():
            if int(reference) > regex.groups:
                add_error(errors, field_name, f"Refers to group {reference}; the pattern has {regex.groups}.")
                return
        elif reference not in regex.groupindex:
            add_error(errors, field_name, f"Refers to a group named {reference!r} the pattern does not have.")
            return


# --- validation of a rule document -------------------------------------------------------------------


def _clean_bool(errors: Errors, field_name: str, value, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        add_error(errors, field_name, "Must be true or false.")
        return default
    return value


def _items(errors: Errors, field_name: str, value, most: int) -> list:
    if value is None or (isinstance(value, list | tuple) and not value):
        add_error(errors, field_name, "Give at least one.")
        return []
    if not isinstance(value, list | tuple):
        add_error(errors, field_name, "Must be a list.")
        return []
    if len(value) > most:
        add_error(errors, field_name, f"At most {most} are allowed (got {len(value)}).")
        return []
    return list(value)


def _clean_condition(errors: Errors, prefix: str, item) -> dict | None:
    if not isinstance(item, dict):
        add_error(errors, prefix, "Must be an object with field, operator and value.")
        return None
    name = clean_choice(errors, f"{prefix}.field", item.get("field"), CONDITION_FIELDS)
    if name is None:
        return None
    operator, value = item.get("operator"), item.get("value")
    if name in TEXT_FIELDS:
        operator = clean_choice(errors, f"{prefix}.operator", operator, TEXT_OPERATORS)
        if operator == "regex":
            regex = compile_pattern(errors, f"{prefix}.value", value)
            text = regex.pattern if regex is not None else None
        else:
            text = clean_text(errors, f"{prefix}.value", value, max_length=MAX_PATTERN_LENGTH, required=True)
        condition = {"field": name, "operator": operator, "value": text}
    elif name == "amount":
        operator = clean_choice(errors, f"{prefix}.operator", operator, AMOUNT_OPERATORS)
        low = clean_money(errors, f"{prefix}.value", value, allow_zero=True, example="10.00")
        condition = {"field": name, "operator": operator, "value": None if low is None else str(low)}
        if operator == "between":
            high = clean_money(errors, f"{prefix}.value2", item.get("value2"), allow_zero=True, example="20.00")
            if low is not None and high is not None and high < low:
                add_error(errors, f"{prefix}.value2", "Must be at least value.")
            condition["value2"] = None if high is None else str(high)
        elif not is_blank(item.get("value2")):
            add_error(errors, f"{prefix}.value2", "Only the between operator takes a second value.")
    else:
        if operator != "equals":
            add_error(errors, f"{prefix}.operator", "Must be one of: equals.")
        if name == "currency":
            if is_blank(value):
                add_error(errors, f"{prefix}.value", REQUIRED)
                code = None
            else:
                code = clean_currency(errors, f"{prefix}.value", value)
        else:
            code = clean_choice(errors, f"{prefix}.value", value, PAYMENT_METHODS)
        condition = {"field": name, "operator": "equals", "value": code}
    return condition


def _owned_category_ids(user: User) -> set[int]:
    return set(db.session.scalars(sa.select(Category.id).where(Category.user_id == user.id)))


def _clean_action(errors: Errors, prefix: str, item, category_ids: Callable[[], set[int]]) -> dict | None:
    if not isinstance(item, dict):
        add_error(errors, prefix, "Must be an object with a type.")
        return None
    kind = clean_choice(errors, f"{prefix}.type", item.get("type"), ACTION_TYPES)
    if kind == "set_category":
        value = item.get("category_id")
        if is_blank(value):
            add_error(errors, f"{prefix}.category_id", REQUIRED)
            return None
        category_id = parse_id(value)
        if category_id is None or category_id not in category_ids():
            add_error(errors, f"{prefix}.category_id", CATEGORY_NOT_YOURS)
            return None
        return {"type": kind, "category_id": category_id}
    if kind == "add_tags":
        tags = item.get("tags")
        if tags is None or (isinstance(tags, list | tuple) and not tags):
            add_error(errors, f"{prefix}.tags", "Give at least one tag.")
            return None
        names = clean_tag_names(errors, f"{prefix}.tags", tags)
        return {"type": kind, "tags": names}
    if kind == "set_payment_method":
        method = clean_choice(errors, f"{prefix}.payment_method", item.get("payment_method"), PAYMENT_METHODS)
        return {"type": kind, "payment_method": method}
    if kind == "rewrite_description":
        regex = compile_pattern(errors, f"{prefix}.pattern", item.get("pattern"))
        replacement = item.get("replacement")
        replacement = "" if replacement is None else replacement
        if not isinstance(replacement, str):
            add_error(errors, f"{prefix}.replacement", "Must be text.")
        elif len(replacement) > DESCRIPTION_MAX_LENGTH:
            add_error(errors, f"{prefix}.replacement", f"Use at most {DESCRIPTION_MAX_LENGTH} characters.")
        elif regex is not None:
            _check_replacement(errors, f"{prefix}.replacement", replacement, regex)
        return {"type": kind, "pattern": regex.pattern if regex else None, "replacement": replacement}
    if kind == "skip":
        return {"type": kind}
    return None


def clean_rule(*, user: User, document: dict) -> dict:
    """The rule document (the create_rule fields) validated and normalised; raises ValidationFailed
    with every bad field named (`conditions.0.value`, `actions.1.category_id`)."""
    errors: Errors = {}
    if not isinstance(document, dict):
        raise ValidationFailed({"rule": ["Must be an object."]})
    unknown = sorted(str(key) for key in document if key not in RULE_FIELDS)
    for key in unknown:
        add_error(errors, key, "Unknown field.")
    name = clean_text(errors, "name", document.get("name"), max_length=NAME_MAX_LENGTH, required=True)
    match = document.get("match")
    match = clean_choice(errors, "match", "all" if match is None else match, MATCH_MODES)
    active = _clean_bool(errors, "active", document.get("active"), True)
    stop_after = _clean_bool(errors, "stop_after", document.get("stop_after"), False)
    owned: set[int] | None = None

    def category_ids() -> set[int]:
        nonlocal owned
        if owned is None:
            owned = _owned_category_ids(user)
        return owned

    conditions = [
        _clean_condition(errors, f"conditions.{index}", item)
        for index, item in enumerate(_items(errors, "conditions", document.get("conditions"), MAX_CONDITIONS))
    ]
    actions = [
        _clean_action(errors, f"actions.{index}", item, category_ids)
        for index, item in enumerate(_items(errors, "actions", document.get("actions"), MAX_ACTIONS))
    ]
    raise_if(errors)
    return {
        "name": name,
        "match": match,
        "active": active,
        "stop_after": stop_after,
        "conditions": conditions,
        "actions": actions,
    }


# --- evaluation -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChanges:
    """What rules did (or would do) to one expense's fields; None / () = unchanged."""

    category_id: int | None = None
    payment_method: str | None = None
    description: str | None = None
    add_tags: tuple[str, ...] = ()
    skip: bool = False
    rule_ids: tuple[int, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(
            self.category_id is not None
            or self.payment_method is not None
            or self.description is not None
            or self.add_tags
            or self.skip
        )


class _RegexBook:
    """The regex conditions of the rules evaluated together, one RE2 set per text field: one pass
    over a description tells which of its patterns match (ten regex rules cost one search, not ten).
    A set too large for RE2's memory bound falls back to one search per pattern."""

    def __init__(self) -> None:
        self.patterns: dict[str, list[str]] = {name: [] for name in TEXT_FIELDS}
        self._sets: dict[str, object] = {}

    def add(self, name: str, pattern: str) -> int:
        self.patterns[name].append(pattern)
        self._sets.pop(name, None)
        return len(self.patterns[name]) - 1

    def _matcher(self, name: str):
        matcher = self._sets.get(name)
        if matcher is None:
            patterns = [pattern.encode() for pattern in self.patterns[name]]
            try:
                regex_set = re2.Set.SearchSet(_regex_options())
                for pattern in patterns:
                    regex_set.Add(pattern)
                regex_set.Compile()
                matcher = regex_set.Match
            except Exception:  # over max_mem together: each pattern alone was accepted
                regexes = [re2.compile(pattern, _regex_options()) for pattern in patterns]
                matcher = lambda data: [i for i, regex in enumerate(regexes) if regex.search(data)]  # noqa: E731
            self._sets[name] = matcher
        return matcher

    def hits(self, name: str, data: bytes) -> frozenset[int]:
        # RE2's set answers None, not [], when nothing matches.
        return frozenset(self._matcher(name)(data) or ()) if self.patterns[name] else frozenset()


class _Fields:
    """The fields rules look at, mutable while the rules run, with lower-cased text cached."""

    __slots__ = ("_book", "_hits", "_lower", "values")

    def __init__(self, values: dict, book: _RegexBook | None = None):
        self.values = values
        self._book = book
        self._lower: dict[str, str] = {}
        self._hits: dict[str, frozenset[int]] = {}

    def regex_hit(self, name: str, index: int) -> bool:
        hits = self._hits.get(name)
        if hits is None:
            hits = self._hits[name] = self._book.hits(name, (self.values.get(name) or "").encode())
        return index in hits

    def lower(self, name: str) -> str:
        text = self._lower.get(name)
        if text is None:
            text = self._lower[name] = (self.values.get(name) or "").lower()
        return text

    def set(self, name: str, value) -> None:
        self.values[name] = value
        self._lower.pop(name, None)
        self._hits.pop(name, None)


def _text_test(name: str, operator: str, value: str, book: _RegexBook) -> Callable[[_Fields], bool]:
    if operator == "regex":
        index = book.add(name, value)
        return lambda fields: fields.regex_hit(name, index)
    needle = value.lower()
    if operator == "contains":
        return lambda fields: needle in fields.lower(name)
    if operator == "equals":
        return lambda fields: fields.lower(name) == needle
    if operator == "starts_with":
        return lambda fields: fields.lower(name).startswith(needle)
    return lambda fields: fields.lower(name).endswith(needle)


_COMPARE = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _amount_test(operator: str, value: str, value2: str | None) -> Callable[[_Fields], bool]:
    low = Decimal(value)
    if operator == "between":
        high = Decimal(value2)
        return lambda fields: fields.values.get("amount") is not None and low <= fields.values["amount"] <= high
    compare = _COMPARE[operator]
    return lambda fields: fields.values.get("amount") is not None and compare(fields.values["amount"], low)


def _condition_test(condition: dict, book: _RegexBook) -> Callable[[_Fields], bool]:
    name, operator, value = condition["field"], condition["operator"], condition["value"]
    if name in TEXT_FIELDS:
        return _text_test(name, operator, value, book)
    if name == "amount":
        return _amount_test(operator, value, condition.get("value2"))
    if name == "currency":
        return lambda fields: (fields.values.get("currency") or "").upper() == value
    return lambda fields: fields.values.get("payment_method") == value


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _lowered(column):
    # Python's lower() turns two non-ASCII letters into ASCII ones (U+0130 -> "i̇", the Kelvin
    # sign -> "k") which SQLite's (and a C-locale PostgreSQL's) lower() leaves alone; mapping them
    # first keeps the SQL prefilter a superset of what Python matches, for every ASCII value.
    return sa.func.lower(sa.func.replace(sa.func.replace(column, "\u0130", "i"), "\u212a", "k"))


def _condition_sql(condition: dict):
    """The WHERE clause judging `condition` (a superset of Python's verdict), or None when SQL
    cannot (a regex, a text value with non-ASCII letters)."""
    name, operator, value = condition["field"], condition["operator"], condition["value"]
    column = getattr(Expense, name)
    if name in TEXT_FIELDS:
        if operator == "regex" or not value.isascii():
            return None
        needle = _like_escape(value.lower())
        pattern = {"contains": f"%{needle}%", "equals": needle, "starts_with": f"{needle}%"}.get(operator, f"%{needle}")
        return _lowered(column).like(pattern, escape="\\")
    if name == "amount":
        low = Decimal(value)
        if operator == "between":
            return column.between(low, Decimal(condition["value2"]))
        return {
            "=": column == low,
            "<": column < low,
            "<=": column <= low,
            ">": column > low,
            ">=": column >= low,
        }[operator]
    return column == value


@dataclass
class _CompiledRule:
    id: int
    match: str
    stop_after: bool
    conditions: list[dict]
    actions: list[dict]
    book: _RegexBook | None = None
    tests: list[Callable[[_Fields], bool]] = field(default_factory=list)
    regexes: dict[int, object] = field(default_factory=dict)

    def matches(self, fields: _Fields) -> bool:
        if self.match == "any":
            return any(test(fields) for test in self.tests)
        return all(test(fields) for test in self.tests)


def _compile(
    rule_id: int, document: dict, category_ids: set[int] | None = None, book: _RegexBook | None = None
) -> _CompiledRule:
    """A validated document ready to evaluate. A set_category whose category has since been
    deleted (`category_ids` given and not holding it) is dropped: it can no longer apply. Rules
    evaluated together share one `book` of regexes."""
    book = book or _RegexBook()
    actions = [
        action
        for action in document["actions"]
        if not (
            action["type"] == "set_category" and category_ids is not None and action["category_id"] not in category_ids
        )
    ]
    compiled = _CompiledRule(
        id=rule_id,
        match=document["match"],
        stop_after=document["stop_after"],
        conditions=document["conditions"],
        actions=actions,
        book=book,
        tests=[_condition_test(condition, book) for condition in document["conditions"]],
    )
    for index, action in enumerate(actions):
        if action["type"] == "rewrite_description":
            compiled.regexes[index] = re2.compile(action["pattern"], _regex_options())
    return compiled


def _rewrite(regex, replacement: str, text: str) -> str:
    # A pattern that does not match leaves the text exactly as it was (not even trimmed).
    try:
        result, count = regex.subn(replacement, text)
    except (IndexError, ValueError, UnicodeError):  # a reference the validation let through
        return text
    return result.strip()[:DESCRIPTION_MAX_LENGTH] if count else text


def _evaluate(rules: Sequence[_CompiledRule], values: dict, *, for_import: bool) -> FieldChanges:
    """Run `rules` in order over `values` (description, notes, amount, currency, payment_method)."""
    original_description = values.get("description") or ""
    fields = _Fields(dict(values), rules[0].book if rules else None)
    category_id = payment_method = None
    tags: list[str] = []
    skip = False
    matched: list[int] = []
    for rule in rules:
        if not rule.matches(fields):
            continue
        matched.append(rule.id)
        for index, action in enumerate(rule.actions):
            kind = action["type"]
            if kind == "set_category":
                category_id = action["category_id"]
            elif kind == "add_tags":
                tags.extend(name for name in action["tags"] if name not in tags)
            elif kind == "set_payment_method":
                payment_method = action["payment_method"]
                fields.set("payment_method", payment_method)
            elif kind == "rewrite_description":
                current = fields.values.get("description") or ""
                fields.set("description", _rewrite(rule.regexes[index], action["replacement"], current))
            elif kind == "skip" and for_import:
                skip = True
        if rule.stop_after:
            break
    description = fields.values.get("description") or ""
    return FieldChanges(
        category_id=category_id,
        payment_method=payment_method,
        description=description if description != original_description else None,
        add_tags=tuple(tags),
        skip=skip,
        rule_ids=tuple(matched),
    )


def _sample(values: dict | None) -> dict:
    """A sample expense's fields (missing text -> "", missing amount/currency/method -> None)."""
    values = values if isinstance(values, dict) else {}
    amount = values.get("amount")
    if not isinstance(amount, Decimal):
        amount = parse_decimal(amount) if amount is not None else None
    text = {name: values.get(name) if isinstance(values.get(name), str) else "" for name in TEXT_FIELDS}
    currency = values.get("currency") if isinstance(values.get("currency"), str) else None
    method = values.get("payment_method") if isinstance(values.get("payment_method"), str) else None
    return {**text, "amount": amount, "currency": currency, "payment_method": method}


def _document(rule: Rule) -> dict:
    return {name: getattr(rule, name) for name in RULE_FIELDS}


def test_rule(*, user: User, rule: dict, sample: dict) -> FieldChanges:
    """What the (unsaved) `rule` would do to `sample`; the rule is validated as create_rule does.

    `skip` counts here (the answer shows what the rule says), as for an import."""
    document = clean_rule(user=user, document=rule)
    return _evaluate([_compile(0, document)], _sample(sample), for_import=True)


test_rule.__test__ = False  # not a pytest test, despite the name


def _active_rules(user: User, category_ids: set[int] | None = None) -> list[_CompiledRule]:
    book = _RegexBook()
    return [_compile(rule.id, _document(rule), category_ids, book) for rule in list_rules(user=user) if rule.active]


def apply_to_fields(*, user: User, fields: dict, for_import: bool = False) -> FieldChanges:
    """The user's active rules in order on one would-be expense (keys as a test sample).

    Used for manual entry (API `apply_rules=true`) and the import preview (`for_import=True`
    makes `skip` count; otherwise a skip action is ignored)."""
    return _evaluate(_active_rules(user, _owned_category_ids(user)), _sample(fields), for_import=for_import)


def apply_to_many(*, user: User, rows: list[dict], for_import: bool = True) -> list[FieldChanges]:
    """`apply_to_fields` for many would-be expenses at once (an import's rows): the user's rules
    are read and compiled once, then evaluated on each row in order. One FieldChanges per row."""
    if not rows:
        return []
    rules = _active_rules(user, _owned_category_ids(user))
    return [_evaluate(rules, _sample(row), for_import=for_import) for row in rows]


# --- CRUD --------------------------------------------------------------------------------------------


def list_rules(*, user: User) -> list[Rule]:
    """The user's rules in order (position, id)."""
    return list(db.session.scalars(sa.select(Rule).where(Rule.user_id == user.id).order_by(Rule.position, Rule.id)))


def get_rule(*, user: User, rule_id) -> Rule:
    """One of the user's rules; NotFound for a missing id or another user's."""
    if not is_storable_id(rule_id):
        raise NotFound(RULE_NOT_FOUND)
    rule = db.session.scalar(sa.select(Rule).where(Rule.id == rule_id, Rule.user_id == user.id))
    if rule is None:
        raise NotFound(RULE_NOT_FOUND)
    return rule


def create_rule(*, user: User, name, conditions, actions, match="all", active=True, stop_after=False) -> Rule:
    """A new rule, appended last; at most MAX_RULES per user."""
    document = clean_rule(
        user=user,
        document={
            "name": name,
            "conditions": conditions,
            "actions": actions,
            "match": match,
            "active": active,
            "stop_after": stop_after,
        },
    )
    with transaction() as session:
        count = session.scalar(sa.select(sa.func.count()).select_from(Rule).where(Rule.user_id == user.id))
        if count >= MAX_RULES:
            raise ValidationFailed({"name": [f"You can have at most {MAX_RULES} rules; delete one first."]})
        rule = Rule(user_id=user.id, position=count, **document)
        session.add(rule)
    return rule


def update_rule(*, user: User, rule_id, **changes) -> Rule:
    """Change any of the create fields; a field not given is unchanged."""
    rule = get_rule(user=user, rule_id=rule_id)
    document = clean_rule(user=user, document={**_document(rule), **changes})
    with transaction():
        for name, value in document.items():
            setattr(rule, name, value)
    return rule


def _renumber(rules: Iterable[Rule]) -> list[Rule]:
    ordered = list(rules)
    for position, rule in enumerate(ordered):
        if rule.position != position:
            rule.position = position
    return ordered


def delete_rule(*, user: User, rule_id) -> None:
    """Delete the rule; the others close the gap (positions stay 0..n-1). Past runs keep their record."""
    rule = get_rule(user=user, rule_id=rule_id)
    with transaction() as session:
        session.delete(rule)
        session.flush()
        _renumber(list_rules(user=user))


def reorder_rules(*, user: User, rule_ids) -> list[Rule]:
    """Put the rules in the order of `rule_ids`, which must be exactly the user's rule ids, each once."""
    errors: Errors = {}
    if not isinstance(rule_ids, list | tuple):
        raise ValidationFailed({"rule_ids": ["Must be a list of your rule ids."]})
    ids = clean_ids(errors, "rule_ids", rule_ids)
    raise_if(errors)
    rules = {rule.id: rule for rule in list_rules(user=user)}
    if len(ids) != len(set(ids)) or set(ids) != set(rules) or len(ids) != len(rule_ids):
        raise ValidationFailed({"rule_ids": ["Give each of your rule ids exactly once."]})
    with transaction():
        ordered = _renumber(rules[rule_id] for rule_id in ids)
    return ordered


def move_rule(*, user: User, rule_id, direction) -> list[Rule]:
    """Swap the rule with its neighbour above (`up`) or below (`down`); at an end, nothing moves."""
    if direction not in ("up", "down"):
        raise ValidationFailed({"direction": ["Must be one of: up, down."]})
    rule = get_rule(user=user, rule_id=rule_id)
    rules = list_rules(user=user)
    index = rules.index(rule)
    other = index - 1 if direction == "up" else index + 1
    with transaction():
        if 0 <= other < len(rules):
            rules[index], rules[other] = rules[other], rules[index]
        ordered = _renumber(rules)
    return ordered


# --- runs over existing expenses ---------------------------------------------------------------------


@dataclass(frozen=True)
class RulePreview:
    match_count: int
    first_matches: list[Expense]  # newest first, category and tags loaded


@dataclass(frozen=True)
class ExpenseChange:
    expense_id: int
    date: dt.date
    before: dict  # {"category_id", "category_name", "description", "payment_method", "tags": [names]}
    after: dict
    rule_ids: tuple[int, ...]


@dataclass(frozen=True)
class RunPreview:
    date_from: dt.date
    date_to: dt.date
    scanned: int
    total_changes: int
    changes: list[ExpenseChange]  # one page, oldest first (date, id)
    page: int
    per_page: int


@dataclass(frozen=True)
class UndoResult:
    run_id: int
    restored: int
    skipped: list[int]


@dataclass
class _Row:
    id: int
    date: dt.date
    description: str
    notes: str
    amount: Decimal
    currency: str
    payment_method: str
    category_id: int
    tags: dict[str, int]  # name -> tag id

    def values(self) -> dict:
        return {
            "description": self.description,
            "notes": self.notes,
            "amount": self.amount,
            "currency": self.currency,
            "payment_method": self.payment_method,
        }


_ROW_COLUMNS = (
    Expense.id,
    Expense.date,
    Expense.description,
    Expense.notes,
    Expense.amount,
    Expense.currency,
    Expense.payment_method,
    Expense.category_id,
)


def _rule_filters(rules: Sequence[_CompiledRule]) -> list:
    """Per rule, the WHERE clause a row must satisfy for the rule to be able to match it (its
    SQL-judgeable conditions), or None when SQL cannot narrow it down (an `any` rule with a condition
    SQL cannot judge, or no such condition at all). A condition on a field an earlier rule can change
    is left to Python: the row may match only after that change."""
    changed_fields: set[str] = set()
    filters = []
    for rule in rules:
        parts = []
        unjudged = False
        for condition in rule.conditions:
            clause = None if condition["field"] in changed_fields else _condition_sql(condition)
            if clause is None:
                unjudged = True
            else:
                parts.append(clause)
        if not parts or (unjudged and rule.match == "any"):
            filters.append(None)
        else:
            filters.append(sa.and_(*parts) if rule.match == "all" else sa.or_(*parts))
        for action in rule.actions:
            if action["type"] == "rewrite_description":
                changed_fields.add("description")
            elif action["type"] == "set_payment_method":
                changed_fields.add("payment_method")
    return filters


def _prefilter(rules: Sequence[_CompiledRule]):
    """The OR of the rules' filters (the rows any rule could match), or None: scan everything."""
    filters = _rule_filters(rules)
    if not filters or any(clause is None for clause in filters):
        return None
    return sa.or_(*filters)


def _scan(
    user: User,
    where: list,
    *,
    newest_first: bool = False,
    flags: Sequence = (),
    lock: bool = False,
    batch_size: int = BATCH_SIZE,
) -> Iterator[tuple[_Row, tuple]]:
    """The user's expenses matching `where`, in (date, id) order, read in keyset batches of plain
    columns plus one grouped tag query per batch (never one ORM object with its tags at a time).

    Yields each row with the values of `flags` (boolean SQL expressions) for it. `lock` (inside a
    unit of work) locks the rows read on PostgreSQL, so an edit made meanwhile waits for the run
    instead of being overwritten by it; SQLite's BEGIN IMMEDIATE already keeps other writers out."""
    flag_columns = [sa.type_coerce(flag, sa.Boolean).label(f"flag_{number}") for number, flag in enumerate(flags)]
    width = len(_ROW_COLUMNS)
    order = (Expense.date.desc(), Expense.id.desc()) if newest_first else (Expense.date, Expense.id)
    after: tuple | None = None
    while True:
        query = sa.select(*_ROW_COLUMNS, *flag_columns).where(Expense.user_id == user.id, *where)
        if after is not None:
            key = sa.tuple_(Expense.date, Expense.id)
            query = query.where(key < sa.tuple_(*after) if newest_first else key > sa.tuple_(*after))
        query = query.order_by(*order).limit(batch_size)
        if lock:
            query = query.with_for_update()
        batch = db.session.execute(query).all()
        if not batch:
            return
        tags: dict[int, dict[str, int]] = defaultdict(dict)
        tag_rows = db.session.execute(
            sa.select(expense_tags.c.expense_id, Tag.name, Tag.id)
            .join(Tag, Tag.id == expense_tags.c.tag_id)
            .where(expense_tags.c.expense_id.in_([row.id for row in batch]))
        )
        for expense_id, name, tag_id in tag_rows:
            tags[expense_id][name] = tag_id
        for row in batch:
            yield _Row(*row[:width], tags=tags.get(row.id, {})), tuple(row[width:])
        if len(batch) < batch_size:
            return
        after = (batch[-1].date, batch[-1].id)


def _clean_range(date_from, date_to) -> tuple[dt.date, dt.date]:
    errors: Errors = {}
    start = clean_date(errors, "date_from", date_from)
    end = clean_date(errors, "date_to", date_to)
    raise_if(errors)
    if start > end:
        raise ValidationFailed({"date_from": ["Must be on or before date_to."]})
    if end >= add_years(start, MAX_RUN_YEARS):
        raise ValidationFailed({"date_to": [f"The range must be at most {MAX_RUN_YEARS} years long."]})
    return start, end


def _run_rules(user: User, rule_ids, category_ids: set[int]) -> list[_CompiledRule]:
    """The rules a run uses: the chosen ones (active or not) in the user's order, or all active ones."""
    if rule_ids is None:
        return _active_rules(user, category_ids)
    errors: Errors = {}
    if not isinstance(rule_ids, list | tuple):
        raise ValidationFailed({"rule_ids": ["Must be a list of your rule ids."]})
    ids = set(clean_ids(errors, "rule_ids", rule_ids))
    raise_if(errors)
    rules = [rule for rule in list_rules(user=user) if rule.id in ids]
    if len(rules) != len(ids) or not ids:
        raise ValidationFailed({"rule_ids": ["Choose one or more of your rules."]})
    book = _RegexBook()
    return [_compile(rule.id, _document(rule), category_ids, book) for rule in rules]


@dataclass
class _Change:
    row: _Row
    changes: FieldChanges
    category_id: int
    description: str
    payment_method: str
    new_tags: list[str]  # names the expense does not carry yet


def _changes(
    user: User, rules: Sequence[_CompiledRule], start: dt.date, end: dt.date, *, lock: bool = False
) -> Iterator[_Change]:
    """The expenses of the range the rules would change, oldest first, and how."""
    if not rules:
        return
    filters = _rule_filters(rules)
    where = [Expense.date >= start, Expense.date <= end]
    if all(clause is not None for clause in filters):
        where.append(sa.or_(*filters))
    # SQL says, per row, which rules could match (one boolean column per narrowed rule), so Python
    # only tries those: a full scan of 100,000 rows with 50 rules stays a few seconds.
    narrowed = [number for number, clause in enumerate(filters) if clause is not None]
    always = [number for number, clause in enumerate(filters) if clause is None]
    for row, flags in _scan(user, where, flags=[filters[number] for number in narrowed], lock=lock):
        candidates = sorted([*always, *(number for number, flag in zip(narrowed, flags, strict=True) if flag)])
        if not candidates:
            continue
        result = _evaluate([rules[number] for number in candidates], row.values(), for_import=False)
        if not result.rule_ids:
            continue
        category_id = result.category_id if result.category_id is not None else row.category_id
        description = result.description if result.description is not None else row.description
        payment_method = result.payment_method if result.payment_method is not None else row.payment_method
        new_tags = [name for name in result.add_tags if name not in row.tags]
        if (category_id, description, payment_method) != (row.category_id, row.description, row.payment_method) or (
            new_tags
        ):
            yield _Change(row, result, category_id, description, payment_method, new_tags)


def _category_names(user: User) -> dict[int, str]:
    return dict(db.session.execute(sa.select(Category.id, Category.name).where(Category.user_id == user.id)).all())


def _shown(change: _Change, names: dict[int, str]) -> ExpenseChange:
    row = change.row
    return ExpenseChange(
        expense_id=row.id,
        date=row.date,
        before={
            "category_id": row.category_id,
            "category_name": names.get(row.category_id, ""),
            "description": row.description,
            "payment_method": row.payment_method,
            "tags": sorted(row.tags),
        },
        after={
            "category_id": change.category_id,
            "category_name": names.get(change.category_id, ""),
            "description": change.description,
            "payment_method": change.payment_method,
            "tags": sorted({*row.tags, *change.new_tags}),
        },
        rule_ids=change.changes.rule_ids,
    )


def preview_rule(*, user: User, rule: dict, limit: int = 10) -> RulePreview:
    """How many of the user's expenses the (unsaved) rule's conditions match, and the newest few."""
    errors: Errors = {}
    limit = clean_int(errors, "limit", limit, low=0, high=MAX_PER_PAGE)
    raise_if(errors)
    compiled = _compile(0, clean_rule(user=user, document=rule))
    where = []
    prefilter = _prefilter([compiled])
    if prefilter is not None:
        where.append(prefilter)
    count = 0
    first: list[int] = []
    for row, _flags in _scan(user, where, newest_first=True):
        if compiled.matches(_Fields(row.values(), compiled.book)):
            count += 1
            if len(first) < limit:
                first.append(row.id)
    expenses = {}
    if first:
        query = (
            sa.select(Expense)
            .where(Expense.id.in_(first))
            .options(joinedload(Expense.category), selectinload(Expense.tags))
        )
        expenses = {expense.id: expense for expense in db.session.scalars(query)}
    return RulePreview(match_count=count, first_matches=[expenses[i] for i in first if i in expenses])


def dry_run(*, user: User, date_from, date_to, rule_ids=None, page=1, per_page=50) -> RunPreview:
    """What a run would change (one page, oldest first); changes nothing."""
    start, end = _clean_range(date_from, date_to)
    errors: Errors = {}
    page = clean_int(errors, "page", page, low=1, high=100_000)
    per_page = clean_int(errors, "per_page", per_page, low=1, high=MAX_PER_PAGE)
    raise_if(errors)
    category_ids = _owned_category_ids(user)
    rules = _run_rules(user, rule_ids, category_ids)
    names = _category_names(user)
    first = (page - 1) * per_page
    total = 0
    shown: list[ExpenseChange] = []
    for change in _changes(user, rules, start, end):
        if first <= total < first + per_page:
            shown.append(_shown(change, names))
        total += 1
    scanned = db.session.scalar(
        sa.select(sa.func.count()).where(Expense.user_id == user.id, Expense.date >= start, Expense.date <= end)
    )
    return RunPreview(start, end, scanned, total, shown, page, per_page)


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


def _state(category_id: int, description: str, payment_method: str, tag_ids: Iterable[int]) -> dict:
    return {
        "category_id": category_id,
        "description": description,
        "payment_method": payment_method,
        "tag_ids": sorted(tag_ids),
    }


def _update_fields(session, groups: dict[tuple, list[int]], now) -> None:
    """One UPDATE per distinct (category_id, description, payment_method): set-based, not per row."""
    for (category_id, description, payment_method), ids in groups.items():
        for chunk in _chunks(ids):
            session.execute(
                sa.update(Expense)
                .where(Expense.id.in_(chunk))
                .values(category_id=category_id, description=description, payment_method=payment_method, updated_at=now)
                .execution_options(synchronize_session=False)
            )


def apply_run(*, user: User, date_from, date_to, rule_ids=None) -> RuleRun:
    """Apply exactly what `dry_run` lists, in one transaction, recording each change for undo."""
    start, end = _clean_range(date_from, date_to)
    with transaction() as session:
        category_ids = _owned_category_ids(user)
        rules = _run_rules(user, rule_ids, category_ids)
        changes = list(_changes(user, rules, start, end, lock=True))
        tag_names = sorted({name for change in changes for name in change.new_tags})
        existing = set(session.scalars(sa.select(Tag.name).where(Tag.user_id == user.id, Tag.name.in_(tag_names))))
        tag_ids = {tag.name: tag.id for tag in resolve_tags(user=user, names=tag_names)}
        created = {tag_ids[name] for name in tag_names if name not in existing}
        now = utcnow()
        groups: dict[tuple, list[int]] = defaultdict(list)
        links = []
        records = []
        for change in changes:
            row = change.row
            groups[(change.category_id, change.description, change.payment_method)].append(row.id)
            added = [tag_ids[name] for name in change.new_tags]
            links.extend({"expense_id": row.id, "tag_id": tag_id} for tag_id in added)
            before = _state(row.category_id, row.description, row.payment_method, row.tags.values())
            after = _state(change.category_id, change.description, change.payment_method, [*row.tags.values(), *added])
            after["created_tag_ids"] = sorted(set(added) & created)
            records.append({"expense_id": row.id, "before": before, "after": after})
        _update_fields(session, groups, now)
        if links:
            session.execute(expense_tags.insert(), links)
        run = RuleRun(
            user_id=user.id,
            created_at=now,
            date_from=start,
            date_to=end,
            rule_ids=None if rule_ids is None else [rule.id for rule in rules],
            change_count=len(changes),
        )
        session.add(run)
        session.flush()
        if records:
            session.execute(sa.insert(RuleRunChange), [{"run_id": run.id, **record} for record in records])
    return run


def list_runs(*, user: User, limit=20) -> list[RuleRun]:
    """The user's runs, newest first."""
    errors: Errors = {}
    limit = clean_int(errors, "limit", limit, low=1, high=MAX_PER_PAGE)
    raise_if(errors)
    query = sa.select(RuleRun).where(RuleRun.user_id == user.id).order_by(RuleRun.created_at.desc(), RuleRun.id.desc())
    return list(db.session.scalars(query.limit(limit)))


def get_run(*, user: User, run_id) -> RuleRun:
    """One of the user's runs; NotFound for a missing id or another user's run."""
    run = (
        db.session.scalar(sa.select(RuleRun).where(RuleRun.id == run_id, RuleRun.user_id == user.id))
        if is_storable_id(run_id)
        else None
    )
    if run is None:
        raise NotFound(RUN_NOT_FOUND)
    return run


def _current_states(expense_ids: list[int]) -> dict[int, dict]:
    states: dict[int, dict] = {}
    tag_ids: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(expense_ids):
        for row in db.session.execute(
            sa.select(Expense.id, Expense.category_id, Expense.description, Expense.payment_method)
            .where(Expense.id.in_(chunk))
            .with_for_update()  # an edit made meanwhile waits for the undo (PostgreSQL; see `_scan`)
        ):
            states[row.id] = row
        for expense_id, tag_id in db.session.execute(
            sa.select(expense_tags.c.expense_id, expense_tags.c.tag_id).where(expense_tags.c.expense_id.in_(chunk))
        ):
            tag_ids[expense_id].append(tag_id)
    return {
        expense_id: _state(row.category_id, row.description, row.payment_method, tag_ids[expense_id])
        for expense_id, row in states.items()
    }


def _unused(tag_ids: set[int]):
    """Of `tag_ids`, the condition "no expense or template carries it" (every table linking tags)."""
    links = [table for table in db.metadata.sorted_tables if "tag_id" in table.c and table.name != "tags"]
    return sa.and_(Tag.id.in_(tag_ids), *(~sa.exists().where(table.c.tag_id == Tag.id) for table in links))


def undo_run(*, user: User, run_id) -> UndoResult:
    """Put back what the run changed, for every expense whose fields are still what the run left;
    the others (changed since) are skipped and listed. A second undo is a Conflict."""
    if not is_storable_id(run_id):
        raise NotFound(RUN_NOT_FOUND)
    with transaction() as session:
        run = session.scalar(
            sa.select(RuleRun).where(RuleRun.id == run_id, RuleRun.user_id == user.id).with_for_update()
        )
        if run is None:
            raise NotFound(RUN_NOT_FOUND)
        if run.undone_at is not None:
            raise Conflict("This run has already been undone.")
        records = list(
            session.execute(
                sa.select(RuleRunChange.expense_id, RuleRunChange.before, RuleRunChange.after)
                .where(RuleRunChange.run_id == run.id)
                .order_by(RuleRunChange.id)
            )
        )
        current = _current_states([record.expense_id for record in records])
        category_ids = _owned_category_ids(user)
        groups: dict[tuple, list[int]] = defaultdict(list)
        unlinks = []
        created: set[int] = set()
        skipped = []
        for expense_id, before, after in records:
            left = {key: value for key, value in after.items() if key != "created_tag_ids"}
            if current.get(expense_id) != left or before["category_id"] not in category_ids:
                skipped.append(expense_id)
                continue
            groups[(before["category_id"], before["description"], before["payment_method"])].append(expense_id)
            unlinks.extend({"e": expense_id, "t": tag_id} for tag_id in set(after["tag_ids"]) - set(before["tag_ids"]))
            created.update(after.get("created_tag_ids", ()))
        now = utcnow()
        _update_fields(session, groups, now)
        if unlinks:
            session.execute(
                expense_tags.delete().where(
                    expense_tags.c.expense_id == sa.bindparam("e"), expense_tags.c.tag_id == sa.bindparam("t")
                ),
                unlinks,
            )
        if created:
            # Tags the run created and nothing carries any more go too: the undo leaves no trace.
            session.execute(
                sa.delete(Tag)
                .where(Tag.user_id == user.id, _unused(created))
                .execution_options(synchronize_session=False)
            )
        run.undone_at = now
        restored = len(records) - len(skipped)
    return UndoResult(run_id=run.id, restored=restored, skipped=skipped)
