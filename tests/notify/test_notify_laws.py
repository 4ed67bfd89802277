"""Laws of the pure pieces: the log tail, the textfile, the signature."""

from __future__ import annotations

import base64
import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from wazo_rec_tools.jobs import metrics
from wazo_rec_tools.jobs.pings import log_tail
from wazo_rec_tools.jobs.webhooks import signature

lines = st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=200), max_size=50)


@given(lines, st.integers(min_value=1, max_value=5000))
def test_log_tail_is_a_suffix_of_the_log_within_the_limit(log, limit):
    whole = "\n".join(log).encode()

    tail = log_tail(log, limit)

    assert len(tail) <= limit
    assert whole.endswith(tail)
    tail.decode()  # whole characters: a receiver reads it as UTF-8
    if len(whole) <= limit:
        assert tail == whole


label_values = st.text(st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=30)


@given(st.dictionaries(label_values, st.integers(0, 10**12), min_size=1, max_size=10))
def test_textfile_reads_back_every_series_as_written(values):
    series = [("wazo_rec_failures_total", {"tenant": t}, v) for t, v in values.items()]

    (family,) = text_string_to_metric_families(metrics.render(series))

    read = {s.labels["tenant"]: s.value for s in family.samples}
    assert read == {t: float(v) for t, v in values.items()}


@given(st.binary(min_size=16, max_size=64), st.text(max_size=40), st.integers(0, 2**40), st.text())
def test_signature_is_hmac_sha256_of_id_timestamp_body(key, msg_id, stamp, body):
    mac = hmac.new(key, f"{msg_id}.{stamp}.{body}".encode(), hashlib.sha256).digest()

    assert signature(key, msg_id, stamp, body) == "v1," + base64.b64encode(mac).decode()
