#!/usr/bin/env python3
"""Cross-check workcal's embedded calendar against the PyPI package chinesecalendar.

Usage (from the workspace root):

    pip install chinesecalendar
    python3 crates/workcal/scripts/crosscheck.py            # runs `cargo run -q -p workcal --example dump`
    python3 crates/workcal/scripts/crosscheck.py days.tsv   # or reads a saved dump / year_listing output

For every day listed by workcal (every day of every embedded year) it compares:
  * working vs. off                    -- chinese_calendar.is_workday / is_holiday
  * holiday / make-up / plain day      -- chinese_calendar.get_holiday_detail
  * the holiday name                   -- English name mapped to Chinese; a combined
                                          name such as "国庆节、中秋节" matches either part
It also reports years chinesecalendar covers that workcal lacks, and the reverse.

Exit status: 0 no difference, 1 differences found, 2 could not run.
Not a CI dependency.
"""

import datetime
import os
import subprocess
import sys

try:
    import chinese_calendar as cc
except ImportError:
    print("crosscheck: the chinesecalendar package is missing: pip install chinesecalendar", file=sys.stderr)
    sys.exit(2)

NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
}


def load_listing(argv):
    if len(argv) > 1:
        with open(argv[1], encoding="utf-8") as f:
            return f.read()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run(
        ["cargo", "run", "-q", "-p", "workcal", "--example", "dump"],
        cwd=root, capture_output=True, text=True, encoding="utf-8",
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        print("crosscheck: `cargo run -p workcal --example dump` failed", file=sys.stderr)
        sys.exit(2)
    return proc.stdout


def package_view(day):
    """(work, kind, english_name) according to chinesecalendar."""
    work = cc.is_workday(day)
    if cc.is_holiday(day) == work:
        raise AssertionError(f"chinesecalendar: is_holiday and is_workday agree on {day}")
    _, name = cc.get_holiday_detail(day)
    weekend = day.weekday() >= 5
    if work:
        kind = "makeup" if name else "workday"
        if kind == "makeup" and not weekend:
            kind = "workday?"  # should not happen
    else:
        kind = "holiday" if name else "weekend"
    return work, kind, name


def main(argv):
    listing = load_listing(argv)
    ours = {}
    for lineno, line in enumerate(listing.splitlines(), 1):
        parts = line.split("\t")
        if len(parts) != 4:
            print(f"crosscheck: bad listing line {lineno}: {line!r}", file=sys.stderr)
            return 2
        date_s, work_s, kind, name = parts
        day = datetime.date.fromisoformat(date_s)
        ours[day] = (work_s == "work", kind, name)
    if not ours:
        print("crosscheck: empty listing", file=sys.stderr)
        return 2

    our_years = sorted({d.year for d in ours})
    diffs = []
    name_checked = 0
    for day in sorted(ours):
        work, kind, name = ours[day]
        try:
            p_work, p_kind, p_name = package_view(day)
        except NotImplementedError as e:  # year outside the package's data
            diffs.append(f"{day}: chinesecalendar has no data ({e})")
            continue
        if work != p_work:
            diffs.append(f"{day}: workcal {'work' if work else 'off'}, chinesecalendar {'work' if p_work else 'off'}")
        if kind != p_kind:
            diffs.append(f"{day}: workcal kind {kind}, chinesecalendar kind {p_kind} ({p_name})")
        if p_name:
            zh = NAMES.get(p_name)
            if zh is None:
                diffs.append(f"{day}: unknown chinesecalendar holiday name {p_name!r}")
            elif zh not in name.split("、"):
                diffs.append(f"{day}: workcal name {name!r}, chinesecalendar {p_name!r} ({zh})")
            else:
                name_checked += 1

    # Years the package knows that workcal lacks: probe one day per year.
    missing = []
    for year in range(our_years[-1] + 1, our_years[-1] + 6):
        try:
            cc.is_workday(datetime.date(year, 6, 15))
            missing.append(year)
        except NotImplementedError:
            break

    print(f"workcal years: {our_years[0]}-{our_years[-1]} ({len(ours)} days)")
    print(f"chinesecalendar {getattr(cc, '__version__', '?')}")
    print(f"holiday/make-up names compared: {name_checked}")
    for d in diffs:
        print("DIFF", d)
    for y in missing:
        print(f"MISSING year {y}: chinesecalendar has data, workcal does not")
    if diffs or missing:
        print(f"{len(diffs)} day difference(s), {len(missing)} missing year(s)")
        return 1
    print("no differences")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
