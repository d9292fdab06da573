"""The seed's journey in Japanese, as the seed page tells it, finding every control by its Japanese
label: デプロイ > モデルレジストリ, 作成/インポート > 新しいモデルを作成, 作成, 新しいバージョンの作成,
作成とインポート, the アーティファクト tab with 選択 and アップロード, 削除 with its confirmation, the
バージョン tab's モデルバージョンを削除 and the list's モデルを削除する; each step checked in the database."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import artifact_files, model_names, version_labels

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def open_in_japanese(browser, live_server, people):
    contexts = []

    def make(username: str):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900},
                                      locale="ja-JP", extra_http_headers={"Accept-Language": "ja-JP,ja;q=0.9"})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.script_errors = errors  # type: ignore[attr-defined]
        page.goto("/login")
        page.get_by_label("ユーザー名").fill(username)
        page.get_by_label("パスワード").fill(username)
        page.get_by_role("button", name="ログイン").click()
        page.wait_for_url(lambda url: not url.endswith("/login"))
        return page

    yield make
    for context in contexts:
        context.close()


def test_a_reporter_goes_through_the_seed_journey_in_japanese(open_in_japanese, live_server):
    app = live_server.app
    page = open_in_japanese("rita")
    expect(page.locator("html")).to_have_attribute("lang", "ja")

    # デプロイ > モデルレジストリ, then 作成/インポート > 新しいモデルを作成
    page.get_by_role("link", name="デプロイ > モデルレジストリ").click()
    expect(page.get_by_role("heading", name="モデルレジストリ", exact=True)).to_be_visible()
    page.get_by_role("button", name="作成/インポート").click()
    page.get_by_role("menuitem", name="新しいモデルを作成").click()
    page.get_by_label("名前").fill("fraud-detector")
    page.get_by_label("説明").fill("不正検知モデル。\n\n- [x] 学習済み\n- [ ] 評価")
    page.get_by_role("button", name="作成", exact=True).click()
    expect(page.get_by_role("heading", name="fraud-detector", level=1)).to_be_visible()
    expect(page.get_by_text("モデル fraud-detector を作成しました。")).to_be_visible()
    expect(page.locator(".mr-markdown .task-list-item input[type=checkbox]")).to_have_count(2)
    assert model_names(app) == ["fraud-detector"]

    # 新しいバージョンの作成: a bad version is caught while typing, then 作成とインポート
    page.get_by_role("link", name="新しいバージョンの作成").click()
    version = page.get_by_label("バージョン", exact=True)
    version.fill("1.0")
    expect(page.locator("#version-error")).to_contain_text("セマンティックバージョン")
    version.fill("1.0.0")
    expect(page.locator("#version-error")).to_be_hidden()
    page.get_by_label("説明").fill("最初のリリース。")
    page.get_by_label("ファイルを選択").set_input_files([
        {"name": "weights.bin", "mimeType": "application/octet-stream", "buffer": b"W" * 2048}])
    expect(page.locator("[data-mr-file-list] li")).to_contain_text("2.0 KiB")
    page.get_by_role("button", name="作成とインポート").click()
    expect(page.get_by_role("heading", name="fraud-detector / 1.0.0")).to_be_visible()
    expect(page.get_by_text("バージョン 1.0.0 を作成しました。")).to_be_visible()
    assert version_labels(app, "fraud-detector") == ["1.0.0"]
    assert list(artifact_files(app, "fraud-detector", "1.0.0")) == ["weights.bin"]

    # the JSON API refuses a version that exists (in English); the page says it in Japanese
    page.get_by_role("navigation", name="パンくずリスト").get_by_role("link", name="fraud-detector").click()
    page.get_by_role("link", name="新しいバージョンの作成").click()
    page.get_by_label("バージョン", exact=True).fill("1.0.0")
    page.get_by_role("button", name="作成とインポート").click()
    expect(page.locator("#version-error")).to_have_text("バージョン 1.0.0 はすでに存在します。")
    assert version_labels(app, "fraud-detector") == ["1.0.0"]
    page.go_back()
    page.get_by_role("tab", name="バージョン").click()
    page.get_by_role("tabpanel").get_by_role("link", name="1.0.0").click()

    # タブ アーティファクト: サブフォルダー, 選択, アップロード
    page.get_by_role("tab", name="アーティファクト").click()
    subfolder = page.get_by_label("サブフォルダー")
    subfolder.fill("my config")
    expect(page.locator("#subfolder-error")).to_have_text("フォルダー名にスペースは使えません。")
    subfolder.fill("config")
    expect(page.locator("#subfolder-error")).to_be_hidden()
    page.get_by_label("選択", exact=True).set_input_files([
        {"name": "params.json", "mimeType": "application/json", "buffer": b'{"lr": 0.01}'}])
    expect(page.locator("form[data-mr-uploader] [data-mr-file-list] li")).to_contain_text("params.json")
    page.get_by_role("button", name="アップロード", exact=True).click()
    expect(page.locator("#mr-artifact-tree tr[data-path='config/params.json']")).to_be_visible()
    expect(page.locator("[data-mr-uploads-summary]")).to_contain_text("アップロード完了 1 件")
    assert sorted(artifact_files(app, "fraud-detector", "1.0.0")) == ["config/params.json", "weights.bin"]

    # 削除 with the checkboxes, confirmed by 削除
    page.get_by_role("checkbox", name="config/params.json").check()
    page.locator("form[data-mr-delete-files]").get_by_role("button", name="削除", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("このファイルが削除されます。")
    dialog.get_by_role("button", name="削除", exact=True).click()
    expect(page.get_by_text("1 件のファイルを削除しました: config/params.json")).to_be_visible()
    assert list(artifact_files(app, "fraud-detector", "1.0.0")) == ["weights.bin"]

    # タブ バージョン, then the row's menu: モデルバージョンを削除
    page.get_by_role("navigation", name="パンくずリスト").get_by_role("link", name="fraud-detector").click()
    page.get_by_role("tab", name="バージョン").click()
    row = page.get_by_role("row", name=re.compile("1.0.0"))
    row.get_by_role("button", name="アクション").click()
    page.get_by_role("menuitem", name="モデルバージョンを削除").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("fraud-detector のバージョン 1.0.0 を削除しますか?")
    dialog.get_by_role("button", name="モデルバージョンを削除").click()
    expect(page.get_by_text("fraud-detector のバージョン 1.0.0 を削除しました。")).to_be_visible()
    assert version_labels(app, "fraud-detector") == []

    # the list's row menu: モデルを削除する, confirmed by モデルを削除する
    page.get_by_role("navigation", name="パンくずリスト").get_by_role("link", name="モデルレジストリ").click()
    page.get_by_role("row", name=re.compile("fraud-detector")).get_by_role("button", name="アクション").click()
    page.get_by_role("menuitem", name="モデルを削除する").click()
    page.get_by_role("dialog").get_by_role("button", name="モデルを削除する").click()
    expect(page.get_by_text("モデル fraud-detector とそのすべてのバージョンを削除しました。")).to_be_visible()
    expect(page.get_by_text("機械学習モデルの追跡を始めましょう")).to_be_visible()
    assert model_names(app) == []
    assert page.script_errors == []
