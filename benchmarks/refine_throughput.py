"""Refinement throughput: `hotpass refine` against the I/O floor and a pandas + openpyxl baseline.

    .venv/bin/python benchmarks/refine_throughput.py                # 10k and 100k rows
    .venv/bin/python benchmarks/refine_throughput.py --sizes 1000000 --skip-baseline

For each size it generates a workbook (fixed seed, ~12 columns of realistic mess: name variants
and duplicates, phones as numbers / spaced / several per cell, emails in upper case or several
per cell, placeholders, province and category variants, dates as serials and text), then
measures in the same run:
- `hotpass refine` end to end (a fresh process: wall time and peak RSS);
- the I/O floor: the fastest read of the same workbook (fastexcel or python-calamine) plus the
  fastest write of the same number of rows (rustpy-xlsxwriter), doing nothing else;
- a pandas + openpyxl baseline: read, the same normalisation, deduplicate, write;
and prints the ratios `refine / io_floor` and `pandas_openpyxl / refine`, plus refine and the
floor in CPU seconds (user + system; steadier than wall time when the machine is shared). Refine
and the floor are the best of `--repeat` runs (the baseline runs once: it is slow).
Needs the `bench` extra (pandas, pyarrow, openpyxl). Not a test: nothing here runs under pytest.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SEED = 424242
COLUMNS = ["Organisation", "Contact", "Email", "Phone", "Website", "Address", "Province",
           "Category", "Status", "Certificate", "Last Updated", "Notes"]
PROVINCES = ["Gauteng", "GP", "KZN", "Kwa-Zulu Natal", "Western Cape", "WC", "Unknown",
             "Limpopo", "Free State", "Eastern Cape"]
CATEGORIES = ["Flight School", "flight school", "Charter Operator", "CHARTER OPERATOR", "Broker"]
WORDS = ["Acme", "Blue", "Sky", "Karoo", "Cape", "Falcon", "Protea", "Summit", "Vector",
         "Orbit", "Sable", "Kestrel", "Zenith", "Harrier", "Aloe", "Indigo", "Nimbus", "Delta"]
KINDS = ["Aviation", "Air", "Aero Club", "Helicopters", "Flight Academy", "Airways"]


def generate_rows(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    orgs = max(count * 4 // 5, 1)
    rows = []
    for i in range(count):
        org_id = rng.randrange(orgs)
        base = f"{WORDS[org_id % 18]} {WORDS[(org_id // 18) % 18]} {KINDS[org_id % 6]} {org_id}"
        name = [base, base.upper(), f"{base} (Pty) Ltd", f"{base}\nLtd"][rng.randrange(4)]
        person = f"Person {i % 997} Name{i % 89}"
        host = f"org{org_id}.example.com"
        digits = f"2782555{org_id % 10000:04d}"
        phone: Any = [int(digits), f"0{digits[2:4]} {digits[4:7]} {digits[7:]}",
                      f"+{digits}; 0{digits[2:]}", "\u2014", f"0{digits[2:]}\u00a0"][i % 5]
        rows.append({
            "Organisation": name,
            "Contact": person if i % 3 else f"{person} (Chief Pilot)",
            "Email": [f"  INFO@{host.upper()} ", f"a{i}@{host}; b{i}@{host}", f"c{i}@{host}",
                      "n/a"][i % 4],
            "Phone": phone,
            "Website": [f"www.{host}", f"https://{host}/about", "tbc"][i % 3],
            "Address": f"{i % 500} Runway Road, Hangar {i % 40}",
            "Province": PROVINCES[i % len(PROVINCES)],
            "Category": CATEGORIES[i % len(CATEGORIES)],
            "Status": ["Active", "active", "Suspended"][i % 3],
            "Certificate": 10000 + i if i % 2 else f"AOC-{i}",
            "Last Updated": 45000 + i % 900 if i % 2 else f"{1 + i % 28:02d}/0{1 + i % 9}/2025",
            "Notes": "" if i % 7 else "met at airshow",
        })
    return rows


def write_workbook(path: Path, rows: list[dict[str, Any]]) -> tuple[float, float]:
    """Wall and CPU seconds of writing `rows` with rustpy-xlsxwriter."""
    import rustpy_xlsxwriter

    start, cpu = time.perf_counter(), time.process_time()
    rustpy_xlsxwriter.write_worksheets([("Operators", rows)], str(path))
    return time.perf_counter() - start, time.process_time() - cpu


def read_floor(path: Path) -> tuple[float, str, float]:
    """Wall seconds, engine and CPU seconds of the fastest plain read of `path`."""
    import fastexcel
    import python_calamine

    readers = {
        "fastexcel": lambda: fastexcel.read_excel(str(path)).load_sheet(0).to_arrow(),
        "python-calamine": lambda: python_calamine.CalamineWorkbook.from_path(str(path))
        .get_sheet_by_index(0).to_python(),
    }
    timings = {}
    for engine, read in readers.items():
        start, cpu = time.perf_counter(), time.process_time()
        read()
        timings[engine] = (time.perf_counter() - start, time.process_time() - cpu)
    engine = min(timings, key=lambda k: timings[k][0])
    return timings[engine][0], engine, timings[engine][1]


# Runs the command and prints its peak RSS. Linux carries a process's peak RSS across fork and
# exec, so a child forked straight from this (large) benchmark process would report this
# process's size; a small launcher in between measures only `hotpass refine` itself.
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_refine(input_dir: Path, output: Path) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (bytes) and CPU seconds of `hotpass refine` in a fresh
    process."""
    command = [sys.executable, "-m", "hotpass.cli", "refine", "--input-dir", str(input_dir),
               "--output-path", str(output), "--profile", "generic"]
    # Like an installed tool: byte-compiled modules (cached in a temp dir, not in the venv),
    # even where PYTHONDONTWRITEBYTECODE is set for development.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(input_dir.parent / "pycache")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *command], env=env,
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"hotpass refine failed ({done.returncode})")
    rss_kb, cpu_s = done.stdout.split()
    return elapsed, int(rss_kb) * 1024, float(cpu_s)


