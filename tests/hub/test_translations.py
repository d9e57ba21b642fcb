"""The shipped catalogues are whole and current: every requester text translated in every
language the hub ships, the committed .mo files compiled from their .po files, and the
catalogues holding exactly the texts the code marks (`make translations` keeps all three)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "hub" / "translations"
#: Languages whose requester catalogue ships complete (HUB_LANGUAGES' default).
SHIPPED = ("de", "es", "fr")
CONFIGS = {"requester": "babel-requester.cfg", "messages": "babel.cfg"}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "N_": None}


def catalogue(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def po_files() -> list[Path]:
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/*.po"))


def ids(catalog: Catalog) -> set[object]:
    return {message.id if isinstance(message.id, str) else tuple(message.id) for message in catalog if message.id}


def test_every_shipped_language_has_both_files() -> None:
    for language in SHIPPED:
        for suffix in ("po", "mo"):
            assert (TRANSLATIONS / language / "LC_MESSAGES" / f"requester.{suffix}").is_file(), (language, suffix)
    assert (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po").is_file()  # the agents' pages: English
    assert {path.name for path in TRANSLATIONS.glob("*.pot")} == {"requester.pot", "messages.pot"}


@pytest.mark.parametrize("po", po_files(), ids=lambda path: "/".join(path.parts[-3::2]))
def test_each_mo_is_its_po_compiled(po: Path) -> None:
    """A .po edited without `make translations` (or a stale .mo) fails here: compiled again in
    memory, it must be byte for byte the committed .mo."""
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(po))
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"{mo.relative_to(ROOT)} is missing: run `make translations`"
    assert mo.read_bytes() == compiled.getvalue(), f"{mo.relative_to(ROOT)} is not {po.name} compiled: " \
                                                   "run `make translations`"


@pytest.mark.parametrize("language", SHIPPED)
def test_the_requester_catalogue_is_complete(language: str) -> None:
    catalog = catalogue(TRANSLATIONS / language / "LC_MESSAGES" / "requester.po")
    untranslated = [message.id for message in catalog if message.id and not all(
        message.string if isinstance(message.string, tuple) else (message.string,))]
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
    assert not untranslated, f"{language}: untranslated: {untranslated}"
    assert not fuzzy, f"{language}: fuzzy (check and clear the flag): {fuzzy}"
    # Placeholders as in English (%(ref)s kept, none invented): Babel's own checks.
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalog.check()]
    assert not problems, f"{language}: {problems}"
    assert ids(catalog) == ids(catalogue(TRANSLATIONS / "requester.pot")), f"{language}: run `make translations`"


@pytest.mark.parametrize("domain", list(CONFIGS))
def test_the_catalogues_hold_what_the_code_marks(domain: str) -> None:
    """A text marked in the code but missing from the template (or one removed) fails here."""
    with (ROOT / CONFIGS[domain]).open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: set[object] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else tuple(message))
    assert found == ids(catalogue(TRANSLATIONS / f"{domain}.pot")), f"{domain}.pot is out of date: " \
                                                                        "run `make translations`"
