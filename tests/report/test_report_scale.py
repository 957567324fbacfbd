"""report.html stays light at scale: a synthetic run (many formulations, many paragraphs) gives a
page under ~10 MB that still lists every formulation, with capped concordance lines. The 100 MB
case is slow (``-m slow``); a smaller one runs with the rest."""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest

from pipeline.report import lookup, page
from pipeline.store.runs import RunTables

#: filler characters (no numerals, so no generated term is formed by chance)
FILLER = "的是在了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
LABELS = ["政治建设", "组织建设", "作风建设", "其他"]


def synthetic_run(out_dir, *, n_chars: int, n_terms: int, n_docs: int, years=range(1996, 2026), seed: int = 7) -> RunTables:
    """A run of ``n_chars`` characters of text in ``n_docs`` documents over ``years``, using
    ``n_terms`` formulations (half 提法), with its lexicon, counts and labelled paragraphs."""
    from pipeline import trends
    from pipeline.terms import TermMatcher

    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    pool = list("党建政治组织思想作风纪律制度廉洁改革创新发展责任担当学习教育实践服务群众基层支部先锋模范")
    terms, seen = [], set()
    while len(terms) < n_terms:
        core = "".join(rng.choice(pool, 4))
        term = ("三个" + core) if len(terms) % 2 == 0 else core + "建设"
        if term not in seen:
            seen.add(term)
            terms.append(term)
    national = ["national" if i % 3 == 0 else "local" for i in range(n_terms)]
    lex = pd.DataFrame(
        {
            "term": terms,
            "aliases": "",
            "category": "政治",
            "first_year": [2000 + i % 20 for i in range(n_terms)],
            "level": national,
            "expansion": "",
            "kind": ["提法" if t.startswith("三个") else "术语" for t in terms],
        }
    )
    lex.to_csv(out_dir / "formulations.csv", index=False, encoding="utf-8")
    para_len = 240
    n_paras = max(n_docs, n_chars // para_len)
    filler = np.array(list(FILLER))
    text = "".join(rng.choice(filler, n_paras * para_len).tolist())
    # every paragraph carries one formulation, drawn with a long tail (a few very common)
    weights = 1.0 / np.arange(1, n_terms + 1)
    which = rng.choice(n_terms, n_paras, p=weights / weights.sum())
    paras = [text[i * para_len : i * para_len + 100] + terms[w] + text[i * para_len + 100 : (i + 1) * para_len] for i, w in enumerate(which)]
    doc_of = np.sort(rng.integers(0, n_docs, n_paras))
    year_list = list(years)
    docs = pd.DataFrame(
        {
            "doc_id": [f"doc{d:06d}" for d in range(n_docs)],
            "path": [f"raw/{year_list[d % len(year_list)]}/报告{d:06d}.txt" for d in range(n_docs)],
            "title": [f"{year_list[d % len(year_list)]}年度工作报告 第{d}号" for d in range(n_docs)],
            "year": pd.array([year_list[d % len(year_list)] for d in range(n_docs)], dtype="Int64"),
        }
    )
    labels = np.array(LABELS)[rng.integers(0, len(LABELS), n_paras)]
    p = pd.DataFrame(
        {
            "doc_id": [f"doc{d:06d}" for d in doc_of],
            "para_id": np.arange(n_paras),
            "heading": "",
            "kind": np.where(rng.random(n_paras) < 0.9, "body", "heading"),
            "text": paras,
            "n_chars": para_len + 6,
            "label": labels,
        }
    )
    conf = rng.random(n_paras)
    for lab in LABELS:
        p[f"p_{lab}"] = np.where(labels == lab, 0.5 + conf / 2, (1 - conf) / 6)
    p["uncertain"] = conf < 0.1
    docs["n_chars"] = p.groupby("doc_id")["n_chars"].sum().reindex(docs["doc_id"]).fillna(0).astype(int).to_numpy()
    matcher = TermMatcher(lookup.lexicon_object(lex))
    hits = pd.DataFrame({"doc_id": p["doc_id"], "term": [terms[w] for w in which], "count": 1})
    assert matcher.count(paras[0])[terms[which[0]]] == 1
    tc = trends.term_counts(hits, docs)
    frames = {
        "documents": docs,
        "paragraphs": p,
        "term_counts": tc,
        "term_trends": trends.term_trends(tc, docs),
        "category_shares": trends.category_shares(p, docs, LABELS),
        "candidates": pd.DataFrame(
            {
                "term": ["三个党建", "一岗双职"],
                "method": ["pattern", "pattern+quoted"],
                "score": [2.0, 3.0],
                "doc_freq": [3, 2],
                "years": ["2001|2002", "2003"],
                "example": ["三个党建", "一岗双职"],
                "variant_of": ["", "一岗双责"],
            }
        ),
    }
    return RunTables.from_frames(out_dir, frames)


def build_page(c) -> tuple[str, float]:
    start = time.perf_counter()
    html = page.render_page(page.page_context(c), {})
    return html, time.perf_counter() - start


def check_page(html: str, c) -> None:
    terms = set(c.term_counts["term"])
    rows = re.findall(r'<tr data-term="([^"]+)" data-i="\d+" data-kind=', html)
    assert set(rows) == terms and len(rows) == len(terms)  # every formulation is findable
    kinds = re.findall(r'<tr data-term="[^"]+" data-i="\d+" data-kind="([^"]+)"', html)
    assert kinds == sorted(kinds, key=lambda k: k != "提法")  # 提法 first
    data = re.search(r'<script type="application/json" id="dj-data">(.*?)</script>', html, re.S)
    import json

    got = json.loads(data.group(1))
    cap = lookup.lines_per_term(c.term_counts.groupby("term")["count"].sum())
    assert max(len(lines) for lines in got["terms"]) <= cap and all(got["terms"])
    assert sum(len(lines) for lines in got["terms"]) <= lookup.LINE_BUDGET


def test_page_of_a_10_megabyte_corpus(tmp_path):
    """~3 million characters (10 MB of UTF-8 text), 1500 formulations, 600 documents."""
    c = synthetic_run(tmp_path / "run", n_chars=3_000_000, n_terms=1500, n_docs=600)
    html, seconds = build_page(c)
    size = len(html.encode("utf-8"))
    print(f"10 MB corpus, 1500 formulations: page {size / 1e6:.2f} MB in {seconds:.1f} s")
    check_page(html, c)
    assert size < 10_000_000


@pytest.mark.slow
def test_page_of_a_100_megabyte_corpus(tmp_path):
    """~33 million characters (100 MB of UTF-8 text), 3000 formulations, 20,000 documents."""
    c = synthetic_run(tmp_path / "run", n_chars=33_000_000, n_terms=3000, n_docs=20_000)
    html, seconds = build_page(c)
    size = len(html.encode("utf-8"))
    print(f"100 MB corpus, 3000 formulations: page {size / 1e6:.2f} MB in {seconds:.1f} s")
    check_page(html, c)
    assert size < 10_000_000
