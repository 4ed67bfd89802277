"""`wazo-rec audit --output html`: one self-contained page, checked in a real headless Chromium.

The checks read what the browser rendered: the DOM after load (text, tables, chart bars) and
a screenshot decoded for its size, how much of it is drawn on, and the chart's colours — the
content, never a pixel-by-pixel comparison.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from browser import dump_dom, read_png, screenshot
from samples import ALICE, END, START, cdr, requirement

from wazo_rec_tools.audit.html import (
    _MISSING_COLOUR,
    _RECORDED_COLOUR,
    _REQUIRED_COLOUR,
    render_html,
)
from wazo_rec_tools.audit.result import audit

WIDTH, HEIGHT = 1200, 1400


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


@pytest.fixture
def report(run_cli, known_calls, tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")  # the week's days as the test counts them
    path = tmp_path / "audit.html"
    start, end = known_calls.window
    result = run_cli("audit", "--from", start, "--until", end, "--output", "html", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    return path


class _Text(HTMLParser):
    """The visible text of a DOM, and the text of each element with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "title")

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "title") and self.skip > 0

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.parts.append(data.strip())


def _text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def test_the_page_references_nothing_outside_itself(report):
    page = report.read_text()

    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", page, re.I)
    assert not re.search(r"\b(src|href)\s*=|url\(|@import", page, re.I)
    assert re.findall(r"https?://[^\s\"'<>]+", page) == ["http://www.w3.org/2000/svg"]


def test_chromium_renders_the_summary_the_chart_and_every_exception(report, known_calls, tmp_path):
    dom = dump_dom(report, tmp_path / "profile")

    text = _text(dom)
    assert "Recording audit" in text
    assert "Result: 2 missing and 2 unexpected call(s)." in text
    assert "Required and recorded calls per day" in text
    exceptions = dom[dom.index('id="exceptions"') : dom.index('id="users"')]
    for cdr_id, category in known_calls.expected.items():
        listed = f'<td class="n">{cdr_id}</td>' in exceptions
        assert listed == (category in ("missing", "unexpected")), (cdr_id, category)
    chart = dom[dom.index("<svg") : dom.index("</svg>")]
    days = 7
    assert chart.count("<rect") == 2 * days + 3  # two bars a day, three legend keys
    assert "2025-03-03: 5 required" in chart and "2025-03-03: 3 recorded" in chart
    assert known_calls.alice.username in _text(dom[dom.index('id="users"') :])


def test_the_screenshot_is_a_drawn_page_of_the_window_size_with_the_chart_colours(report, tmp_path):
    shot = screenshot(report, tmp_path / "profile", tmp_path / "audit.png", WIDTH, HEIGHT)

    image = read_png(shot)
    assert (image.width, image.height) == (WIDTH, HEIGHT)
    assert image.share_not_white() > 0.03
    assert image.count(_rgb(_REQUIRED_COLOUR)) > 500  # the required bar (and its legend key)
    assert image.count(_rgb(_RECORDED_COLOUR)) > 500  # the recorded bar
    assert image.count(_rgb(_MISSING_COLOUR)) > 0
    if keep := os.environ.get("AUDIT_SCREENSHOT"):  # to look at it: AUDIT_SCREENSHOT=/tmp/a.png
        shutil.copyfile(shot, keep)


def test_a_clean_window_reads_as_clean(run_cli, known_calls, tmp_path):
    first = next(iter(known_calls.starts.values()))
    path = tmp_path / "clean.html"
    until = datetime.fromisoformat(first) + timedelta(minutes=30)
    result = run_cli(
        "audit", "--from", first, "--until", until.isoformat(), "--output", "html", "-o", str(path)
    )
    assert result.exit_code == 0, result.stderr

    text = _text(dump_dom(path, tmp_path / "profile"))

    assert "Result: no call was missing or unexpected." in text
    assert "Missing and unexpected calls None." in text


def test_names_from_the_stack_are_escaped_in_the_page():
    item = cdr("outbound", source=ALICE, source_name="<script>alert(1)</script>")
    req = requirement(alice={"call_record_outgoing_external_enabled": True})
    result = audit([item], req, start=START, end=END, zone=UTC)

    page = render_html(result)

    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
