from __future__ import annotations

import io

from wazo_rec_tools.export.progress import LineReporter, TtyReporter, human_size


def test_line_reporter_writes_plain_lines_a_journal_can_keep():
    out, err = io.StringIO(), io.StringIO()
    reporter = LineReporter(out, err)

    reporter.info("acme 2026-03-23_2026-03-30: launched export e1")
    count = reporter.transfer("acme 2026-03-23_2026-03-30")
    for _ in range(3):
        count(1_000_000)
    reporter.done()
    reporter.error("globex 2026-03-23_2026-03-30: failed: boom")

    lines = out.getvalue().splitlines()
    assert lines[0] == "acme 2026-03-23_2026-03-30: launched export e1"
    assert lines[1].startswith("acme 2026-03-23_2026-03-30: downloaded 3.0 MB (")
    assert err.getvalue() == "error: globex 2026-03-23_2026-03-30: failed: boom\n"
    assert "\r" not in out.getvalue() + err.getvalue()
    assert "\x1b" not in out.getvalue() + err.getvalue()


def test_tty_reporter_draws_a_live_counter_and_clears_it_before_a_line():
    out, err = io.StringIO(), io.StringIO()
    reporter = TtyReporter(out, err)

    count = reporter.transfer("acme")
    count(2_500_000)
    reporter.done()

    assert "\racme: downloading 2.5 MB" in err.getvalue()
    assert err.getvalue().endswith("\r")
    assert out.getvalue().startswith("acme: downloaded 2.5 MB")


def test_sizes_read_like_people_write_them():
    assert [human_size(n) for n in (None, 512, 1_500, 2_000_000, 3_400_000_000)] == [
        "-",
        "512 B",
        "1.5 kB",
        "2.0 MB",
        "3.4 GB",
    ]
