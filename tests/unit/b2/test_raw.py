"""RawB2 against hostile and odd answers, plus the headers every request carries."""

from __future__ import annotations

import json
import platform
import re

import httpx
import pytest

from syncd import __version__
from syncd.b2.models import UploadTarget
from syncd.b2.raw import RawB2
from syncd.b2.transport import Timeouts
from syncd.b2.wire import b2_quote, b2_unquote
from syncd.errors import AuthRejectedError, RemoteProtocolError, RemoteTransientError
from tests.support.fake_clock import FakeClock

TIMEOUTS = Timeouts(connect_s=1, read_s=1, upload_read_s=5)


def raw_with(handler, *, test_mode=None, allow_http=False):
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return RawB2(
        http,
        clock=FakeClock(),
        timeouts=TIMEOUTS,
        test_mode=test_mode,
        allow_http_loopback=allow_http,
    )


def listing(raw):
    return raw.list_file_names(
        "https://api", "tok", bucket_id="b", prefix="", start_file_name=None, max_file_count=10
    )


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, content=b"<html>gateway</html>"),
        httpx.Response(200, content=b'{"files": [ {"fileName": "a"'),
        httpx.Response(200, content=b"[" * 100_000 + b"]" * 100_000),
        httpx.Response(200, content=b'{"files": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
        httpx.Response(200, content=b"[]"),
        httpx.Response(200, content=b"\xff\xfe garbage"),
        httpx.Response(200, json={"files": "nope"}),
        httpx.Response(200, json={"files": [{"fileName": "a"}]}),
        httpx.Response(200, json={"files": [{}] * 11, "nextFileName": None}),
        httpx.Response(200, content=b'{"files": [], "nextFileName": 1' + b"0" * 5000 + b"}"),
        httpx.Response(200, content=b" " * (17 * 1024 * 1024)),
        httpx.Response(204),
    ],
    ids=[
        "html",
        "truncated",
        "deep-array",
        "deep-field",
        "not-object",
        "binary",
        "wrong-type",
        "missing-fields",
        "too-many-entries",
        "huge-number",
        "huge-body",
        "no-content",
    ],
)
def test_hostile_listing_answers_are_protocol_errors(response):
    """Broken or hostile listing answers raise RemoteProtocolError, never crash."""
    raw = raw_with(lambda request: response)
    with pytest.raises(RemoteProtocolError):
        listing(raw)


def test_html_502_is_transient():
    """A proxy's HTML 502 becomes RemoteTransientError."""
    raw = raw_with(lambda request: httpx.Response(502, content=b"<html>502 Bad Gateway</html>"))
    with pytest.raises(RemoteTransientError):
        listing(raw)


def test_redirect_is_not_followed():
    """A 302 is never followed (credentials must not travel to another host)."""
    seen = []

    def handler(request):
        seen.append(request.url.host)
        return httpx.Response(302, headers={"location": "https://evil.test/"})

    with pytest.raises(RemoteProtocolError):
        listing(raw_with(handler))
    assert seen == ["api"]


def test_every_request_has_user_agent_and_test_mode():
    """User-Agent is syncd/<v>+python/<x.y.z> httpx/<v> (<os>); X-Bz-Test-Mode when set."""
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"files": [], "nextFileName": None})

    listing(raw_with(handler, test_mode="fail_some_uploads"))
    ua = seen[0].headers["user-agent"]
    assert (
        ua == f"syncd/{__version__}+python/{platform.python_version()} "
        f"httpx/{httpx.__version__} ({platform.system()})"
    )
    assert re.fullmatch(r"syncd/\S+\+python/\d+\.\d+\.\d+ httpx/\S+ \(.+\)", ua)
    assert seen[0].headers["x-bz-test-mode"] == "fail_some_uploads"
    listing(raw_with(handler))
    assert "x-bz-test-mode" not in seen[1].headers


def test_json_nulls_are_omitted_and_body_has_content_length():
    """Optional parameters left None are not sent; JSON bodies use Content-Length, not chunked."""
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"files": [], "nextFileName": None})

    listing(raw_with(handler))
    assert json.loads(seen[0].read()) == {"bucketId": "b", "maxFileCount": 10}
    assert "transfer-encoding" not in seen[0].headers
    assert seen[0].headers["content-length"].isdigit()


