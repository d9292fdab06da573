"""The pages in English and Japanese: where the language comes from, that every string a page shows
is in the catalogue (every page rendered in Japanese, its visible text and labels scanned for
English words), dates and numbers written for the language, and the catalogues compiled."""
from __future__ import annotations

import html.parser
import io
import json
import re
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from ..support import PROJECT
from .conftest import csrf_from

ROOT = Path(__file__).resolve().parents[2]
JA = {"Accept-Language": "ja,en;q=0.5"}

#: words a Japanese page may show in Latin letters: the test data, product and file-format names
ALLOWED_WORDS = set("""
churn Churn Predicts of customers First release proj empty-model zzz abc epochs scikit-learn training SHA-256 rita max gus olga dev otto admin
accuracy loss learning_rate framework sklearn model weights.bin config params.json README.md
customers-train gs data train.parquet train abc123 sha256 main rc rc2 rc.1 e.g
MLflow MLmodel Markdown SHA URI API CI ID IDs NaN KiB MiB GiB TiB UTC ref read_api
MAJOR.MINOR.PATCH MAJOR MINOR PATCH max min
""".split())
#: attributes whose text a user reads or hears
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-mr-heading", "data-mr-message",
                   "data-mr-confirm-label")
SKIPPED = {"script", "style", "code", "pre", "kbd", "time"}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*[A-Za-z0-9]")


