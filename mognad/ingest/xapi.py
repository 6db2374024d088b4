"""xAPI statements as LMSs and LRSs emit them, read as the training feed.

A learner's export from an LMS's xAPI plugin (Moodle's logstore_xapi, for one) or an LRS's
``GET /statements`` answer carries every verb the learner produced: viewed, answered,
attempted, launched, completed… Only a few say that a course was finished; the rest are
read and *ignored*: counted per verb in the receipt (``ignored_statements``), never a
problem row and never a rejected row, so an ordinary export does not cross the reject
threshold.

:data:`VERBS` is the whole rule (the delivery guide prints it). A verb is recognised by the
last path segment of its IRI (``http://adlnet.gov/expapi/verbs/completed`` → ``completed``),
so the ADL vocabulary and others that reuse its words are read alike.

- The person is ``actor.account.name`` (a personnummer or samordningsnummer).
- The course is the full activity IRI ``object.id``: ``…/course/view.php?id=2`` and
  ``…/mod/book/view.php?id=2`` are two courses.
- The course name is ``object.definition.name``, Swedish first (sv-SE, sv, then en-US, en,
  then any language the statement has).
- The date is ``timestamp`` (else ``stored``) on its Europe/Stockholm calendar date.
"""

from __future__ import annotations

from collections import Counter

from mognad.contract.problems import Problem, problem
from mognad.ingest import values as V
from mognad.ingest.readers import Sheet

VERBS: dict[str, tuple[str, str | None, str, str]] = {
    # verb: (status, format or None for e-learning, Swedish meaning, English meaning)
    "completed": ("completed", None, "slutförd", "completed"),
    "passed": ("passed", None, "godkänd (räknas som slutförd)", "passed (counts as completed)"),
    "attended": (
        "completed",
        "workshop",
        "deltog: en slutförd workshop eller träff",
        "attended: a completed workshop or meeting",
    ),
    "failed": ("failed", None, "underkänd (räknas inte som slutförd)", "failed (not completed)"),
}
"""The verbs that count; every other verb is ignored (and counted in the receipt)."""

NAME_LANGUAGES = ("sv-se", "sv", "en-us", "en-gb", "en")


def verb_word(statement: dict) -> str:
    """``completed`` for ``http://adlnet.gov/expapi/verbs/completed``; the verb's display
    name when it has no id; ``okänt`` (unknown) when it has neither."""
    verb = statement.get("verb")
    if not isinstance(verb, dict):
        return "okänt"
    iri = V.clean(verb.get("id")).rstrip("/")
    word = iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1] if iri else ""
    if not word:
        display = verb.get("display")
        if isinstance(display, dict) and display:
            word = str(next(iter(display.values())))
    return V.norm(word)[:60] or "okänt"


def course_name(definition: object) -> str | None:
    """``definition.name`` in Swedish if the statement has it, else English, else any."""
    if not isinstance(definition, dict):
        return None
    names = definition.get("name")
    if not isinstance(names, dict) or not names:
        return None
    by_lang = {str(k).strip().lower(): V.clean(v) for k, v in names.items() if V.clean(v)}
    for lang in NAME_LANGUAGES:
        if by_lang.get(lang):
            return by_lang[lang]
    for lang, text in by_lang.items():
        if lang.startswith("sv"):
            return text
    return next(iter(by_lang.values()), None)


def is_statement(record: object) -> bool:
    return isinstance(record, dict) and "actor" in record and "verb" in record


def statements(sheet: Sheet) -> tuple[list, list[int]] | None:
    """The statements of a JSON file and their numbers (1 = the first statement): an array
    or one statement per line, or an LRS ``StatementResult`` ``{"statements": [...],
    "more": ...}``. ``None`` when the file holds no xAPI."""
    records = sheet.records
    if (
        len(records) == 1
        and isinstance(records[0], dict)
        and isinstance(records[0].get("statements"), list)
    ):
        found = records[0]["statements"]
        return found, list(range(1, len(found) + 1))
    if records and is_statement(records[0]):
        return records, list(sheet.row_numbers)
    return None


def parse(sheet: Sheet, ctx, found: tuple[list, list[int]]):
    """The statements' training records; counted verbs only, the rest tallied per verb."""
    from mognad.ingest.rules import Parsed, _person, _training_record

    items, numbers = found
    records: list[dict] = []
    problems: list[Problem] = []
    ignored: Counter[str] = Counter()
    counted = 0
    for stmt, row_no in zip(items, numbers, strict=True):
        if not isinstance(stmt, dict):
            counted += 1
            problems.append(problem("unreadable", row_no, None, "not an xAPI statement"))
            continue
        word = verb_word(stmt)
        rule = VERBS.get(word)
        if rule is None:
            ignored[word] += 1
            continue
        counted += 1
        status, fmt, _, _ = rule
        actor = stmt.get("actor") if isinstance(stmt.get("actor"), dict) else {}
        account = actor.get("account") if isinstance(actor.get("account"), dict) else {}
        pkey, err = _person(V.clean(account.get("name")), row_no, "actor.account.name", ctx)
        row_errs = [err] if err else []
        obj = stmt.get("object") if isinstance(stmt.get("object"), dict) else {}
        course = V.clean(obj.get("id"))
        if not course:
            row_errs.append(problem("missing_value", row_no, "object.id"))
        raw_time = stmt.get("timestamp") or stmt.get("stored")
        column = "timestamp" if stmt.get("timestamp") else "stored"
        ts = V.timestamp(raw_time) if isinstance(raw_time, str) else None
        if ts is None:
            code = "missing_value" if not raw_time else "invalid_date"
            row_errs.append(problem(code, row_no, column))
        if row_errs:
            problems.extend(row_errs)
            continue
        name = course_name(obj.get("definition"))
        records.append(
            _training_record(
                pkey, course, name, ts.date(), status, fmt or "e-learning", None, row_no
            )
        )
    parsed = Parsed(records, counted, len(records), problems)
    if ignored:
        parsed.receipt["ignored_statements"] = dict(sorted(ignored.items()))
    if not counted and not ignored:
        p = problem("empty_file")
        return Parsed([], 0, 0, [p], p)
    return parsed
