"""A text-layer PDF of a bundled sample report, typeset as a word processor would (wrapped lines,
indented paragraphs, headings, page numbers), comes back with about as many paragraphs as the
report has, sentences whole."""

from __future__ import annotations

import os
import textwrap

import pytest

from pipeline.ingest import ingest_file
from pipeline.ingest.pdflines import join_pdf_lines

WIDTH = 34  # characters a line


def _typeset(paragraphs: list[str], title: str) -> list[list[tuple[str, float]]]:
    """Lines of each page as (text, x): the title centred, headings flush left, body paragraphs
    indented by two ideographic spaces and wrapped at WIDTH characters."""
    lines = [(title, 0.3)]
    for para in paragraphs:
        if len(para) <= 30 and not para.endswith("。"):
            lines.append((para, 0.1))
            continue
        wrapped = textwrap.wrap("\u3000\u3000" + para, WIDTH, drop_whitespace=False) or [para]
        lines += [(w, 0.1) for w in wrapped]
    per_page = 36
    return [lines[i : i + per_page] for i in range(0, len(lines), per_page)]


def _pdf(tmp_path, pages) -> os.PathLike:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import paperang_p2_fonts_cjk
    from matplotlib import font_manager
    from matplotlib.backends.backend_pdf import PdfPages

    font = os.path.join(os.path.dirname(paperang_p2_fonts_cjk.__file__), "fonts", "wqy-microhei.ttc")
    font_manager.fontManager.addfont(font)
    family = font_manager.FontProperties(fname=font).get_name()
    path = tmp_path / "report.pdf"
    with matplotlib.rc_context({"font.family": family, "pdf.fonttype": 42}), PdfPages(path) as pdf:
        for n, lines in enumerate(pages, start=1):
            fig = plt.figure(figsize=(8.27, 11.69))
            for i, (text, x) in enumerate(lines):
                fig.text(x, 0.95 - i * 0.025, text, fontsize=11)
            fig.text(0.48, 0.03, f"- {n} -", fontsize=9)
            pdf.savefig(fig)
            plt.close(fig)
    return path


@pytest.mark.parametrize("seed", ["003_bd08b3d372a54d52.txt", "002_6e530d1dddefc870.txt"])
def test_a_text_pdf_of_a_sample_report_keeps_its_paragraphs(tmp_path, sample_dir, seed):
    _, txt_doc = ingest_file(sample_dir / seed, sample_dir)
    body = [p.text for p in txt_doc.paragraphs]
    pdf = _pdf(tmp_path, _typeset(body, txt_doc.title))
    row, doc = ingest_file(pdf, tmp_path)
    assert row.status == "ok", row
    n_txt, n_pdf = len(txt_doc.paragraphs), len(doc.paragraphs)
    assert n_pdf <= 1.5 * n_txt, (n_txt, n_pdf)
    got = [p.text for p in doc.paragraphs]
    whole = sum(any(t in g for g in got) for t in body)
    assert whole >= 0.8 * len(body), (whole, len(body))  # paragraphs come back whole, not cut at line ends


def test_join_rules_on_extracted_lines():
    page1 = "党委工作总结\n一、加强政治建设\n\u3000\u3000全年坚决做到两个维护，严格落实三会一课制\n度，深入开展主题党日活动。\n\u3000\u3000持续整治四风问题，\n开展警示教育。\n- 1 -"
    page2 = "二、加强作风建设\n\u3000\u3000八项规定精神得到落实。"
    assert join_pdf_lines([page1, page2]).split("\n") == [
        "党委工作总结",
        "一、加强政治建设",
        "全年坚决做到两个维护，严格落实三会一课制度，深入开展主题党日活动。",
        "持续整治四风问题，开展警示教育。",
        "二、加强作风建设",
        "八项规定精神得到落实。",
    ]