class VisibleText(html.parser.HTMLParser):
    """The text nodes and read attributes of a page, outside code, scripts and ``lang="en"`` parts."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []

    @property
    def skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        skip = tag in SKIPPED or values.get("lang") == "en" or values.get("translate") == "no"
        if not (skip or self.skipping):
            self.texts += [value for name, value in attrs if name in READ_ATTRIBUTES and value]
            if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
                self.texts.append(values["value"] or "")
        if tag not in self.VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.texts.append(data)


def english_words(page: str) -> set[str]:
    parser = VisibleText()
    parser.feed(page)
    words = set()
    for text in parser.texts:
        for word in WORD.findall(text):
            if word not in ALLOWED_WORDS and not re.fullmatch(r"v?\d[\w.\-]*", word):
                words.add(word)
    return words


@pytest.fixture
def ja_pages(app, seeded, signed_in) -> dict[str, str]:
    """Every page of the registry and the portal, rendered for a Japanese browser."""
    from flask_modelregistry.services import registered_models

    rita, maxi = signed_in("rita"), signed_in("max")
    for client in (rita, maxi):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = JA["Accept-Language"]
    with app.app_context():
        from .conftest import actor_of

        registered_models.create_model(PROJECT, actor_of("rita"), name="empty-model")
    m, v1, v2 = seeded.model_url, seeded.version_url(seeded.v1), seeded.version_url(seeded.v2)
    pages = {
        "home": rita.get("/"),
        "login": signed_in(None).get("/login", headers=JA),
        "models": rita.get(f"/projects/{PROJECT}/models"),
        "models-search-none": rita.get(f"/projects/{PROJECT}/models?search=zzz"),
        "new-model": rita.get(f"/projects/{PROJECT}/models/new"),
        "model-card": rita.get(m),
        "model-versions": rita.get(m + "?tab=versions"),
        "model-performance": rita.get(m + "?tab=performance"),
        "edit-model": rita.get(m + "/edit"),
        "new-version": rita.get(m + "/versions/new"),
        "version-card": rita.get(v1),
        "version-artifacts": rita.get(v1 + "?tab=artifacts"),
        "version-performance": rita.get(v1 + "?tab=performance"),
        "empty-version": rita.get(v2 + "?tab=performance"),
        "edit-version": rita.get(v1 + "/edit"),
        "compare": rita.get(f"{m}/compare?versions={seeded.v1},{seeded.v2}"),
        "compare-pick": rita.get(f"{m}/compare?versions={seeded.v1}"),
        "delete-model": rita.get(m + "/delete"),
        "delete-version": rita.get(v1 + "/delete"),
        "delete-files": rita.get(v1 + "/artifacts/delete?paths=README.md&paths=config/params.json"),
        "settings": maxi.get(f"/projects/{PROJECT}/model-registry/settings"),
        "not-found": rita.get(f"/projects/{PROJECT}/models/999999"),
        "forbidden": signed_in("gus").get(f"/projects/{PROJECT}/models/new", headers=JA),
    }
    token = csrf_from(rita.get(m + "/versions/new").data)
    pages["new-version-errors"] = rita.post(m + "/versions/new", data={
        "version": "1.0", "metrics": "x=abc", "subfolder": "a b", "csrf_token": token})
    pages["new-model-errors"] = rita.post(f"/projects/{PROJECT}/models/new", data={
        "name": "churn", "csrf_token": csrf_from(rita.get(f"/projects/{PROJECT}/models/new").data)})
    return {name: response.data.decode() for name, response in pages.items()}


def test_every_page_shows_only_catalogued_strings_in_japanese(ja_pages):
    leaks = {name: sorted(english_words(page)) for name, page in ja_pages.items()}
    assert not any(leaks.values()), "English on Japanese pages: " + "; ".join(
        f"{name}: {' '.join(words)}" for name, words in leaks.items() if words)


def test_japanese_pages_say_their_language_and_use_the_seeds_words(ja_pages):
    for name, page in ja_pages.items():
        assert '<html lang="ja">' in page, name
    assert "<h1 class=\"mr-title\">モデルレジストリ</h1>" in ja_pages["models"]
    assert "作成/インポート" in ja_pages["models"] and "新しいモデルを作成" in ja_pages["models"]
    assert "モデルを削除する" in ja_pages["models"]
    assert "新しいバージョンの作成" in ja_pages["model-card"]
    assert ">バージョン" in ja_pages["model-card"] and "モデルバージョンを削除" in ja_pages["model-versions"]
    assert 'value="作成とインポート"' in ja_pages["new-version"]
    artifacts = ja_pages["version-artifacts"]
    assert "アーティファクト" in artifacts and ">選択<" in artifacts and 'value="アップロード"' in artifacts
    assert ">削除</button>" in artifacts and ">削除</button>" in ja_pages["delete-files"]
    assert ">モデルを削除する</button>" in ja_pages["delete-model"]
    assert "デプロイ" in ja_pages["models"]  # the host's navigation: Deploy > Model registry


def test_messages_from_forms_and_services_are_translated(ja_pages):
    errors = ja_pages["new-version-errors"]
    assert "セマンティックバージョン" in errors and "x: abc は数値ではありません。" in errors
    assert "すでに使用されています。" in ja_pages["new-model-errors"]
    assert "ページが存在しないか、アクセス権限がありません。" in ja_pages["not-found"]


def test_numbers_sizes_and_dates_follow_the_language(app, seeded, signed_in):
    rita = signed_in("rita")
    ja = rita.get(seeded.version_url(seeded.v1) + "?tab=artifacts", headers=JA).data.decode()
    en = rita.get(seeded.version_url(seeded.v1) + "?tab=artifacts", headers={"Accept-Language": "en"}).data.decode()
    assert "900 バイト" in ja and "900 bytes" in en
    assert "たった今" in ja and "just now" in en
    card = rita.get(seeded.version_url(seeded.v1), headers=JA).data.decode()
    assert re.search(r"\d{4}/\d{2}/\d{2} \d{1,2}:\d{2}:\d{2} UTC", card)
    script = json.loads(re.search(r'<script type="application/json" id="mr-i18n">(.*?)</script>', ja, re.S).group(1))
    assert script["locale"] == "ja" and script["messages"]["uploading_percent"] == "アップロード中 %(percent)s%%"
    assert script["plurals"]["size_bytes"] == ["%(num)s バイト", "%(num)s バイト"]


def test_the_portal_follows_the_browser_and_offers_a_switch(app, people, signed_in):
    client = signed_in("rita")
    assert '<html lang="ja">' in client.get("/", headers=JA).data.decode()
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en-GB"}).data.decode()
    token = csrf_from(client.get("/").data)
    answer = client.post("/language", data={"language": "ja", "next": f"/projects/{PROJECT}/models",
                                            "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/projects/{PROJECT}/models")
    page = client.get(f"/projects/{PROJECT}/models", headers={"Accept-Language": "en"}).data.decode()
    assert '<html lang="ja">' in page and "モデルレジストリ" in page  # the switch wins over the browser
    assert client.post("/language", data={"language": "ja", "next": "https://evil.example/",
                                          "csrf_token": token}).headers["Location"] == "/"


def test_english_is_the_default_and_keeps_the_contract_labels(app, seeded, signed_in):
    page = signed_in("rita").get(f"/projects/{PROJECT}/models", headers={"Accept-Language": "fr, de"}).data.decode()
    assert '<html lang="en">' in page and ">Model registry</h1>" in page and "Create/Import" in page


# -- where the language comes from, in a host without the example portal ---------------------------

def make_host(tmp_path: Path, *, babel: dict[str, t.Any] | None = None) -> tuple[Flask, t.Any]:
    from flask_login import LoginManager
    from flask_sqlalchemy import SQLAlchemy

    from flask_modelregistry import ModelRegistry

    host = Flask("host")
    host.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'host.db'}",
                       MODEL_REGISTRY_STORAGE_URI=str(tmp_path / "store"),
                       MODEL_REGISTRY_SWEEP_INTERVAL=0)  # serving, it would sweep in a thread of this process
    db = SQLAlchemy(host)
    LoginManager(host)
    if babel is not None:
        from flask_babel import Babel

        Babel(host, **babel)
    return host, ModelRegistry(host, db=db)


def locale_for(host: Flask, accept: str) -> str:
    from flask_modelregistry.i18n import get_locale

    with host.test_request_context("/", headers={"Accept-Language": accept}):
        return get_locale()


def test_without_flask_babel_the_browser_chooses_among_english_and_japanese(tmp_path):
    host, _registry = make_host(tmp_path)
    assert locale_for(host, "fr, ja;q=0.8, en;q=0.5") == "ja"
    assert locale_for(host, "ja-JP") == "ja"
    assert locale_for(host, "fr") == "en"
    assert locale_for(host, "") == "en"


def test_the_hosts_locale_selector_comes_first(tmp_path):
    host, registry = make_host(tmp_path, babel={"locale_selector": lambda: "en"})
    chosen: dict[str, str | None] = {"value": "ja_JP"}
    registry.locale_selector(lambda: chosen["value"])
    assert locale_for(host, "en") == "ja"
    chosen["value"] = None  # no opinion: the host's Flask-Babel says English
    assert locale_for(host, "ja") == "en"
    chosen["value"] = "fr"  # a language the registry does not speak counts as none
    assert locale_for(host, "ja") == "en"


def test_the_hosts_flask_babel_selection_comes_before_the_browser(tmp_path):
    host, _registry = make_host(tmp_path, babel={"default_locale": "ja"})
    assert locale_for(host, "en") == "ja"
    host2, _registry2 = make_host(tmp_path / "two", babel={"locale_selector": lambda: "de"})
    assert locale_for(host2, "ja") == "ja"  # the host chose a language we lack: the browser decides


# -- the catalogues -------------------------------------------------------------------------------

def test_every_string_of_the_sources_is_translated_in_the_catalogue():
    """The registry's templates and modules, extracted as `make translations` does: each msgid has a
    Japanese translation, and the compiled .mo shipped in the package matches the .po."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    method_map = [("flask_modelregistry/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "_l": None,
                "lazy_gettext": None, "plural_template": (1, 2)}
    found = {message[2] if isinstance(message[2], str) else message[2][0]
             for message in extract_from_dir(str(ROOT), method_map, keywords=keywords)}
    translations = ROOT / "flask_modelregistry" / "translations" / "ja" / "LC_MESSAGES"
    with open(translations / "model_registry.po", "rb") as f:
        po = read_po(f)
    with open(translations / "model_registry.mo", "rb") as f:
        mo = read_mo(f)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in po if m.id and m.string and
                  (m.string if isinstance(m.string, str) else m.string[0]) and not m.fuzzy}
    assert sorted(found - translated) == []
    def entries(catalog: t.Any) -> dict[str, t.Any]:
        return {m.id if isinstance(m.id, str) else m.id[0]: m.string if isinstance(m.string, str) else tuple(m.string)
                for m in catalog if m.id and not m.fuzzy}

    assert entries(po) == entries(mo)


