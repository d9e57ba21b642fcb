"""The REST2 calls the RT connector makes, recorded from a real RT 5 to keep the double honest.

``exchanges()`` runs one fixed scenario as the hub's RT user (not a superuser, as in
production) against any RT: create, search (one page, then paged), show (ETag), reply,
comment with a file, history, transaction, attachment, both attachment listings, a PUT
that changes fields, one RT refuses inside its 200, one with a stale If-Match (412), an
unknown ticket (404) and a wrong token (401). Each answer is kept with its status, the
headers that matter and its JSON.

Re-record (needs RT installed, ``.ci/setup-rt.sh``; takes about half a minute)::

    python -m tests.fakes.rt_recording

which starts a private RT (tests.support.rt_server), runs the scenario, and rewrites
tests/fakes/recordings/rt/*.json. tests/fakes/test_rt_recordings.py checks the double's
answers against these files; tests/connectors/rt_real/test_recordings.py checks a live
RT's against them, so a recording cannot go stale unnoticed.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

FOLDER = Path(__file__).resolve().parent / "recordings" / "rt"
HEADERS = ("Content-Type", "ETag", "Location", "Last-Modified")
"""Headers the connector reads, or that say what the body is."""
FILE_FIELDS = "Filename,ContentType,ContentLength,Creator,TransactionId"


@dataclass
class Exchange:
    name: str
    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: Any
    request: dict[str, Any] = field(default_factory=dict)


class Recorder:
    def __init__(self, url: str, token: str) -> None:
        self.base = url.rstrip("/") + "/REST/2.0"
        self.session = requests.Session()
        self.session.headers.update(Authorization=f"token {token}", Accept="application/json")
        self.taken: list[Exchange] = []

    def __call__(self, name: str, method: str, path: str, **kwargs: Any) -> Exchange:
        url = path if path.startswith("http") else self.base + path
        response = self.session.request(method, url, timeout=120, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        headers = {key: response.headers[key] for key in HEADERS if key in response.headers}
        sent: dict[str, Any] = {key: kwargs[key] for key in ("params", "json") if key in kwargs}
        if "headers" in kwargs:
            sent["headers"] = {key: value for key, value in kwargs["headers"].items() if key != "Authorization"}
        taken = Exchange(name, method, _template(path), response.status_code, headers, body, sent)
        self.taken.append(taken)
        return taken


def exchanges(url: str, token: str, queue: str) -> list[Exchange]:
    """The scenario, as the user of ``token`` in ``queue``; returns every answer."""
    call = Recorder(url, token)
    made = call("create", "POST", "/ticket", json={
        "Queue": queue, "Subject": "Recorded ticket", "Requestor": ["alice@example.com"], "Priority": 50,
        "Content": "The description", "ContentType": "text/plain"})
    ticket = str(made.body["id"])
    call("create_second", "POST", "/ticket", json={"Queue": queue, "Subject": "Second recorded ticket"})
    search = {"query": f"Queue = '{queue}'", "orderby": ["LastUpdated", "id"], "order": ["ASC", "ASC"],
              "fields": "LastUpdated"}
    call("search", "GET", "/tickets", params={**search, "per_page": "100"})
    call("search_paged", "GET", "/tickets", params={**search, "per_page": "1"})
    call("search_bad_query", "GET", "/tickets", params={"query": "Queue = ", "per_page": "10"})
    shown = call("ticket", "GET", f"/ticket/{ticket}")
    call("reply", "POST", f"/ticket/{ticket}/correspond", json={"Content": "A reply", "ContentType": "text/plain"})
    call("ticket_after_reply", "GET", f"/ticket/{ticket}")
    with_file = call("comment_with_file", "POST", f"/ticket/{ticket}/comment", json={
        "Content": "File from the hub: note.txt", "ContentType": "text/plain",
        "Attachments": [{"FileName": "note.txt", "FileType": "text/plain",
                         "FileContent": base64.b64encode(b"Hello RT").decode()}]})
    history = call("history", "GET", f"/ticket/{ticket}/history",
                   params={"fields": "Type,Creator,Created", "per_page": "100"})
    reply = next(row["id"] for row in history.body["items"] if row.get("Type") == "Correspond")
    txn = call("transaction", "GET", f"/transaction/{reply}")
    part = next(link["_url"] for link in txn.body["_hyperlinks"] if link.get("ref") == "attachment")
    call("attachment", "GET", f"/attachment/{part.rstrip('/').rsplit('/', 1)[-1]}")
    call("ticket_attachments", "GET", f"/ticket/{ticket}/attachments", params={"fields": FILE_FIELDS,
                                                                             "per_page": "100"})
    comment_txn = with_file.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    call("transaction_attachments", "GET", f"/transaction/{comment_txn}/attachments",
         params={"fields": "Filename,ContentLength", "per_page": "100"})
    etag = call("ticket_before_update", "GET", f"/ticket/{ticket}").headers["ETag"]
    call("update", "PUT", f"/ticket/{ticket}", json={"Subject": "Recorded ticket, renamed", "Priority": 100},
         headers={"If-Match": etag})
    etag = call("ticket_after_update", "GET", f"/ticket/{ticket}").headers["ETag"]
    call("update_refused", "PUT", f"/ticket/{ticket}", json={"Status": "pending"}, headers={"If-Match": etag})
    call("update_stale", "PUT", f"/ticket/{ticket}", json={"Subject": "Too late"},
         headers={"If-Match": shown.headers["ETag"]})
    call("missing_ticket", "GET", "/ticket/999999")
    call.session.headers["Authorization"] = "token 1-1-wrong"
    call("unauthorized", "GET", f"/ticket/{ticket}")
    return call.taken


def _template(path: str) -> str:
    return re.sub(r"/\d+", "/{id}", path)


def save(taken: list[Exchange], folder: Path = FOLDER, *, rt_version: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    for exchange in taken:
        (folder / f"{exchange.name}.json").write_text(json.dumps(asdict(exchange), indent=1, sort_keys=True) + "\n")
    (folder / "index.json").write_text(json.dumps({"rt_version": rt_version, "order": [e.name for e in taken]},
                                                  indent=1) + "\n")


def load(folder: Path = FOLDER) -> list[Exchange]:
    order = json.loads((folder / "index.json").read_text())["order"]
    return [Exchange(**json.loads((folder / f"{name}.json").read_text())) for name in order]


def shape(value: Any) -> Any:
    """What a JSON value is made of, without its values: types, keys, and for a list the
    merged shape of its items."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            merged = _merge(merged, shape(item))
        return [merged] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else "string"


