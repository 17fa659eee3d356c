"""Dates in clinical notes, in the formats they are written in (ISO, US, Chinese, month
names), found and moved by a patient's offset in days without changing how they are written
(the de-identification's date shift)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import regex

_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_MONTHS.update({name[:3]: number for name, number in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_MONTH_NAMES = (
    r"(?P<mon>(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
    r"aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?))\.?"
)
_DATE_PATTERNS = (
    (
        "iso",
        regex.compile(
            r"(?<![\d/.\-])(?P<y>(?:19|20)\d{2})(?P<sep>[\-/.])(?P<m>0?[1-9]|1[0-2])"
            r"(?P=sep)(?P<d>0?[1-9]|[12]\d|3[01])(?![\d:]|[/.\-]\d)"
        ),
    ),
    (
        "us",
        regex.compile(
            r"(?<![\d/.\-])(?P<m>0?[1-9]|1[0-2])(?P<sep>[/\-.])(?P<d>0?[1-9]|[12]\d|3[01])"
            r"(?P=sep)(?P<y>(?:19|20)?\d{2})(?![\d:]|[/.\-]\d)"
        ),
    ),
    (
        "zh",
        regex.compile(
            r"(?P<y>(?:19|20)\d{2})[ \t]*年[ \t]*(?P<m>0?[1-9]|1[0-2])[ \t]*月"
            r"[ \t]*(?P<d>0?[1-9]|[12]\d|3[01])[ \t]*[日号]"
        ),
    ),
    (
        "zh_md",
        regex.compile(
            r"(?<![\d年])(?P<m>0?[1-9]|1[0-2])[ \t]*月[ \t]*(?P<d>0?[1-9]|[12]\d|3[01])"
            r"[ \t]*[日号]"
        ),
    ),
    (
        "mdy",
        regex.compile(
            rf"(?<![\p{{L}}]){_MONTH_NAMES}[ \t]+(?P<d>[12]\d|3[01]|0?[1-9])"
            r"(?:st|nd|rd|th)?(?:,?[ \t]+(?P<y>(?:19|20)\d{2}))?(?![\d])"
        ),
    ),
    (
        "dmy",
        regex.compile(
            rf"(?<![\d])(?P<d>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?[ \t]+"
            rf"{_MONTH_NAMES}(?:,?[ \t]+(?P<y>(?:19|20)\d{{2}}))?(?![\p{{L}}])"
        ),
    ),
)


@dataclass
class DateMatch:
    start: int
    end: int
    style: str
    groups: dict


def find_dates(text: str) -> list[DateMatch]:
    found = []
    for style, pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            found.append(DateMatch(match.start(), match.end(), style, match.groupdict()))
    return found


def shift_date(match: DateMatch, text: str, days: int) -> str | None:
    """The date moved by ``days``, written as it was; None if it is not a real date."""
    g = match.groups
    month = int(g["m"]) if g.get("m") else _MONTHS.get((g.get("mon") or "").lower().rstrip("."))
    if not month:
        return None
    year_text = g.get("y") or ""
    if year_text and len(year_text) == 2:
        year = 2000 + int(year_text) if int(year_text) < 50 else 1900 + int(year_text)
    else:
        year = int(year_text) if year_text else 2000  # a leap year: "Feb 29" stays valid
    try:
        moved = dt.date(year, month, int(g["d"])) + dt.timedelta(days=days)
    except ValueError:
        return None
    original = text[match.start : match.end]
    style = match.style
    if style in ("iso", "us"):
        sep = g["sep"]
        m = f"{moved.month:02d}" if len(g["m"]) == 2 else str(moved.month)
        d = f"{moved.day:02d}" if len(g["d"]) == 2 else str(moved.day)
        y = str(moved.year) if len(year_text) == 4 else f"{moved.year % 100:02d}"
        return sep.join((y, m, d)) if style == "iso" else sep.join((m, d, y))
    if style == "zh":
        return f"{moved.year}年{moved.month}月{moved.day}日"
    if style == "zh_md":
        return f"{moved.month}月{moved.day}日"
    long_month = len(g["mon"]) > 3
    month_name = moved.strftime("%B" if long_month else "%b")
    if g["mon"].isupper():
        month_name = month_name.upper()
    year_part = f"{',' if ',' in original else ''} {moved.year}" if year_text else ""
    if style == "mdy":
        return f"{month_name} {moved.day}{year_part}"
    return f"{moved.day} {month_name}{year_part}"
