"""The doctor's clock check reads B2's Date header (served here by httpx's MockTransport)."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from syncd.app.doctor_remote import clock_check


def client_with_offset(offset_s: float) -> httpx.Client:
    """A client whose server answers 401 with a Date ``offset_s`` from this clock."""

    def answer(_request: httpx.Request) -> httpx.Response:
        date = email.utils.formatdate(time.time() + offset_s, usegmt=True)
        return httpx.Response(401, headers={"Date": date})

    return httpx.Client(transport=httpx.MockTransport(answer))


@pytest.mark.parametrize(
    ("offset_s", "status"),
    [(0.0, "ok"), (120.0, "warn"), (-1200.0, "fail")],
    ids=["in-step", "two-minutes", "twenty-minutes-behind"],
)
def test_skew_against_the_date_header_is_graded(offset_s: float, status: str) -> None:
    """In step is ok, two minutes off is a warning, twenty minutes off fails."""
    with client_with_offset(offset_s) as http:
        check = clock_check(http, "https://api.example.test")
    assert check.status == status
    skew = float(check.detail.split(" ")[0])
    assert abs(skew + offset_s) <= 1.5  # Date has whole seconds


def test_an_unreachable_realm_fails() -> None:
    """A connection error is a failed clock check that names the realm."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(refuse)) as http:
        check = clock_check(http, "https://api.example.test")
    assert check.status == "fail"
    assert "unreachable" in check.detail
