"""Property-based tests (hypothesis) for personnummer and samordningsnummer parsing."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from mognad.contract.personnummer import build, format_as, luhn_digit, normalize

TODAY = dt.date(2026, 11, 27)
births = st.dates(min_value=dt.date(1890, 1, 1), max_value=TODAY)
serials = st.integers(min_value=1, max_value=999)  # 000 is never issued (refused below)


def age_100_or_more(born: dt.date) -> bool:
    try:
        hundredth = born.replace(year=born.year + 100)
    except ValueError:  # 29 February
        hundredth = dt.date(born.year + 100, 3, 1)
    return hundredth <= TODAY


def all_forms(twelve: str, born: dt.date) -> list[str]:
    forms = [format_as(twelve, "long"), format_as(twelve, "long-")]
    if age_100_or_more(born):
        forms.append(f"{twelve[2:8]}+{twelve[8:]}")  # `+` marks age 100 and over
    else:
        forms += [format_as(twelve, "short-"), format_as(twelve, "short")]
    forms += [f"  {forms[0]} ", f"{twelve[:8]} {twelve[8:]}"]
    return forms


@settings(max_examples=300, deadline=None)
@given(born=births, serial=serials, samordning=st.booleans())
def test_every_form_normalises_to_the_same_twelve_digits(born, serial, samordning):
    twelve = build(born, serial, samordning=samordning)
    for form in all_forms(twelve, born):
        assert normalize(form, today=TODAY) == twelve, form
    if samordning:
        assert int(twelve[6:8]) == born.day + 60


@settings(max_examples=300, deadline=None)
@given(
    born=births,
    serial=serials,
    samordning=st.booleans(),
    position=st.integers(min_value=0, max_value=9),
    delta=st.integers(min_value=1, max_value=9),
    form=st.sampled_from(["short", "short-", "long", "long-"]),
)
def test_any_single_digit_change_is_rejected(born, serial, samordning, position, delta, form):
    twelve = build(born, serial, samordning=samordning)
    if age_100_or_more(born) and form.startswith("short"):
        text = f"{twelve[2:8]}+{twelve[8:]}"
    else:
        text = format_as(twelve, form)
    # the Luhn digit covers the ten-digit part; the century (first two of twelve) is
    # outside it, so the changed digit is one of the ten
    digit_positions = [i for i, ch in enumerate(text) if ch.isdigit()][-10:]
    i = digit_positions[position]
    changed = text[:i] + str((int(text[i]) + delta) % 10) + text[i + 1 :]
    assert normalize(changed, today=TODAY) is None, (text, changed)


@given(st.text(max_size=20))
def test_arbitrary_text_never_raises_and_valid_results_have_a_valid_luhn_digit(text):
    result = normalize(text, today=TODAY)
    if result is not None:
        assert len(result) == 12 and result.isdigit()
        assert luhn_digit(result[2:11]) == int(result[11])


def test_plus_means_a_hundred_years_earlier():
    twelve = build(dt.date(1920, 5, 1), 456)
    assert normalize(f"{twelve[2:8]}+{twelve[8:]}", today=TODAY) == twelve
    assert normalize(f"{twelve[2:8]}-{twelve[8:]}", today=TODAY) == "20" + twelve[2:]


def test_future_birth_dates_and_impossible_dates_are_rejected():
    future = build(dt.date(2027, 1, 1), 123)
    assert normalize(future, today=TODAY) is None
    assert normalize("19850230-1234", today=TODAY) is None  # 30 February


@settings(max_examples=200, deadline=None)
@given(born=births, samordning=st.booleans())
def test_serial_000_is_refused_in_every_form_though_its_check_digit_is_right(born, samordning):
    twelve = build(born, 0, samordning=samordning)
    assert twelve[8:11] == "000" and luhn_digit(twelve[2:11]) == int(twelve[11])
    for form in all_forms(twelve, born):
        assert normalize(form, today=TODAY) is None, form


def test_guide_examples_are_what_the_code_accepts():
    from mognad.guide.texts import PERSONNUMMER_TABLE

    for line in PERSONNUMMER_TABLE:
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 4 or not cells[2].startswith("`"):
            continue
        example, accepted = cells[2].strip("`"), cells[3].startswith("ja")
        assert (normalize(example, today=TODAY) is not None) == accepted, line