def pandas_openpyxl(path: Path, output: Path) -> float:
    import pandas as pd

    start = time.perf_counter()
    frame = pd.read_excel(path, engine="openpyxl", dtype=str).fillna("")
    frame = frame.apply(lambda col: col.str.split().str.join(" "))
    frame["Email"] = frame["Email"].str.lower().str.split(r"[;,\s]+").str[0]
    frame.loc[~frame["Email"].str.contains("@", regex=False), "Email"] = ""
    digits = frame["Phone"].str.split(";").str[0].str.replace(r"\D", "", regex=True)
    frame["Phone"] = ("+27" + digits.str[-9:]).where(digits.str.len() >= 9, "")
    frame["Province"] = frame["Province"].replace({"GP": "Gauteng", "KZN": "KwaZulu-Natal",
                                                   "Kwa-Zulu Natal": "KwaZulu-Natal",
                                                   "WC": "Western Cape", "Unknown": ""})
    frame["Category"] = frame["Category"].str.title()
    frame["key"] = (frame["Organisation"].str.lower()
                    .str.replace(r"[^\w\s]", " ", regex=True)
                    .str.replace(r"\b(pty|ltd)\b", "", regex=True).str.split().str.join(" "))
    frame = frame.drop_duplicates("key")
    frame.to_excel(output, engine="openpyxl", index=False)
    return time.perf_counter() - start


def measure(size: int, folder: Path, baseline: bool, repeat: int) -> dict[str, Any]:
    """Best of `repeat` runs for refine and the floor (the machine may be shared)."""
    inputs = folder / f"in-{size}"
    inputs.mkdir()
    rows = generate_rows(size)
    workbook = inputs / "operators.xlsx"
    write_workbook(workbook, rows)
    read_s, engine, read_cpu = min(read_floor(workbook) for _ in range(repeat))
    write_s, write_cpu = min(write_workbook(folder / f"floor-{size}-{n}.xlsx", rows)
                             for n in range(repeat))
    del rows
    runs = [run_refine(inputs, folder / f"refined-{size}.xlsx") for _ in range(repeat)]
    refine_s, rss = min(r[0] for r in runs), max(r[1] for r in runs)
    result = {"rows": size, "refine_s": refine_s, "peak_rss_mb": rss / 2**20,
              "read_s": read_s, "read_engine": engine, "write_s": write_s,
              "io_floor_s": read_s + write_s,
              # CPU seconds are steadier than wall time on a shared machine
              "refine_cpu_s": min(r[2] for r in runs), "io_floor_cpu_s": read_cpu + write_cpu}
    if baseline:
        result["pandas_openpyxl_s"] = pandas_openpyxl(workbook, folder / f"pandas-{size}.xlsx")
    return result


def report(result: dict[str, Any]) -> str:
    line = (f"{result['rows']:>9,} rows | refine {result['refine_s']:7.2f} s, peak RSS "
            f"{result['peak_rss_mb']:7.0f} MB | io floor {result['io_floor_s']:6.2f} s "
            f"(read {result['read_s']:.2f} s {result['read_engine']}, write "
            f"{result['write_s']:.2f} s rustpy-xlsxwriter) | refine/io_floor "
            f"{result['refine_s'] / result['io_floor_s']:.2f} | cpu: refine "
            f"{result['refine_cpu_s']:.2f} s, io floor {result['io_floor_cpu_s']:.2f} s, ratio "
            f"{result['refine_cpu_s'] / result['io_floor_cpu_s']:.2f}")
    if "pandas_openpyxl_s" in result:
        line += (f" | pandas+openpyxl {result['pandas_openpyxl_s']:.2f} s, "
                 f"pandas_openpyxl/refine {result['pandas_openpyxl_s'] / result['refine_s']:.1f}")
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000],
                        help="row counts (add 1000000 for the 1M run; it takes minutes)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per measurement; the fastest counts (default 3)")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="skip pandas + openpyxl (slow: ~1 min per 100k rows)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hotpass-bench-") as tmp:
        for size in args.sizes:
            print(report(measure(size, Path(tmp), not args.skip_baseline, args.repeat)),
                  flush=True)


if __name__ == "__main__":
    main()
