"""Learned suggestions: a category for a description, and rules, from the user's own history.

Nothing here writes except `accept_rule_suggestion`, and only when the user asks: a suggestion is
shown, never applied silently.

- `merchant_key` turns a bank line into a merchant name: `CARD 1234 STARBUCKS #88 SEATTLE` and
  `Starbucks Seattle` both give `starbucks seattle`. Accents are folded (`Café` -> `cafe`)
  because bank exports often drop them (or mangle them, as Latin-1 files read as UTF-8 do), and
  the same shop should not become two merchants because one line kept its accent.
- `suggest_category` counts the categories of the user's past expenses with that merchant (the
  same key first; near-equal keys through rapidfuzz when the same key alone is not enough) and
  answers the most frequent one once it covers at least `MIN_MATCHES` of them.
- `suggest_rules` proposes "description contains <keyword> -> category" for merchants whose
  expenses are (nearly) all in one category and that no active rule already categorises;
  `accept_rule_suggestion` recomputes and creates that rule through `categorization.create_rule`.

Bounded work: one grouped query reads at most `MAX_DESCRIPTIONS` (description, category) pairs
from the user's `RECENT_EXPENSES` latest expenses (see `_history_query`); keys are computed per
call and nothing is cached between calls.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from rapidfuzz import fuzz, process

from expense_app.errors import NotFound
from expense_app.extensions import db
from expense_app.models import Category, Expense, Rule, User
from expense_app.services import categorization
from expense_app.services.rules import Errors, clean_int, clean_text, raise_if
from expense_app.services.unit_of_work import transaction

MIN_MATCHES = 3
# A rule is suggested when at least this share of the expenses its keyword matches are in one
# category: one odd expense among five still gets a rule, a merchant split 2-2 does not.
RULE_SHARE = 0.8
# rapidfuzz token_set_ratio score (0-100) above which two merchant keys are the same merchant.
# token_set_ratio scores 100 when one key's words are a subset of the other's ("starbucks" and
# "starbucks seattle"), and 97 for one typo in a 17-letter key ("starbuks seattle"); 90 keeps
# those and refuses different shops that share letters or a word ("starbucks" / "starbase": 71,
# "aldi store" / "asda store": 80).
FUZZY_CUTOFF = 90
# Fuzzy matching only for keys at least this long: a subset match on "de" or "sq" would join
# every merchant with that word in its name.
FUZZY_MIN_LENGTH = 4
# The bound on the work one suggestion does: the user's latest RECENT_EXPENSES expenses (years of
# history even for a heavy user, and the user's current habits rather than a decade-old one),
# grouped into at most MAX_DESCRIPTIONS distinct (description, category) pairs, newest first. The
# keys of those pairs are computed in Python on every call (about 5 µs each).
RECENT_EXPENSES = 10_000
MAX_DESCRIPTIONS = 2_000
# Suggested keywords: long enough to mean something, short enough to read in a rule's name.
KEYWORD_MIN_LENGTH = 3
KEYWORD_MAX_LENGTH = 40
DESCRIPTION_MAX_LENGTH = 255
# Rule suggestions: the biggest merchants examined (each costs a pass over the recent pairs and
# one rules check), how many a caller may ask for, and the longest key accepted.
MAX_RULE_CANDIDATES = 200
MAX_RULE_SUGGESTIONS = 50
SUGGESTION_KEY_MAX_LENGTH = KEYWORD_MAX_LENGTH + 15

# Words that say how the user paid or which bank printed the line, not who was paid. Dropped
# wherever they stand (a merchant whose name is only these words has no key).
NOISE_WORDS = frozenset(
    {
        # card and terminal markers
        "card", "cards", "pos", "visa", "visaxr", "debit", "credit", "mastercard", "maestro", "amex",
        "cd", "deb", "eftpos", "wdl", "contactless", "purchase", "payment", "txn", "trans", "ref",
        "kartenzahlung", "karte", "lastschrift", "folgelastschrift", "sepa", "ec", "merchandise",
        # payment processors that prefix the merchant ("SQ *BLUE BOTTLE", "PAYPAL *NETFLIX")
        "sq", "paypal", "pp", "tst", "sumup", "zettle", "izettle",
        # web and legal-form noise
        "www", "com", "inc", "ltd", "llc", "gmbh",
    }
)  # fmt: skip
_MONTHS = (
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|september"
    "|oct|october|nov|november|dec|december"
)
# "14 JAN 2024", "14 Jan", "Jan 14, 2024": dates spelled with a month name (digit-only dates go
# with the digits below). Applied after case folding.
_NAMED_DATE = re.compile(
    rf"\b\d{{1,2}}\s*(?:{_MONTHS})\b\.?(?:\s*\d{{2,4}}\b)?|\b(?:{_MONTHS})\b\.?\s*\d{{1,2}}\b(?:,?\s*\d{{4}}\b)?"
)
# Apostrophes inside a word go ("MCDONALD'S" -> "mcdonalds"); other punctuation separates words.
_APOSTROPHE = re.compile("['\u2019`]")
# A word: letters and digits; any word holding a digit is a card number, a reference, a terminal,
# an amount or a date, never the merchant's name.
_WORD = re.compile(r"[^\W_]+")
_DIGIT = re.compile(r"\d")
# A run of ASCII digits counts as one "0": the history query groups descriptions the same way
# (`_digits_collapsed`), so "CARD 1234 X #88" and "CARD 9911 X #7" are one row to key.
_DIGIT_RUN = re.compile("[0-9]+")


def _fold(text: str) -> str:
    """Compatibility-normalised, case-folded, without accents (NFKC, casefold, drop marks, NFC)."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _key_once(text: str) -> str:
    text = _fold(text)
    if _DIGIT.search(text):
        text = _NAMED_DATE.sub(" ", _DIGIT_RUN.sub("0", text))
    words = [word for word in _WORD.findall(_APOSTROPHE.sub("", text)) if word not in NOISE_WORDS]
    # A word said twice ("UBER *TRIP HELP.UBER.COM") counts once; the first place wins.
    return " ".join(dict.fromkeys(word for word in words if not _DIGIT.search(word)))


