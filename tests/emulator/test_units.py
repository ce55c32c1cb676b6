"""Pure pieces of the emulator: token lifetimes, name rules, encoding, ranges, fault picking."""

from __future__ import annotations

import pytest

from syncd.emulator.download import parse_range
from syncd.emulator.faults import FaultPlan, parse_fault
from syncd.emulator.ids import account_id_for, new_file_id
from syncd.emulator.names import (
    check_bucket_name,
    check_file_info,
    check_file_name,
    decode_header_value,
    encode_header_value,
    name_upper_bound,
)
from syncd.emulator.problem import ApiError
from syncd.emulator.schema import open_db
from syncd.emulator.testmode import BzTestModes, TokenBudget
from syncd.emulator.tokens import TOKEN_LIFETIME_MS, TokenStore

NOW = 1_700_000_000_000


@pytest.fixture
def tokens():
    """A token store on an in-memory database."""
    return TokenStore(open_db(None), "0123456789ab")


def test_account_tokens_live_24_hours(tokens):
    """A token works until 24 h after issue, then is expired_auth_token."""
    token = tokens.issue_account("key", NOW, None)
    assert tokens.check_account(token, NOW + TOKEN_LIFETIME_MS - 1) == "key"
    with pytest.raises(ApiError) as caught:
        tokens.check_account(token, NOW + TOKEN_LIFETIME_MS)
    assert (caught.value.status, caught.value.code) == (401, "expired_auth_token")


def test_upload_tokens_live_24_hours(tokens):
    """Upload tokens expire after 24 h too."""
    token = tokens.issue_upload("file", "bucket", "key", NOW)
    assert tokens.upload_grant(token, "file", "bucket", NOW + 1).key_id == "key"
    with pytest.raises(ApiError, match="expired"):
        tokens.upload_grant(token, "file", "bucket", NOW + TOKEN_LIFETIME_MS)


def test_budgeted_token_runs_out_of_uses(tokens):
    """A token with a budget of 2 uses fails on the third."""
    token = tokens.issue_account("key", NOW, TokenBudget(2, 60_000))
    tokens.check_account(token, NOW)
    tokens.check_account(token, NOW)
    with pytest.raises(ApiError, match="expired"):
        tokens.check_account(token, NOW)


def test_single_flight(tokens):
    """Holding an upload token twice at once is auth_token_limit."""
    token = tokens.issue_upload("file", "bucket", "key", NOW)
    with tokens.single_flight(token):
        with pytest.raises(ApiError) as caught, tokens.single_flight(token):
            pass
        assert caught.value.code == "auth_token_limit"
    with tokens.single_flight(token):
        pass


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        (b"+", " "),
        (b"%20", " "),
        (b"%2B", "+"),
        (b"%E8%87%AA%E7%94%B1", "自由"),
        (b"%F0%90%90%80", "𐐀"),
        (b"%7F", "\x7f"),
        (b"a/b", "a/b"),
        (b"a%2Fb", "a/b"),
    ],
)
def test_official_decoding_vectors(raw, decoded):
    """Backblaze's string-encoding test vectors decode as documented."""
    assert decode_header_value(raw, "x") == decoded


@pytest.mark.parametrize("text", [" ", "+", "自由", "𐐀", "\x7f", "a/b c", "~!$'()*;=:@"])
def test_encoding_round_trips_and_never_emits_plus(text):
    """Encoded values decode back and never contain a raw '+'."""
    encoded = encode_header_value(text)
    assert "+" not in encoded
    assert decode_header_value(encoded.encode(), "x") == text


def test_invalid_utf8_in_header_is_400():
    """Percent-encoded bytes that are not UTF-8 are refused."""
    with pytest.raises(ApiError):
        decode_header_value(b"%FF", "x")


@pytest.mark.parametrize("name", ["ok", "a/b/c", " leading", "trailing/", "//double", "\\back"])
def test_current_rules_accept_legacy_oddities(name):
    """Current server rules allow slashes anywhere and backslashes."""
    assert check_file_name(name) == name


@pytest.mark.parametrize("name", ["Bucket-With-Caps", "a-b-c-d", "x" * 63])
def test_good_bucket_names(name):
    """Letters of either case, digits and '-' within 6..63 are fine."""
    assert check_bucket_name(name) == name


def test_file_info_rules():
    """Keys are lower-cased; values must be strings; b2- keys are limited to five."""
    assert check_file_info({"A-B": "1"}, "n") == {"a-b": "1"}
    assert check_file_info({"b2-content-disposition": "inline"}, "n")
    for bad in ({"b2-other": "x"}, {"k": 1}, {"": "x"}, {"b2-expires": "bad\nvalue"}):
        with pytest.raises(ApiError):
            check_file_info(bad, "n")


def test_name_upper_bound():
    """The bound is the prefix with its last character incremented."""
    assert name_upper_bound("photos/") == "photos0"
    assert name_upper_bound("") is None
    assert name_upper_bound("a\ud7ff") == "a\ue000"


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-0", 10, (0, 0)),
        ("bytes=-3", 10, (7, 9)),
        ("bytes=-30", 10, (0, 9)),
        ("bytes=8-", 10, (8, 9)),
        ("items=1-2", 10, None),
    ],
)
def test_parse_range(header, size, expected):
    """Single ranges parse to inclusive bounds clamped to the size."""
    assert parse_range(header, size) == expected


def test_account_id_and_file_id_shapes():
    """Account ids are 12 hex (or the key id if it is one); file ids embed the bucket id."""
    assert account_id_for("0123456789ab") == "0123456789ab"
    assert len(account_id_for("some-key")) == 12
    file_id = new_file_id("b" * 24, NOW, large=True)
    assert file_id.startswith("4_z" + "b" * 24 + "_f2")


def test_fault_plan_count_and_order():
    """The first matching rule fires; count caps how often."""
    plan = FaultPlan(seed=1)
    plan.replace_rules([parse_fault("upload_file:status=500,count=2"), parse_fault("*:status=503")])
    fired = [plan.pick("b2_upload_file") for _ in range(3)]
    assert [r.status if r else None for r in fired] == [500, 500, 503]
    other = plan.pick("b2_list_buckets")
    assert other is not None
    assert other.status == 503
    assert plan.fired_total == 4


def test_fail_some_uploads_is_one_in_four():
    """Every run of four uploads has exactly one failure."""
    modes = BzTestModes(seed=5)
    draws = [modes.upload_fails() for _ in range(400)]
    assert all(sum(draws[i : i + 4]) == 1 for i in range(0, 400, 4))