def auth_answer(api="https://api.b2.test", download="https://f.b2.test"):
    return {
        "accountId": "acct-real",
        "authorizationToken": "tok",
        "apiInfo": {
            "storageApi": {
                "apiUrl": api,
                "downloadUrl": download,
                "recommendedPartSize": 100,
                "absoluteMinimumPartSize": 5,
                "allowed": {"buckets": None, "capabilities": ["listFiles"], "namePrefix": None},
            }
        },
    }


def test_authorize_uses_v4_basic_auth_and_account_id_from_answer():
    """Authorize goes to /b2api/v4 with Basic credentials; account_id is B2's, not the key id."""
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=auth_answer())

    auth = raw_with(handler).authorize_account("https://realm.test", "keyid-123", "secret")
    assert seen[0].url.path == "/b2api/v4/b2_authorize_account"
    assert seen[0].headers["authorization"].startswith("Basic ")
    assert auth.account_id == "acct-real"
    assert auth.account_id != "keyid-123"


@pytest.mark.parametrize(
    "api", ["http://api.b2.test", "https://user:pw@api.b2.test", "ftp://api.b2.test"]
)
def test_authorize_refuses_unsafe_urls(api):
    """apiUrl must be https without credentials (S9)."""
    raw = raw_with(lambda request: httpx.Response(200, json=auth_answer(api=api)))
    with pytest.raises(RemoteProtocolError):
        raw.authorize_account("https://realm.test", "k", "s")


def test_plain_http_allowed_only_on_loopback_for_the_emulator():
    """With the loopback allowance, http://127.0.0.1 passes and http://remote still fails."""
    ok = raw_with(
        lambda r: httpx.Response(200, json=auth_answer("http://127.0.0.1:9", "http://127.0.0.1:9")),
        allow_http=True,
    )
    assert ok.authorize_account("http://127.0.0.1:9", "k", "s").api_url == "http://127.0.0.1:9"
    bad = raw_with(
        lambda r: httpx.Response(200, json=auth_answer("http://api.b2.test")), allow_http=True
    )
    with pytest.raises(RemoteProtocolError):
        bad.authorize_account("http://127.0.0.1:9", "k", "s")


def test_wrong_key_is_rejected():
    """401 on authorize is AuthRejectedError."""
    raw = raw_with(
        lambda request: httpx.Response(
            401, json={"status": 401, "code": "unauthorized", "message": "bad"}
        )
    )
    with pytest.raises(AuthRejectedError):
        raw.authorize_account("https://realm.test", "k", "s")


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        (" ", "%20"),
        ("+", "%2B"),
        ("自由", "%E8%87%AA%E7%94%B1"),
        ("𐐀", "%F0%90%90%80"),
        ("\x7f", "%7F"),
        ("a/b c.txt", "a/b%20c.txt"),
        ("~!$'()*;=:@", "~%21%24%27%28%29%2A%3B%3D%3A%40"),
    ],
)
def test_percent_encoding_vectors(text, encoded):
    """B2's official vectors: '/' stays, '+' and space are encoded, UTF-8 bytes for the rest."""
    assert b2_quote(text) == encoded
    assert b2_unquote(encoded) == text


def test_unquote_accepts_plus_as_space():
    """Decoders treat '+' as space, as the Java SDK encodes it."""
    assert b2_unquote("a+b") == "a b"


def test_upload_headers_are_encoded(tmp_path):
    """upload_file sends the encoded name and info, hex_digits_at_end and Content-Length+40."""
    seen = []

    def handler(request):
        seen.append(request)
        body = request.read()
        return httpx.Response(
            200,
            json={
                "fileId": "f",
                "fileName": "ä b+c",
                "action": "upload",
                "contentLength": len(body) - 40,
                "contentSha1": body[-40:].decode(),
                "fileInfo": {},
                "uploadTimestamp": 1,
            },
        )

    target = UploadTarget(
        upload_url="https://pod.test/up", authorization_token="uptok", owner_id="b"
    )
    raw_with(handler).upload_file(
        target,
        file_name="ä b+c",
        content_type="b2/x-auto",
        size=3,
        sha1=None,
        file_info={"src_last_modified_millis": "12"},
        body=[b"abc", b"a" * 40],
    )
    h = seen[0].headers
    assert h["x-bz-file-name"] == "%C3%A4%20b%2Bc"
    assert h["x-bz-content-sha1"] == "hex_digits_at_end"
    assert h["content-length"] == "43"
    assert h["x-bz-info-src_last_modified_millis"] == "12"
    assert h["authorization"] == "uptok"