def test_the_package_data_ships_the_compiled_catalogues():
    setup = (ROOT / "setup.cfg").read_text()
    assert "translations/*/LC_MESSAGES/*.mo" in setup
    assert (ROOT / "example_app" / "translations" / "ja" / "LC_MESSAGES" / "messages.mo").is_file()


def test_the_artifacts_page_forms_say_upload_in_japanese_without_javascript(app, seeded, signed_in):
    """An upload refused by the server (a subfolder with a space) says why in Japanese."""
    rita = signed_in("rita")
    page = rita.get(seeded.version_url(seeded.v2) + "?tab=artifacts", headers=JA)
    answer = rita.post(seeded.version_url(seeded.v2) + "/artifacts/upload", headers=JA, data={
        "subfolder": "my folder", "files": [(io.BytesIO(b"x"), "a.bin")], "csrf_token": csrf_from(page.data)},
        content_type="multipart/form-data")
    shown = rita.get(answer.headers["Location"], headers=JA).data.decode()
    assert "フォルダー名にスペースは使えません。" in shown


def test_the_scripts_have_the_json_apis_refusals_said_in_the_pages_language(app, seeded, signed_in):
    """The JSON API answers in English; the page's script asks the pages to say it in Japanese."""
    rita = signed_in("rita")
    page = rita.get(seeded.model_url + "/versions/new", headers=JA).data.decode()
    token = re.search(r'data-csrf-token="([^"]+)"', page).group(1)
    url = re.search(r'data-messages-url="([^"]+)"', page).group(1)
    answer = rita.post(url, json={"messages": ["Version 1.0.0 already exists.", "Has already been taken.", 3]},
                       headers={**JA, "X-CSRFToken": token})
    assert answer.status_code == 200
    assert answer.json == {"messages": ["バージョン 1.0.0 はすでに存在します。", "すでに使用されています。", ""]}
    assert rita.post(url, json={"messages": []}, headers=JA).status_code == 400  # no CSRF token
    assert rita.post(url, json={"messages": "x"}, headers={"X-CSRFToken": token}).status_code == 400
    otto = signed_in("otto")  # no member of the private project: it does not exist for him
    otto_token = csrf_from(otto.get("/").data)
    assert otto.post(url, json={"messages": []}, headers={"X-CSRFToken": otto_token}).status_code == 404
