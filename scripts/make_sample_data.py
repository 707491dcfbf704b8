"""Generate the committed synthetic sample inputs under data/ (fixed seed, fictitious names,
example.* email domains, 555-01xx style phone numbers).

    .venv/bin/python scripts/make_sample_data.py [--output-dir data]

The files hold the messes `hotpass refine` is built for: title rows, formula-only ghost rows,
autofilter-hidden rows, merged cells, a headerless sheet, an unnamed column, mixed types, phones
stored as numbers, several emails/phones per cell, placeholders, packed name (role) cells,
province and category spelling variants, multi-line names, and a cp1252 CSV.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import xlsxwriter

SEED = 20260101
PREFIXES = ["Acme", "Blue Sky", "Karoo", "Drakensberg", "Highveld", "Coastal", "Summit", "Falcon",
            "Protea", "Baobab", "Kestrel", "Sable", "Cape", "Lowveld", "Indigo", "Meridian",
            "Zenith", "Harrier", "Jacaranda", "Savanna", "Orbit", "Silverwing", "Umhlanga",
            "Table Bay", "Kalahari", "Aloe", "Pioneer", "Vector", "Stratus", "Nimbus"]
SUFFIXES = ["Aviation", "Air Charter", "Flight School", "Aero Club", "Air Maintenance",
            "Helicopters", "Aviation Academy", "Airways"]
LEGAL = ["(Pty) Ltd", "Pty Ltd", "", "", "CC"]
FIRST = ["Jane", "Thabo", "Pieter", "Aisha", "Lerato", "Johan", "Nomsa", "Ravi", "Chloé",
         "Sipho", "Anika", "Michael", "Zanele", "Ettienne", "Fatima", "Kagiso"]
LAST = ["Doe", "Nkosi", "van der Merwe", "Patel", "Mokoena", "Botha", "Dlamini", "Naidoo",
        "Müller", "Khumalo", "Smith", "Pillay", "Mahlangu", "Venter", "Adams", "Molefe"]
ROLES = ["Chief Pilot", "Accountable Manager", "Head of Training", "Quality Manager", "Owner",
         "Operations Manager"]
PROVINCES = ["Gauteng", "GP", "Western Cape", "WC", "KwaZulu-Natal", "KZN", "Kwa-Zulu Natal",
             "Eastern Cape", "Limpopo", "Free State", "Unknown", "Mpumalanga", "North-West"]
CATEGORIES = ["Flight School", "flight school", "FLIGHT SCHOOL", "Charter Operator",
              "charter operator", "Maintenance Organisation", "Air Operator", "Broker"]
DOMAINS = ["example.com", "example.org", "example.net"]


def _workbook(path: Path) -> xlsxwriter.Workbook:
    """A workbook with a fixed creation time, so regenerating gives identical bytes."""
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": datetime(2026, 1, 1), "author": "hotpass sample data"})
    return book


class Faker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        names = {f"{p} {s}" for p in PREFIXES for s in SUFFIXES}
        self.orgs = sorted(names)
        self.rng.shuffle(self.orgs)

    def person(self) -> tuple[str, str]:
        return self.rng.choice(FIRST), self.rng.choice(LAST)

    def email(self, org: str, first: str) -> str:
        local = first.lower().replace("é", "e")
        host = org.lower().split()[0].replace(" ", "")
        return f"{local}@{host}.{self.rng.choice(DOMAINS)}"

    def mobile_digits(self) -> str:
        return f"27{self.rng.choice(['82', '83', '72', '61'])}5550{self.rng.randint(100, 199)}"

    def landline_text(self) -> str:
        style = self.rng.randrange(4)
        digits = self.mobile_digits()
        local = "0" + digits[2:]
        return [f"+{digits}", f"{local[:3]} {local[3:6]} {local[6:]}", f"{local}\u00a0",
                f"({local[:3]}) {local[3:6]}-{local[6:]}"][style]

    def pick(self, items: list[str]) -> str:
        return self.rng.choice(items)


def regulator_register(fake: Faker, path: Path) -> None:
    """Title rows, phones as numbers, serial dates, vertical merges, hidden rows, ghost rows."""
    book = _workbook(path)
    sheet = book.add_worksheet("Approved Operators")
    bold = book.add_format({"bold": True})
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.merge_range(0, 0, 0, 7, "Civil Aviation Register - Approved Operators (synthetic)", bold)
    sheet.write(1, 0, "Extract produced for the hotpass demo; all entries are fictitious.")
    headers = ["Operator Name", "Certificate No", "Contact Person", "Telephone", "E-mail",
               "Province", "Operator Type", "Issue Date"]
    sheet.write_row(3, 0, headers, bold)
    row = 4
    hidden_from = 60
    for index, org in enumerate(fake.orgs[:70]):
        legal = fake.pick(LEGAL)
        name = f"{org} {legal}".strip()
        contacts = 2 if index % 9 == 0 else 1
        if contacts == 2:
            sheet.merge_range(row, 0, row + 1, 0, name)
        else:
            sheet.write_string(row, 0, name)
        for offset in range(contacts):
            r = row + offset
            first, last = fake.person()
            cert = 1000 + index if index % 3 else f"AOC-{1000 + index}"
            sheet.write(r, 1, cert)
            sheet.write_string(r, 2, f"{first} {last}")
            sheet.write_number(r, 3, int(fake.mobile_digits()))
            sheet.write_string(r, 4, fake.email(org, first))
            sheet.write_string(r, 5, fake.pick(PROVINCES))
            sheet.write_string(r, 6, fake.pick(CATEGORIES))
            issued = date(2024, 1, 1) + timedelta(days=fake.rng.randrange(600))
            sheet.write_datetime(r, 7, issued, date_format)  # stored as an Excel serial
            if index >= hidden_from:
                sheet.set_row(r, None, None, {"hidden": True})
        row += contacts
    sheet.autofilter(3, 0, row - 1, 7)
    sheet.filter_column(5, "x == Gauteng or x == GP")
    for ghost in range(row, row + 150):
        sheet.write_formula(ghost, 0, "=ROW()", None, ghost + 1)
    book.close()


def crm_export(fake: Faker, path: Path) -> None:
    """Packed name (role), messy emails and phones, placeholders, multi-line names."""
    book = _workbook(path)
    sheet = book.add_worksheet("CRM Contacts")
    wrap = book.add_format({"text_wrap": True})
    sheet.write_row(0, 0, ["Company", "Contact", "Email Address", "Phone Number", "Website",
                           "Region", "Segment", "Last Updated", "Notes"])
    for index, org in enumerate(fake.orgs[30:120]):
        r = index + 1
        first, last = fake.person()
        display = org.upper() if index % 5 == 0 else org
        if index % 11 == 0:
            words = display.split(" ", 1)
            sheet.write_string(r, 0, "\n".join(words), wrap)
        else:
            sheet.write_string(r, 0, display)
        sheet.write_string(r, 1, f"{first} {last} ({fake.pick(ROLES)})")
        email = fake.email(org, first)
        emails = [f"  {email.upper()} ", f"{email}; info@{email.split('@')[1]}", email,
                  "n/a", email, "—"]
        sheet.write_string(r, 2, emails[index % len(emails)])
        phones = [fake.landline_text(), f"{fake.landline_text()}; {fake.landline_text()}",
                  f"{fake.landline_text()} / {fake.landline_text()}", "—", fake.landline_text()]
        sheet.write_string(r, 3, phones[index % len(phones)])
        host = org.lower().replace(" ", "")
        sites = [f"www.{host}.example.com", f"http://{host}.example.org/", "tbc",
                 f"https://{host}.example.net/about", "not a site"]
        sheet.write_string(r, 4, sites[index % len(sites)])
        sheet.write_string(r, 5, fake.pick(PROVINCES))
        sheet.write_string(r, 6, fake.pick(CATEGORIES))
        updated = date(2025, 1, 1) + timedelta(days=fake.rng.randrange(300))
        sheet.write_string(r, 7, updated.strftime("%d/%m/%Y"))
        if index % 7 == 0:
            sheet.write_string(r, 8, "met at the airshow")
    book.close()


def hand_kept_leads(fake: Faker, path: Path) -> None:
    """A headerless sheet, an unnamed column holding data, block merges and mixed types."""
    book = _workbook(path)
    leads = book.add_worksheet("Leads")
    for index, org in enumerate(fake.orgs[100:140]):
        first, last = fake.person()
        leads.write_row(index, 0, [org, f"{first} {last}", fake.email(org, first),
                                   "0" + fake.mobile_digits()[2:]])
    regions = book.add_worksheet("By Region")
    regions.write_row(0, 0, ["Organisation", "Province", "Phone", ""])
    row = 1
    for block, province in enumerate(["Western Cape", "KZN", "gauteng"]):
        orgs = fake.orgs[140 + block * 8:148 + block * 8]
        regions.merge_range(row, 1, row + len(orgs) - 1, 1, province)
        for org in orgs:
            first, _ = fake.person()
            regions.write_string(row, 0, org)
            regions.write_number(row, 2, int(fake.mobile_digits()[2:]))  # leading 0 lost
            regions.write_string(row, 3, fake.email(org, first))  # unnamed column with data
            row += 1
    book.close()


def broker_csv(fake: Faker, path: Path) -> None:
    """A semicolon CSV in Windows-1252, as exported by an older desktop CRM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Organisation Name", "Contact Name", "Role", "E-mail", "Cell", "Province",
                     "Category"])
    rows: list[list[Any]] = []
    for org in fake.orgs[:25]:
        first, last = fake.person()
        rows.append([f"{org} (Pty) Ltd" if len(rows) % 2 else org.upper(), f"{first} {last}",
                     fake.pick(ROLES), fake.email(org, first), fake.landline_text().strip(),
                     fake.pick(PROVINCES), "Broker"])
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("cp1252", errors="replace"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", type=Path, default=Path("data"))
    args = parser.parse_args()
    args.output_dir.mkdir(parents=True, exist_ok=True)
    fake = Faker(SEED)
    regulator_register(fake, args.output_dir / "regulator-register.xlsx")
    crm_export(fake, args.output_dir / "crm-export.xlsx")
    hand_kept_leads(fake, args.output_dir / "hand-kept-leads.xlsx")
    broker_csv(fake, args.output_dir / "brokers-cp1252.csv")


if __name__ == "__main__":
    main()
