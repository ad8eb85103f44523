"""Auth: Bearer or Basic (user `api`, token as password); failures are 401 {code, error}."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from wistia_simulator import WistiaSimulator

TOKEN = "test-token-123"


def _assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "error"}
    assert body["code"] and body["error"]
    assert TOKEN not in response.text
    assert "wrong" not in response.text


def test_missing_and_wrong_bearer(sim: WistiaSimulator, make_client: Callable[..., httpx.Client]) -> None:
    _assert_401(make_client(sim, token=None).get("/medias"))
    _assert_401(make_client(sim, token="wrong-token").get("/medias"))
    _assert_401(make_client(sim, token=None).get("/medias", headers={"Authorization": "Token abc"}))


def test_basic_auth(sim: WistiaSimulator) -> None:
    with httpx.Client(base_url=sim.base_url) as client:
        assert client.get("/medias", auth=("api", TOKEN)).status_code == 200
        _assert_401(client.get("/medias", auth=("api", "wrong-password")))
        _assert_401(client.get("/medias", auth=("someone", TOKEN)))
        _assert_401(client.get("/medias", headers={"Authorization": "Basic !!notbase64"}))


def test_revoked_mid_session(sim: WistiaSimulator, client: httpx.Client) -> None:
    assert client.get("/stats/account").status_code == 200
    sim.revoke_token()
    for path in ("/stats/account", "/medias", "/stats/events"):
        _assert_401(client.get(path))
    sim.set_token("rotated")
    _assert_401(client.get("/stats/account"))
    assert client.get("/stats/account", headers={"Authorization": "Bearer rotated"}).status_code == 200


def test_unknown_paths_are_404_json(client: httpx.Client, sim: WistiaSimulator) -> None:
    response = client.get("/nope")
    assert response.status_code == 404 and "error" in response.json()
    assert client.get("/medias/doesnotexist").status_code == 404
    assert client.get("/stats/visitors/NOTAKEY").status_code == 404
    assert client.get("/stats/events/123e0.5").status_code == 404
    assert client.get("/stats/medias/doesnotexist/by_date").status_code == 404
    with httpx.Client() as raw:
        assert raw.get(sim.base_url.replace("/v1", "/v2/medias")).status_code == 404