def _merge(left: Any, right: Any) -> Any:
    if left is None:
        return right
    if isinstance(left, dict) and isinstance(right, dict):
        return {key: _merge(left.get(key), right.get(key)) if key in left and key in right else
                left.get(key, right.get(key)) for key in {**left, **right}}
    if left == right:
        return left
    alternatives = set(left.split("|") if isinstance(left, str) else [json.dumps(left)])
    alternatives |= set(right.split("|") if isinstance(right, str) else [json.dumps(right)])
    return "|".join(sorted(alternatives))


def differences(recorded: Any, answered: Any, path: str = "", *, who: str = "the double") -> list[str]:
    """Where the shape of ``answered`` (by ``who``) departs from ``recorded``, one line each."""
    if isinstance(recorded, dict) and isinstance(answered, dict):
        found = [f"{path}.{key}: missing" for key in recorded if key not in answered]
        found += [f"{path}.{key}: not in RT's answer" for key in answered if key not in recorded]
        for key in recorded.keys() & answered.keys():
            found += differences(recorded[key], answered[key], f"{path}.{key}", who=who)
        return found
    if isinstance(recorded, list) and isinstance(answered, list):
        if recorded and answered:
            return differences(recorded[0], answered[0], f"{path}[]", who=who)
        return []
    if recorded != answered:
        return [f"{path}: RT gives {_kind(recorded)}, {who} {_kind(answered)}"]
    return []


def _kind(value: Any) -> str:
    return "an object" if isinstance(value, dict) else "a list" if isinstance(value, list) else str(value)


def header_form(exchange: Exchange) -> dict[str, str]:
    """The headers that matter, as what they are rather than their values."""
    form = {}
    for key, value in exchange.headers.items():
        if key == "Location":
            form[key] = "relative" if value.startswith("/REST/2.0/") else "absolute"
        elif key == "Content-Type":
            form[key] = value.split(";")[0]
        elif key == "ETag":
            form[key] = "quoted number" if re.fullmatch(r'"\d+"', value) else value
        else:
            form[key] = "present"
    return form


def main() -> None:
    from tests.support.rt_server import RealRT, rt_installed

    if not rt_installed():
        raise SystemExit("Request Tracker is not installed; run .ci/setup-rt.sh")
    rt = RealRT().start()
    try:
        agent = requests.Session()
        agent.headers["Authorization"] = f"token {rt.agent_token}"
        agent.post(f"{rt.url}/REST/2.0/queue", json={"Name": "Recorded"}, timeout=120).raise_for_status()
        version = agent.get(f"{rt.url}/REST/2.0/rt", timeout=120).json().get("Version", "")
        save(exchanges(rt.url, rt.hub_token, "Recorded"), rt_version=str(version))
        print(f"recorded {len(list(FOLDER.glob('*.json'))) - 1} answers of RT {version} into {FOLDER}")
    finally:
        rt.close()


if __name__ == "__main__":
    main()
