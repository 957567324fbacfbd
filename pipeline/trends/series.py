"""Checks on yearly series: a series (documents of one genre from one organisation) with two
documents in one year and none in a neighbouring year usually means a year was read wrongly
(a report published in January dated to the year it was published, not the year it covers)."""

from __future__ import annotations

import pandas as pd

from pipeline.trends.frames import as_year

#: genres that come once a year from one organisation (pipeline.ingest.period.GENRES names)
ANNUAL_GENRES = frozenset({"述职述廉", "民主生活会", "组织生活会", "对照检查", "工作要点", "工作总结"})


def series_gaps(documents: pd.DataFrame, *, min_docs: int = 3, genres=ANNUAL_GENRES) -> list[str]:
    """One message per series (same ``genre`` — one of ``genres``, None for any — and ``org``, at least ``min_docs``
    documents of known year) that has a year with two or more documents next to a year with none
    inside its span."""
    if documents is None or documents.empty or "genre" not in documents or "year" not in documents:
        return []
    docs = pd.DataFrame(
        {
            "genre": documents["genre"].astype(object).where(documents["genre"].notna(), "").astype(str).str.strip(),
            "org": documents["org"].astype(object).where(documents["org"].notna(), "").astype(str).str.strip() if "org" in documents else "",
            "year": as_year(documents["year"]),
        }
    )
    docs = docs[(docs["genre"] != "") & docs["year"].notna()]
    if genres is not None:
        docs = docs[docs["genre"].isin(set(genres))]
    out = []
    for (genre, org), group in docs.groupby(["genre", "org"], sort=True):
        if len(group) < min_docs:
            continue
        counts = group["year"].astype(int).value_counts()
        span = range(int(counts.index.min()), int(counts.index.max()) + 1)
        for year in span:
            if counts.get(year, 0) < 2:
                continue
            empty = [y for y in (year - 1, year + 1) if y in span and counts.get(y, 0) == 0]
            if empty:
                who = f"{genre} / {org}" if org else genre
                out.append(
                    f"yearly series {who}: {counts[year]} documents in {year}, none in {', '.join(map(str, empty))}"
                    " -- check their years (documents.csv: pub_date, report_year, year_source) or set them in a metadata sheet"
                )
    return out
