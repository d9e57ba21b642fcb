"""The ceiling for HTTP: a bare Flask JSON endpoint under the same server as the hub."""

from flask import Flask, jsonify, request

app = Flask("bare")


@app.post("/echo")
def echo():  # type: ignore[no-untyped-def]
    body = request.get_json(silent=True) or {}
    return jsonify(id=body.get("id"), status="ok"), 201
