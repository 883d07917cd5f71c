"""Rate limits on logins, token use and submissions answer 429 with Retry-After."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from app_harness import running_app
from template_repos import TemplatesRepo

from hpcsim.security.rate_limit import RateLimited, RateLimiter


def test_a_bucket_allows_its_burst_then_says_when_to_come_back() -> None:
    limiter = RateLimiter("things", per_minute=3)
    for _ in range(3):
        limiter.take("ada")

    with pytest.raises(RateLimited) as caught:
        limiter.take("ada")

    assert 1 <= caught.value.retry_after <= 20
    limiter.take("bob")  # another caller has a bucket of its own


@pytest_asyncio.fixture
async def http(
    tmp_path: Path, templates_repo: TemplatesRepo
) -> AsyncIterator[httpx.AsyncClient]:
    limits = {
        "rate_login_per_minute": 2,
        "rate_requests_per_minute": 5,
        "rate_submissions_per_minute": 1,
    }
    users = {"ada": False}
    async with running_app(tmp_path, templates_repo.path, users, **limits) as (
        _,
        client,
    ):
        yield client


async def test_password_logins_are_limited(http: httpx.AsyncClient) -> None:
    statuses = [
        (
            await http.post("/api/tokens", json={}, auth=("ada", "wrong-pass"))
        ).status_code
        for _ in range(3)
    ]

    assert statuses[:2] == [401, 401]
    assert statuses[2] == 429


async def test_token_use_and_submissions_are_limited(http: httpx.AsyncClient) -> None:
    created = await http.post("/api/tokens", json={}, auth=("ada", "password-of-ada"))
    headers = {"Authorization": f"Bearer {created.json()['token']}"}

    first = await http.post("/simulations/", headers=headers, data={})
    second = await http.post("/simulations/", headers=headers, data={})
    assert first.status_code == 422
    assert second.status_code == 429 and int(second.headers["Retry-After"]) >= 1

    answers = [await http.get("/simulations/", headers=headers) for _ in range(5)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited and "Retry-After" in limited[0].headers
