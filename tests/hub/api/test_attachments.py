"""Attachments through the API: stored once per checksum, always served as downloads."""

from __future__ import annotations

import hashlib
import io
from typing import Any


def test_upload_list_download(api: Any, client_for: Any) -> None:
    ref = api.post("/api/v1/incidents", json={"title": "Broken tap"}).json["ref"]
    data = b"<html><script>alert(1)</script></html>"
    uploaded = api.client.post(f"/api/v1/incidents/{ref}/attachments", data={
        "file": (io.BytesIO(data), "../../evil page.html", "text/html")},
        headers={"Authorization": f"Bearer {api.token}"}, content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.json
    assert uploaded.json["filename"] == "evil page.html"
    assert uploaded.json["sha256"] == hashlib.sha256(data).hexdigest()
    listed = api.get(f"/api/v1/incidents/{ref}/attachments").json
    assert [item["id"] for item in listed] == [uploaded.json["id"]]
    download = api.get(f"/api/v1/incidents/{ref}/attachments/{uploaded.json['id']}")
    assert download.status_code == 200 and download.data == data
    assert download.mimetype == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert api.get(f"/api/v1/incidents/{ref}/attachments/999").status_code == 404


def test_limits_and_missing_file(app_config: dict[str, Any]) -> None:
    from hub import create_app
    from tests.conftest import ApiClient, make_token

    app_config.update(ATTACHMENT_MAX_BYTES=10, ATTACHMENT_TYPES="image/*,text/csv")
    app = create_app(app_config)
    api = ApiClient(app.test_client(), make_token(app, "agent"))
    ref = api.post("/api/v1/incidents", json={"title": "x"}).json["ref"]
    headers = {"Authorization": f"Bearer {api.token}"}

    def upload(payload: bytes, name: str, content_type: str) -> Any:
        return api.client.post(f"/api/v1/incidents/{ref}/attachments", headers=headers,
                               data={"file": (io.BytesIO(payload), name, content_type)},
                               content_type="multipart/form-data")

    assert upload(b"a,b\n1,2\n", "x.csv", "text/csv").status_code == 201
    too_big = upload(b"x" * 11, "big.csv", "text/csv")
    assert too_big.status_code == 422 and "larger than 10 bytes" in too_big.json["errors"]["file"][0]
    assert "not allowed" in upload(b"MZ", "x.exe", "application/x-msdownload").json["errors"]["file"][0]
    missing = api.client.post(f"/api/v1/incidents/{ref}/attachments", headers=headers, data={},
                              content_type="multipart/form-data")
    assert missing.status_code == 422 and "file" in missing.json["errors"]
    app.extensions["hub"].db.dispose()
