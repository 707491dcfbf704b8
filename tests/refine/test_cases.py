"""One small generated workbook per case 1–11 of the refinement issue, asserting what a user
sees: output cells, issue rows and the exit code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

HEAD = ["Organisation", "Contact", "Email", "Phone", "Province", "Category"]


def test_formula_only_ghost_rows_are_not_records(
        inputs: Path, run_refine: Any, xlsx: Any) -> None:
    def build(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, HEAD)
        ws.write_row(1, 0, ["Acme Aviation", "Jane Doe", "jane@example.com"])
        ws.write_row(2, 0, ["Blue Sky Air", "Sam Smith", "sam@example.org"])
        for r in range(3, 303):
            ws.write_formula(r, 0, "=ROW()", None, r + 1)
            ws.write_formula(r, 3, "=IFERROR(VLOOKUP(A1,B:B,1,0),\"\")", None, "")

    xlsx(inputs / "ghosts.xlsx", build)
    out = run_refine(inputs)
    assert [r["organization_name"] for r in out.refined] == ["Acme Aviation", "Blue Sky Air"]
    assert out.result.records_in == 2 and out.result.rejected == 0
    ghost = [s for s in out.summary if s["item"] == "ghosts.xlsx|Sheet1: ghost_rows"]
    assert ghost[0]["value"] == "300"
    assert out.result.exit_code == 0


def test_rows_hidden_by_an_autofilter_are_kept_and_flagged(
        inputs: Path, run_refine: Any, xlsx: Any) -> None:
    def build(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, HEAD)
        ws.write_row(1, 0, ["Visible Air", "A B", "a@example.com", "", "Gauteng"])
        ws.write_row(2, 0, ["Hidden Air", "C D", "c@example.com", "", "Limpopo"])
        ws.autofilter(0, 0, 2, 5)
        ws.filter_column(4, "x == Gauteng")
        ws.set_row(2, None, None, {"hidden": True})

    xlsx(inputs / "filtered.xlsx", build)
    out = run_refine(inputs)
    assert out.org("Visible Air")["hidden_in_source"] is False
    hidden = out.org("Hidden Air")
    assert hidden["hidden_in_source"] is True
    assert hidden["primary_contact_email"] == "c@example.com"


def test_vertical_and_block_merges_fill_down(
        inputs: Path, run_refine: Any, xlsx: Any) -> None:
    def build(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, HEAD)
        ws.merge_range(1, 0, 4, 0, "Acme Aviation")  # one organisation over four contacts
        for r, (name, email) in enumerate([("Jane Doe", "jane@example.com"),
                                           ("Sam Smith", "sam@example.com"),
                                           ("Lee Chan", "lee@example.com"),
                                           ("Al Noor (Owner)", "")], start=1):
            ws.write_row(r, 1, [name, email])
        ws.write_row(5, 0, ["Karoo Air", "Ann Lee", "ann@example.com"])
        ws.write_row(6, 0, ["Cape Air", "Bo Bo", "bo@example.com"])
        ws.merge_range(5, 4, 6, 5, "Western Cape")  # a block merge over two rows, two columns

    xlsx(inputs / "merged.xlsx", build)
    out = run_refine(inputs)
    acme = out.org("Acme Aviation")
    assert (acme["primary_contact_name"], acme["secondary_contact_name"]) == ("Jane Doe",
                                                                              "Sam Smith")
    assert acme["additional_emails"] == "lee@example.com"
    assert acme["additional_contacts"] == "Lee Chan; Al Noor (Owner)"
    assert acme["source_count"] == 4
    assert out.org("Cape Air")["province"] == "Western Cape"
    assert out.org("Karoo Air")["province"] == "Western Cape"
    assert out.org("Cape Air")["category"] == ""


def test_title_rows_headerless_sheets_and_unnamed_columns(
        inputs: Path, run_refine: Any, xlsx: Any) -> None:
    def build(book: Any, ws: Any) -> None:
        ws.merge_range(0, 0, 0, 4, "Register of operators (extract)")
        ws.write(1, 0, "Produced 2026-01-01")
        ws.write_row(3, 0, ["Organisation", "Contact", "", "Website"])
        ws.write_row(4, 0, ["Acme Aviation", "Jane Doe", "jane@example.com", "acme.example.com"])
        headerless = book.add_worksheet("No header")
        headerless.write_row(0, 0, ["Karoo Air", "Sam Smith", "sam@example.org", "0825550123"])
        headerless.write_row(1, 0, ["Blue Sky Air", "Ann Lee", "ann@example.net", "0835550199"])

    xlsx(inputs / "titles.xlsx", build)
    out = run_refine(inputs)
    acme = out.org("Acme Aviation")
    assert acme["primary_contact_email"] == "jane@example.com"  # unnamed column, inferred
    assert acme["website"] == "https://acme.example.com"
    assert {r["organization_name"] for r in out.refined} == {"Acme Aviation", "Karoo Air",
                                                             "Blue Sky Air"}
    karoo = out.org("Karoo Air")
    assert (karoo["primary_contact_name"], karoo["primary_contact_email"],
            karoo["primary_contact_phone"]) == ("Sam Smith", "sam@example.org", "+27825550123")
    header_rows = {s["item"]: s["value"] for s in out.summary if s["item"].endswith("header_row")}
    assert header_rows == {"titles.xlsx|Sheet1: header_row": "4",
                           "titles.xlsx|No header: header_row": ""}


def _text_and_date_profile(folder: Path, text_field: str) -> Path:
    """A profile with an organisation, one more text field and the date field `issued`."""
    profile = folder / f"{text_field}.yaml"
    profile.write_text(
        f"name: {text_field}\nfields:\n"
        "  organization_name: {type: text, synonyms: [organisation]}\n"
        f"  {text_field}: {{type: text, synonyms: [{text_field}]}}\n"
        "  issued: {type: date, synonyms: [issued]}\nrequired: [organization_name]\n")
    return profile


def test_mixed_types_and_dates_as_serials_or_text(inputs: Path, run_refine: Any,
                                                   tmp_path: Path, xlsx: Any) -> None:
    profile = _text_and_date_profile(tmp_path, "licence")

    def build(book: Any, ws: Any) -> None:
        fmt = book.add_format({"num_format": "dd/mm/yyyy"})
        ws.write_row(0, 0, ["Organisation", "Licence", "Issued"])
        ws.write_row(1, 0, ["Acme", 1234])
        ws.write_datetime(1, 2, dt.datetime(2024, 3, 5), fmt)
        ws.write_row(2, 0, ["Karoo", "AOC-77", "05/03/2024"])
        ws.write_row(3, 0, ["Cape", 12.5, 45356])  # serial without a date format
        ws.write_row(4, 0, ["Blue", "x", "31/02/2024"])

    xlsx(inputs / "types.xlsx", build)
    out = run_refine(inputs, profile=str(profile))
    assert (out.org("Acme")["licence"], out.org("Acme")["issued"]) == ("1234", "2024-03-05")
    assert (out.org("Karoo")["licence"], out.org("Karoo")["issued"]) == ("AOC-77", "2024-03-05")
    assert (out.org("Cape")["licence"], out.org("Cape")["issued"]) == ("12.5", "2024-03-05")
    assert out.org("Blue")["issued"] == ""
    assert out.issues_for("issued") == [("31/02/2024", "not a date (expected dd/mm/yyyy)")]


def test_phones_keep_exact_digits_and_split(
        inputs: Path, run_refine: Any, xlsx: Any) -> None:
    def build(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, ["Organisation", "Phone"])
        ws.write_row(1, 0, ["Number Air"])
        ws.write_number(1, 1, 27821234567)
        ws.write_row(2, 0, ["Compact Air", "0821234568"])
        ws.write_row(3, 0, ["Spaced Air", "082 123 4569\u00a0"])
        ws.write_row(4, 0, ["Multi Air", "082 123 4570; +27 21 555 0101 / 011-555-0102"])
        ws.write_row(5, 0, ["Dash Air", "\u2014"])
        ws.write_row(6, 0, ["Bad Air", "12345"])

    xlsx(inputs / "phones.xlsx", build)
    out = run_refine(inputs)
    assert out.org("Number Air")["primary_contact_phone"] == "+27821234567"
    assert out.org("Compact Air")["primary_contact_phone"] == "+27821234568"
    assert out.org("Spaced Air")["primary_contact_phone"] == "+27821234569"
    multi = out.org("Multi Air")
    assert multi["primary_contact_phone"] == "+27821234570"
    assert multi["additional_phones"] == "+27215550101; +27115550102"
    assert out.org("Dash Air")["primary_contact_phone"] == ""
    assert sorted(out.issues_for("contact_phone")) == [
        ("12345", "not a valid phone number"), ("\u2014", "placeholder dropped")]


def test_emails_lower_cased_split_and_placeholders_reported(inputs: Path,
                                                            run_refine: Any, xlsx: Any) -> None:
    def build(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, ["Organisation", "E-mail"])
        ws.write_row(1, 0, ["Upper Air", "  JANE.DOE@Example.COM "])
        ws.write_row(2, 0, ["Two Air", "a@example.org; b@example.org"])
        ws.write_row(3, 0, ["None Air", "n/a"])
        ws.write_row(4, 0, ["Broken Air", "broken@@example"])

    xlsx(inputs / "emails.xlsx", build)
    out = run_refine(inputs)
    assert out.org("Upper Air")["primary_contact_email"] == "jane.doe@example.com"
    two = out.org("Two Air")
    assert (two["primary_contact_email"], two["additional_emails"]) == ("a@example.org",
                                                                        "b@example.org")
    assert out.org("None Air")["primary_contact_email"] == ""
    assert sorted(out.issues_for("contact_email")) == [
        ("broken@@example", "not a valid email address"),
        ("n/a", "placeholder or text without @ dropped")]


def test_name_and_role_in_one_cell(
        inputs: Path, run_refine: Any, xlsx: Any) -> None:
    def build(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, ["Organisation", "Contact"])
        ws.write_row(1, 0, ["Acme Aviation", "Jane Doe (Chief Pilot)"])
        ws.write_row(2, 0, ["Karoo Air", "Sam Smith - Owner"])

    xlsx(inputs / "people.xlsx", build)
    out = run_refine(inputs)
    acme = out.org("Acme Aviation")
    assert (acme["primary_contact_name"], acme["primary_contact_role"]) == ("Jane Doe",
                                                                            "Chief Pilot")
    karoo = out.org("Karoo Air")
    assert (karoo["primary_contact_name"], karoo["primary_contact_role"]) == ("Sam Smith",
                                                                              "Owner")


def test_province_aliases_and_category_case(
        inputs: Path, run_refine: Any, xlsx: Any) -> None:
    def build(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, ["Organisation", "Province", "Category"])
        ws.write_row(1, 0, ["A Air", "Kwa-Zulu Natal", "Flight School"])
        ws.write_row(2, 0, ["B Air", "KZN", "flight school"])
        ws.write_row(3, 0, ["C Air", "Unknown", "Flight School"])
        ws.write_row(4, 0, ["D Air", "Atlantis", "FLIGHT SCHOOL"])

    xlsx(inputs / "provinces.xlsx", build)
    out = run_refine(inputs)
    assert [out.org(n)["province"] for n in ("A Air", "B Air", "C Air", "D Air")] == [
        "KwaZulu-Natal", "KwaZulu-Natal", "", "Atlantis"]
    assert {r["category"] for r in out.refined} == {"Flight School"}
    assert sorted(out.issues_for("province")) == [
        ("Atlantis", "unrecognised province kept as written"),
        ("Unknown", "placeholder dropped")]


def test_multiline_names_and_the_same_org_across_files(
        inputs: Path, run_refine: Any, xlsx: Any) -> None:
    def regulator(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, ["Organisation", "Email", "Phone"])
        ws.write_row(1, 0, ["Acme Aviation\n(Pty) Ltd", "ops@acme.example.com", "0215550101"])

    def crm(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, ["Company", "Contact", "Email"])
        ws.write_row(1, 0, ["ACME AVIATION", "Jane Doe", "jane@acme.example.com"])
        other = book.add_worksheet("More")
        other.write_row(0, 0, ["Company", "Website"])
        other.write_row(1, 0, ["Acme  Aviation Ltd", "www.acme.example.com/"])

    xlsx(inputs / "regulator.xlsx", regulator)
    xlsx(inputs / "crm.xlsx", crm)
    out = run_refine(inputs)
    assert len(out.refined) == 1
    acme = out.refined[0]
    assert acme["organization_name"] == "Acme Aviation (Pty) Ltd"
    assert acme["organization_key"] == "acme aviation"
    assert acme["website"] == "https://www.acme.example.com"
    assert acme["source_count"] == 3
    assert acme["provenance"] == "crm.xlsx|More|2; crm.xlsx|Sheet1|2; regulator.xlsx|Sheet1|2"
    assert out.result.duplicates_merged == 2


def test_unreadable_files_and_empty_sheets_are_reported_and_the_run_goes_on(
        inputs: Path, run_refine: Any, xlsx: Any) -> None:
    def good(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, ["Organisation", "Email"])
        ws.write_row(1, 0, ["Caf\u00e9 Air", "cafe@example.com"])
        book.add_worksheet("Empty")

    xlsx(inputs / "good.xlsx", good)
    (inputs / "corrupt.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    (inputs / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    (inputs / "latin.csv").write_bytes("Organisation,Email\nZo\u00eb Air,zoe@example.com\n"
                                       .encode("cp1252"))
    out = run_refine(inputs)
    assert {r["organization_name"] for r in out.refined} == {"Caf\u00e9 Air", "Zo\u00eb Air"}
    reasons = {(i["source_file"], i["source_sheet"], i["kind"]): i["reason"] for i in out.issues}
    assert reasons[("corrupt.xlsx", "", "file_problem")].startswith("corrupt or unreadable")
    assert reasons[("locked.xlsx", "", "file_problem")].startswith("password-protected")
    assert reasons[("good.xlsx", "Empty", "warning")] == "empty sheet: no cells with values"
    assert reasons[("latin.csv", "", "warning")].startswith("not UTF-8: read as cp1252")
    assert {p["source"] for p in out.result.to_json()["problems"]} == {
        "corrupt.xlsx", "locked.xlsx", "good.xlsx", "latin.csv"}
    assert out.result.exit_code == 0


def test_rows_without_an_organisation_are_rejected_not_lost(inputs: Path,
                                                            run_refine: Any, xlsx: Any) -> None:
    def build(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, ["Organisation", "Email"])
        ws.write_row(1, 0, ["Acme", "a@example.com"])
        ws.write_row(2, 0, ["", "orphan@example.com"])

    xlsx(inputs / "orphans.xlsx", build)
    out = run_refine(inputs)
    assert out.result.rejected == 1
    rejected = [i for i in out.issues if i["kind"] == "rejected_row"]
    assert rejected == [{"kind": "rejected_row", "source_file": "orphans.xlsx",
                         "source_sheet": "Sheet1", "source_row": 3.0,
                         "field": "organization_name",
                         "value": "contact_email=orphan@example.com",
                         "reason": "missing required field: organization_name"}]


def test_times_and_date_times_read_as_a_user_sees_them(inputs: Path, run_refine: Any,
                                                      tmp_path: Path, xlsx: Any) -> None:
    profile = _text_and_date_profile(tmp_path, "note")

    def build(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, ["Organisation", "Note", "Issued"])
        ws.write_row(1, 0, ["Acme"])
        ws.write_datetime(1, 1, dt.time(13, 30), book.add_format({"num_format": "hh:mm"}))
        ws.write_number(1, 2, 45356.5)  # a serial with a time, no date format
        ws.write_row(2, 0, ["Karoo"])
        ws.write_datetime(2, 1, dt.datetime(2024, 3, 5, 13, 30),
                          book.add_format({"num_format": "yyyy-mm-dd hh:mm"}))

    xlsx(inputs / "times.xlsx", build)
    out = run_refine(inputs, profile=str(profile))
    assert (out.org("Acme")["note"], out.org("Acme")["issued"]) == ("13:30:00", "2024-03-05")
    assert out.org("Karoo")["note"] == "2024-03-05T13:30:00"