def merchant_key(description: str) -> str:
    """The normalised merchant of a description: lower-case, accents folded, without digits,
    references, dates, payment prefixes, repeated words and extra spaces. "" when nothing names
    a merchant (e.g. "CARD 1234")."""
    if not isinstance(description, str):
        return ""
    key = _key_once(description)
    # Idempotent by construction. An ASCII key (lower-case words without digits) is already a
    # fixed point; beyond ASCII, folding a letter freed from its mark may change the key once
    # more, so repeat until it holds still (one or two passes).
    for _ in range(5):
        if key.isascii():
            break
        again = _key_once(key)
        if again == key:
            break
        key = again
    return key


# --- the user's history, bounded --------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """One (description with its digits collapsed, category) pair of the user's recent expenses."""

    description: str  # digit runs as "0": same key, same `contains` verdict for a digit-free word
    category_id: int
    count: int
    latest: tuple  # (date, id) of the newest such expense: breaks ties toward the current habit
    sample: str  # one real description of the pair, for the rules check


# Runs of up to 2**4 = 16 digits become one "0" (longer ones a few "0"s: still a digit word).
_COLLAPSE_ROUNDS = 4


def _digits_collapsed(column):
    """`column` with every ASCII digit made "0" and runs of zeros shortened: what `_DIGIT_RUN`
    does, in SQL both databases speak (nested replace(); SQLite has no regexp_replace)."""
    for digit in "123456789":
        column = sa.func.replace(column, digit, "0")
    for _ in range(_COLLAPSE_ROUNDS):
        column = sa.func.replace(column, "00", "0")
    return column


