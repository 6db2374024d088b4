"""Property-based tests (hypothesis): CSV dialect and encoding round trips."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from mognad.ingest import values as V
from mognad.ingest.readers import read_csv_bytes

# Letters people type in Swedish exports, plus the characters that make CSV hard. Only
# characters that Windows-1252 encodes as bytes >= 0xC0 beyond ASCII: those bytes can never
# form valid UTF-8 next to ASCII, so the encoding is unambiguous (a file of "Ã¥" in
# Windows-1252 *is* valid UTF-8 "å"; no reader can tell those apart).
ALPHABET = "abcxyzABCXYZ019 åäöÅÄÖéÉü.:-_'\"/,;\t\n"
cells = st.text(alphabet=ALPHABET, max_size=12)
delimiters = st.sampled_from([",", ";", "\t"])
encodings = st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])


COLUMN_COUNTS = st.integers(min_value=2, max_value=6)


def table(draw_cols=COLUMN_COUNTS):
    @st.composite
    def build(draw):
        ncols = draw(draw_cols)
        header = draw(
            st.lists(
                st.text(alphabet="abcdefghåäöÅÄÖ_ ", min_size=1, max_size=10).filter(
                    lambda s: s.strip()
                ),
                min_size=ncols,
                max_size=ncols,
            )
        )
        rows = draw(
            st.lists(st.lists(cells, min_size=ncols, max_size=ncols), min_size=1, max_size=8)
        )
        # the reader skips rows that are blank in every cell (as a person would expect)
        rows = [r for r in rows if any(c.strip() for c in r)]
        assume(rows)
        return header, rows

    return build()


def write(header, rows, delimiter, encoding) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=table(), delimiter=delimiters, encoding=encodings)
@example(data=(["a", "b"], [["1,5", "x;y"]]), delimiter=";", encoding="cp1252")
@example(data=(["namn", "ort"], [['Åsa "Ö"', "Härnösand"]]), delimiter=",", encoding="utf-8-sig")
@example(data=(["a", "b"], [["x\ny", ""]]), delimiter="\t", encoding="utf-8")
def test_csv_round_trip_gives_identical_cells(data, delimiter, encoding):
    header, rows = data
    sheet = read_csv_bytes(write(header, rows, delimiter, encoding))
    assert sheet.delimiter == delimiter
    text = "".join(header) + "".join("".join(r) for r in rows)
    if encoding == "utf-8-sig" or not text.isascii():  # plain ASCII is every encoding at once
        assert sheet.encoding == encoding
    assert sheet.header == header
    assert sheet.rows == rows


@given(
    integer=st.integers(min_value=-(10**6), max_value=10**6),
    decimals=st.integers(min_value=0, max_value=999),
)
def test_decimal_comma_and_point_read_the_same(integer, decimals):
    text = f"{integer}.{decimals:03d}"
    assert V.number(text.replace(".", ",")) == V.number(text) == float(text)
