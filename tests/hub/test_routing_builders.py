"""hub.core.routing: URL builders compiled once a process build the URLs werkzeug's own do."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import Map, Rule

from hub import create_app
from hub.core import routing


def sample_values(rule: Rule) -> dict[str, Any]:
    return {name: 7 if type(converter).__name__.endswith(("IntegerConverter", "IdConverter")) else "a b/c"
            for name, converter in rule._converters.items()}


def test_every_rule_builds_what_a_plain_werkzeug_rule_builds(app: Flask) -> None:
    plain = Map(converters=dict(app.url_map.converters))
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":  # Flask adds it before the app can choose its rule class
            continue
        assert isinstance(rule, routing.SharedBuilderRule), rule
        twin = Rule(rule.rule, endpoint=rule.endpoint, defaults=rule.defaults, methods=rule.methods)
        plain.add(twin)
        values = sample_values(rule)
        for append_unknown in (False, True):
            extra = {"q": "x y"} if append_unknown else {}
            assert rule.build({**values, **extra}, append_unknown) == twin.build({**values, **extra}, append_unknown)
        checked += 1
    assert checked > 150


def test_a_second_app_reuses_the_first_apps_builders(app_config: dict[str, Any], app: Flask) -> None:
    compiled = len(routing._BUILDERS)
    second = create_app(dict(app_config))
    try:
        assert len(routing._BUILDERS) == compiled  # nothing new to compile
        with second.test_request_context():
            from flask import url_for

            assert url_for("incidents.TicketItem", ref="INC-000001") == "/api/v1/incidents/INC-000001"
    finally:
        second.extensions["hub"].db.dispose()


def test_rules_with_defaults_compile_their_own_builders(app: Flask) -> None:
    before = len(routing._BUILDERS)
    app.add_url_rule("/probe/<int:page>", endpoint="probe_page", defaults=None, view_func=lambda page: "")
    app.add_url_rule("/probe/", endpoint="probe", defaults={"page": 1}, view_func=lambda page: "")
    with app.test_request_context():
        from flask import url_for

        assert url_for("probe") == "/probe/" and url_for("probe_page", page=3) == "/probe/3"
    assert len(routing._BUILDERS) == before + 2  # the rule without defaults only, both of its builders