def _history_query(user: User) -> sa.Select:
    """The user's recent (description, category) pairs with their counts: one grouped query.

    Descriptions are grouped with their digits collapsed, so card numbers, references and dates
    do not make every line its own pair and the MAX_DESCRIPTIONS pairs cover more history."""
    recent = (
        sa.select(Expense.description, Expense.category_id, Expense.date, Expense.id)
        .where(Expense.user_id == user.id)
        .order_by(Expense.date.desc(), Expense.id.desc())
        .limit(RECENT_EXPENSES)
        .subquery()
    )
    latest_date = sa.func.max(recent.c.date)
    latest_id = sa.func.max(recent.c.id)
    collapsed = _digits_collapsed(recent.c.description)
    query = (
        sa.select(
            collapsed, recent.c.category_id, sa.func.count(), latest_date, latest_id, sa.func.max(recent.c.description)
        )
        .group_by(collapsed, recent.c.category_id)
        .order_by(latest_date.desc(), latest_id.desc())
        .limit(MAX_DESCRIPTIONS)
    )
    return query


def _history(user: User) -> list[_Row]:
    """The pairs of `_history_query`, read."""
    return [
        _Row(description or "", category_id, count, (day, last_id), sample or "")
        for description, category_id, count, day, last_id, sample in db.session.execute(_history_query(user))
    ]


def _rows_by_key(rows: list[_Row]) -> dict[str, list[_Row]]:
    """`rows` grouped by merchant key (rows naming no merchant left out); each distinct
    description is keyed once (a description met in several categories is one key to compute)."""
    keys: dict[str, str] = {}
    by_key: dict[str, list[_Row]] = {}
    for row in rows:
        key = keys.get(row.description)
        if key is None:
            key = keys[row.description] = merchant_key(row.description)
        if key:
            by_key.setdefault(key, []).append(row)
    return by_key


def _category_name(user: User, category_id: int) -> str:
    return db.session.scalar(sa.select(Category.name).where(Category.id == category_id, Category.user_id == user.id))


def _winner(rows: list[_Row]) -> tuple[int, int, int] | None:
    """(category_id, its count, total) of the most frequent category in `rows`; a tie goes to
    the category used most recently. None for no rows."""
    counts: Counter[int] = Counter()
    latest: dict[int, tuple] = {}
    for row in rows:
        counts[row.category_id] += row.count
        latest[row.category_id] = max(latest.get(row.category_id, row.latest), row.latest)
    if not counts:
        return None
    best = max(counts, key=lambda category_id: (counts[category_id], latest[category_id]))
    return best, counts[best], sum(counts.values())


# --- a category for a description -------------------------------------------------------------


@dataclass(frozen=True)
class CategorySuggestion:
    """`matches` of the `of` past expenses with this merchant are in this category."""

    category_id: int
    category_name: str
    matches: int
    of: int


def suggest_category(*, user: User, description: str) -> CategorySuggestion | None:
    """The category most of the user's past expenses with this merchant are in, once it covers
    at least MIN_MATCHES of them; None otherwise (or when the description names no merchant).

    The same merchant key decides first; only when that alone does not reach MIN_MATCHES do
    near-equal keys (rapidfuzz token_set_ratio >= FUZZY_CUTOFF) join in, so "Uber" with three
    expenses in Transport is not outvoted by "Uber Eats" in Food.
    """
    errors: Errors = {}
    description = clean_text(errors, "description", description, max_length=DESCRIPTION_MAX_LENGTH)
    raise_if(errors)
    key = merchant_key(description)
    if not key:
        return None
    by_key = _rows_by_key(_history(user))
    found = _winner(by_key.get(key, []))
    if (found is None or found[1] < MIN_MATCHES) and len(key) >= FUZZY_MIN_LENGTH:
        near = process.extract(key, list(by_key), scorer=fuzz.token_set_ratio, score_cutoff=FUZZY_CUTOFF, limit=None)
        found = _winner([row for other, _score, _index in near for row in by_key[other]])
    if found is None or found[1] < MIN_MATCHES:
        return None
    category_id, matches, of = found
    return CategorySuggestion(category_id, _category_name(user, category_id), matches, of)


