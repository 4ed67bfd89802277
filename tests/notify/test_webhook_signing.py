"""The Standard Webhooks signer and the `whsec_` secret (pure)."""

from __future__ import annotations

import pytest

from wazo_rec_tools.jobs.webhooks import SecretInvalid, headers, signature, signing_key


def test_signature_matches_the_standard_webhooks_reference_vector():
    key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "x")

    signed = signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')

    assert signed == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_headers_carry_id_timestamp_and_signature_and_json_type():
    key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "x")

    sent = headers(key, "msg_1", 1700000000, "{}")

    assert sent["webhook-id"] == "msg_1"
    assert sent["webhook-timestamp"] == "1700000000"
    assert sent["webhook-signature"] == signature(key, "msg_1", 1700000000, "{}")
    assert sent["content-type"] == "application/json"


@pytest.mark.parametrize(
    "secret",
    ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not*base64!", "whsec_c2hvcnQ="],
)
def test_malformed_secret_is_refused_without_quoting_it(secret):
    with pytest.raises(SecretInvalid) as raised:
        signing_key(secret, "config.yml:3:13")

    assert str(raised.value).startswith("config.yml:3:13: ")
    assert secret not in str(raised.value)
