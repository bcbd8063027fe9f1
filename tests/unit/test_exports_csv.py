"""The CSV exports' cells: quoting by the csv module, and formulas defused (CSV injection)."""

from __future__ import annotations

import csv
import io

from subgraphs.booking import exports


def test_cells_are_quoted_and_formulas_defused() -> None:
    out = exports.CsvChunks().write([
        ["=SUM(A1:A2)", "+1", "-1", "@x", "\tx", "\rx", "a,b", 'say "hi"', "line\nbreak",
         "plain", "ümlaut", -5, None]])
    assert out == ("'=SUM(A1:A2),'+1,'-1,'@x,'\tx,\"'\rx\",\"a,b\",\"say \"\"hi\"\"\","
                   "\"line\nbreak\",plain,ümlaut,-5,\r\n").encode()
    [row] = list(csv.reader(io.StringIO(out.decode(), newline="")))
    assert row[:4] == ["'=SUM(A1:A2)", "'+1", "'-1", "'@x"] and row[11] == "-5"