# The fuzzy step costs about 1.3 µs per (merchant, known merchant) pair: 2.6 ms per merchant
# against MAX_DESCRIPTIONS known ones. A file's first FUZZY_BATCH_MERCHANTS merchants (the most
# frequent first) get it, about 2.6 s at most; the rest are decided by their exact key alone.
FUZZY_BATCH_MERCHANTS = 1000


def suggest_categories(*, user: User, descriptions) -> dict[str, CategorySuggestion | None]:
    """`suggest_category` for many descriptions (an import's rows), reading the history once.

    Keyed by the description as given; descriptions with the same merchant key are decided once.
    Beyond FUZZY_BATCH_MERCHANTS merchants, near-equal keys are not looked for (see there).
    Descriptions are not validated here (the caller has cleaned them)."""
    by_key = _rows_by_key(_history(user))
    choices = list(by_key)
    descriptions = list(descriptions)
    keys = {description: merchant_key(description) for description in dict.fromkeys(descriptions)}
    frequency = Counter(keys[description] for description in descriptions if keys[description])
    decided: dict[str, tuple[int, int, int] | None] = {}
    fuzzy_left = FUZZY_BATCH_MERCHANTS
    for key, _count in frequency.most_common():
        found = _winner(by_key.get(key, []))
        if (found is None or found[1] < MIN_MATCHES) and len(key) >= FUZZY_MIN_LENGTH and fuzzy_left > 0:
            fuzzy_left -= 1
            near = process.extract(key, choices, scorer=fuzz.token_set_ratio, score_cutoff=FUZZY_CUTOFF, limit=None)
            found = _winner([row for other, _score, _index in near for row in by_key[other]])
        decided[key] = found if found is not None and found[1] >= MIN_MATCHES else None
    answers = {description: decided.get(key) if key else None for description, key in keys.items()}
    wanted = {found[0] for found in answers.values() if found is not None}
    named = sa.select(Category.id, Category.name).where(Category.user_id == user.id, Category.id.in_(wanted))
    names = {row.id: row.name for row in db.session.execute(named)} if wanted else {}
    return {
        description: None
        if found is None
        else CategorySuggestion(found[0], names.get(found[0], ""), found[1], found[2])
        for description, found in answers.items()
    }


# --- rules learned from the history ------------------------------------------------------------


@dataclass(frozen=True)
class RuleSuggestion:
    """A suggested rule, "whenever the description contains `keyword`, set `category_name`":
    `matches` of the user's recent expenses containing it are in that category. `rule` holds
    `categorization.create_rule`'s keywords."""

    key: str
    keyword: str
    category_id: int
    category_name: str
    matches: int
    rule: dict


def _keyword(key: str, lowered: list[str]) -> str | None:
    """The word of `key` a rule should look for: the first one long enough that every one of
    the merchant's descriptions (`lowered`) contains, since banks print the merchant's name before
    its city or branch. None when no word of the key is in all of them (an accent the key folded)."""
    for word in key.split():
        if KEYWORD_MIN_LENGTH <= len(word) <= KEYWORD_MAX_LENGTH and all(word in text for text in lowered):
            return word
    return None


def _handled_by_rule(user: User, description: str) -> bool:
    """Whether one of the user's active rules already sets the category of such an expense."""
    return categorization.apply_to_fields(user=user, fields={"description": description}).category_id is not None


