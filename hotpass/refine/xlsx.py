"""A minimal .xlsx writer for hotpass's own outputs: text, integers and booleans, a bold header
row frozen in place, one sheet per frame, nothing else.

Why not a library: the fastest one measured here (rustpy-xlsxwriter) spends most of its time
deflating the sheet XML at a high compression level. Building the XML column by column with
polars and deflating at level 1 writes the same cells about twice as fast, in a file ~10%
larger. Text goes in inline-string cells, escaped as Excel expects (`&<>`, and control
characters as `_xHHHH_`); a text longer than Excel's cell limit is cut there and marked.
"""

from __future__ import annotations

import re
import zipfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, wait
from pathlib import Path
from xml.sax.saxutils import escape

import polars as pl

from hotpass.refine.threads import workers
from hotpass.refine.xlsxmeta import column_letters

MAX_CELL_CHARS = 32_767  # Excel refuses a workbook with a longer cell
CUT_MARK = " …[cut: longer than an Excel cell holds; the .csv/.parquet output has it whole]"
ROWS_PER_PIECE = 20_000  # rows turned into XML at once: bounds memory for a 1M-row sheet
_RARE = r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_"  # \r too: XML reads it as \n
_RARE_CHARS = re.compile(_RARE)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (_HEAD + f'<styleSheet {_NS}><fonts count="2"><font><sz val="11"/><name val="Calibri"/>'
           '<family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/>'
           '<family val="2"/></font></fonts><fills count="2"><fill><patternFill '
           'patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
           '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
           '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" '
           'fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" '
           'fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" '
           'fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles count="1">'
           '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def write_workbook(path: Path, sheets: Sequence[tuple[str, pl.DataFrame]]) -> None:
    """Write `sheets` (name, frame) to a new workbook at `path`, the first sheet active.

    Sheet XML is made a piece at a time (see `sheet_xml`) while another thread deflates the
    previous piece into the file: polars and zlib both work outside the GIL."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=1) as archive, \
            workers(1, "hotpass-deflate") as deflater:
        for part, text in _package_parts([name for name, _ in sheets]):
            archive.writestr(part, text)
        for number, (_, frame) in enumerate(sheets, start=1):
            with archive.open(f"xl/worksheets/sheet{number}.xml", "w",
                              force_zip64=True) as member:
                written: Future[int] | None = None
                try:
                    for piece in sheet_xml(frame, active=number == 1):
                        if written is not None:
                            written.result()  # one piece at a time: a member is not thread-safe
                        written = deflater.submit(member.write, piece)
                finally:  # the member closes only once its last piece is in
                    if written is not None:
                        wait([written])
                if written is not None:
                    written.result()


def _package_parts(names: list[str]) -> list[tuple[str, str]]:
    sheets = range(1, len(names) + 1)
    return [("[Content_Types].xml", _content_types(len(names))),
            ("_rels/.rels", _HEAD + _relationships(
                [(f"{_REL}/officeDocument", "xl/workbook.xml")])),
            ("xl/workbook.xml", _workbook(names)),
            ("xl/_rels/workbook.xml.rels", _HEAD + _relationships(
                [(f"{_REL}/worksheet", f"worksheets/sheet{i}.xml") for i in sheets]
                + [(f"{_REL}/styles", "styles.xml")])),
            ("xl/styles.xml", _STYLES)]


def sheet_xml(frame: pl.DataFrame, *, active: bool = False) -> Iterator[bytes]:
    """The worksheet XML of `frame` in pieces: a bold header row, then one row per frame row
    (null and empty cells left out)."""
    selected = ' tabSelected="1"' if active else ""
    yield (_HEAD + f'<worksheet {_NS} {_NS_R}><sheetViews><sheetView{selected} '
           'workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
           'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
           '<sheetFormatPr defaultRowHeight="15"/><sheetData><row r="1">').encode()
    yield "".join(f'<c r="{column_letters(i)}1" s="1" t="inlineStr"><is><t>{escape(name)}'
                  "</t></is></c>" for i, name in enumerate(frame.columns)).encode()
    yield b"</row>"
    frame = _as_cell_text(frame)
    row = pl.concat_str([pl.lit('<row r="'), pl.col("_row"), pl.lit('">'),
                         *[_cell(frame.schema[name], name, column_letters(i))
                           for i, name in enumerate(frame.columns)], pl.lit("</row>")],
                        ignore_nulls=True)
    def rows_xml(start: int) -> bytes:
        piece = frame.slice(start, ROWS_PER_PIECE).with_columns(
            pl.int_range(start + 2, start + 2 + pl.len()).cast(pl.String).alias("_row"))
        xml: bytes = piece.select(row.str.join("").cast(pl.Binary)).item()
        return xml

    yield from _in_order(rows_xml, range(0, frame.height, ROWS_PER_PIECE))
    yield b'</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" ' \
          b'header="0.3" footer="0.3"/></worksheet>'


def _in_order(make: Callable[[int], bytes], starts: range) -> Iterator[bytes]:
    """make(start) for each start, two at a time on worker threads, yielded in order."""
    with workers(2, "hotpass-xml") as pool:
        pending: deque[Future[bytes]] = deque()
        for start in starts:
            pending.append(pool.submit(make, start))
            if len(pending) > 2:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _as_cell_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Text columns as XML character data, null where the cell stays empty: cut to Excel's
    limit, then escaped. Cells that need it start with a marker (`\x00`, which text in XML
    cannot hold) for `_cell` to keep their spaces."""
    texts = [n for n, t in frame.schema.items() if not (t == pl.Boolean or t.is_integer())]
    frame = frame.with_columns(pl.col(texts).cast(pl.String))
    long = _any(frame, texts, lambda c: c.str.len_chars() > MAX_CELL_CHARS)
    frame = frame.with_columns(
        pl.when(pl.col(n).str.len_chars() > MAX_CELL_CHARS).then(
            pl.col(n).str.slice(0, MAX_CELL_CHARS - len(CUT_MARK)) + pl.lit(CUT_MARK))
        .otherwise(pl.col(n)).alias(n) for n in long)
    rare = _any(frame, texts, lambda c: c.str.contains(_RARE))
    spaced = _any(frame, texts, lambda c: c.str.contains(r"^\s|\s$"))
    columns = []
    for name in texts:
        text: pl.Expr = pl.when(pl.col(name) != "").then(pl.col(name))
        if name in rare:
            values = frame[name].filter(frame[name].str.contains(_RARE)).unique().to_list()
            text = text.replace(values, [_escape_rare(v) for v in values])
        text = (text.str.replace_all("&", "&amp;", literal=True)
                .str.replace_all("<", "&lt;", literal=True)
                .str.replace_all(">", "&gt;", literal=True))
        if name in spaced:
            text = pl.when(text.str.contains(r"^\s|\s$")).then(pl.lit("\x00") + text) \
                .otherwise(text)
        columns.append(text.alias(name))
    return frame.with_columns(columns) if columns else frame


def _any(frame: pl.DataFrame, names: list[str], test: Callable[[pl.Expr], pl.Expr],
         ) -> set[str]:
    """The columns among `names` where `test` holds for some cell."""
    if not names:
        return set()
    found = frame.select(test(pl.col(n)).any().alias(n) for n in names).row(0, named=True)
    return {n for n in names if found[n]}


def _cell(dtype: pl.DataType, name: str, letters: str) -> pl.Expr:
    """One column's cells as XML; null where the cell is empty (concat_str of a null is
    null, and the row leaves it out)."""
    start, row = pl.lit(f'<c r="{letters}'), pl.col("_row")
    if dtype == pl.Boolean:
        value = pl.col(name).cast(pl.Int8).cast(pl.String)
        return pl.concat_str([start, row, pl.lit('" t="b"><v>'), value, pl.lit("</v></c>")])
    if dtype.is_integer():
        value = pl.col(name).cast(pl.String)
        return pl.concat_str([start, row, pl.lit('"><v>'), value, pl.lit("</v></c>")])
    text = pl.col(name)
    opening = pl.when(text.str.starts_with("\x00")).then(
        pl.lit('" t="inlineStr"><is><t xml:space="preserve">')).otherwise(
        pl.lit('" t="inlineStr"><is><t>'))
    return pl.concat_str([start, row, opening, text.str.strip_prefix("\x00"),
                          pl.lit("</t></is></c>")])


def _escape_rare(value: str) -> str:
    """Excel's escape for characters XML cannot hold, and for text that looks like one."""
    return _RARE_CHARS.sub(lambda m: "_x005F" + m.group(0) if m.group(0).startswith("_x")
                           else f"_x{ord(m.group(0)):04X}_", value)


def _content_types(sheets: int) -> str:
    kinds = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = [('/xl/workbook.xml', f"{kinds}.sheet.main+xml"),
             ('/xl/styles.xml', f"{kinds}.styles+xml")]
    parts += [(f"/xl/worksheets/sheet{i}.xml", f"{kinds}.worksheet+xml")
              for i in range(1, sheets + 1)]
    return (_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{name}" ContentType="{kind}"/>'
                      for name, kind in parts) + "</Types>")


def _relationships(targets: list[tuple[str, str]]) -> str:
    return ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{kind}" Target="{target}"/>'
                      for i, (kind, target) in enumerate(targets, start=1))
            + "</Relationships>")


def _workbook(names: list[str]) -> str:
    sheets = "".join(f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i}" '
                     f'r:id="rId{i}"/>' for i, name in enumerate(names, start=1))
    return (_HEAD + f'<workbook {_NS} {_NS_R}><bookViews><workbookView/></bookViews>'
            f"<sheets>{sheets}</sheets></workbook>")