def _rule_suggestions(user: User, *, limit: int | None = None, key: str | None = None) -> list[RuleSuggestion]:
    """The rules worth suggesting, best first (most matches, then keyword): the first `limit`,
    or only the one named `key`; at most MAX_RULE_CANDIDATES merchants are examined.

    A merchant (merchant key) with at least MIN_MATCHES recent expenses gives a keyword; the rule
    "description contains keyword" is judged on everything it would match among the recent
    expenses (lower-cased, as the engine's `contains`), not only on that merchant's: it is a
    candidate when at least MIN_MATCHES and RULE_SHARE of those are in one category. A candidate
    is suggested unless an active rule already categorises the merchant's newest description;
    that check (the user's rules, compiled) runs only on the candidates the answer needs.
    """
    rows = _history(user)
    lowered = {row.description: row.description.lower() for row in rows}
    merchants = [
        (merchant, group)
        for merchant, group in _rows_by_key(rows).items()
        if sum(row.count for row in group) >= MIN_MATCHES
    ]
    merchants.sort(key=lambda item: (-sum(row.count for row in item[1]), item[0]))
    candidates: list[tuple[int, str, int, str]] = []  # (-matches, keyword, category_id, sample)
    tried: set[str] = set()
    for merchant, group in merchants[:MAX_RULE_CANDIDATES]:
        keyword = _keyword(merchant, [lowered[row.description] for row in group])
        if keyword is None or keyword in tried:
            continue
        tried.add(keyword)
        category_id, matches, of = _winner([row for row in rows if keyword in lowered[row.description]])
        if matches >= MIN_MATCHES and matches >= RULE_SHARE * of:
            newest = max(group, key=lambda row: row.latest).sample
            candidates.append((-matches, keyword, category_id, newest))
    candidates.sort()
    found: list[RuleSuggestion] = []
    names: dict[int, str] = {}
    for negative_matches, keyword, category_id, newest in candidates:
        if key is not None and key != _suggestion_key(keyword, category_id):
            continue
        if _handled_by_rule(user, newest):
            continue
        if category_id not in names:
            names[category_id] = _category_name(user, category_id)
        found.append(_suggestion(keyword, category_id, names[category_id], -negative_matches))
        if limit is not None and len(found) >= limit:
            break
    return found


def _suggestion_key(keyword: str, category_id: int) -> str:
    return f"{keyword}->{category_id}"


def _suggestion(keyword: str, category_id: int, category_name: str, matches: int) -> RuleSuggestion:
    rule = {
        "name": f"{keyword.capitalize()} \u2192 {category_name}",
        "conditions": [{"field": "description", "operator": "contains", "value": keyword}],
        "actions": [{"type": "set_category", "category_id": category_id}],
        "match": "all",
    }
    return RuleSuggestion(_suggestion_key(keyword, category_id), keyword, category_id, category_name, matches, rule)


def suggest_rules(*, user: User, limit: int = 10) -> list[RuleSuggestion]:
    """Up to `limit` (1..MAX_RULE_SUGGESTIONS) rules learned from the user's recent expenses,
    most matches first. Nothing is saved: the user accepts one with `accept_rule_suggestion`."""
    errors: Errors = {}
    limit = clean_int(errors, "limit", limit, low=1, high=MAX_RULE_SUGGESTIONS)
    raise_if(errors)
    return _rule_suggestions(user, limit=limit)


def accept_rule_suggestion(*, user: User, key: str) -> Rule:
    """Create the suggested rule `key` (as `suggest_rules` named it), recomputed now: NotFound
    when it is no longer suggested (a rule covers the merchant by now, the history changed, or
    the key was never one). The user row is locked first, so two accepts of one suggestion made at
    once create one rule (the second finds it covered)."""
    errors: Errors = {}
    key = clean_text(errors, "key", key, max_length=SUGGESTION_KEY_MAX_LENGTH, required=True)
    raise_if(errors)
    with transaction() as session:
        session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
        found = _rule_suggestions(user, key=key)
        if not found:
            raise NotFound("That rule is no longer suggested.")
        (suggestion,) = found
        return categorization.create_rule(user=user, **suggestion.rule)
