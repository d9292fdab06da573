"""The webhooks page under the registry's settings, for maintainers: create, edit, send a test,
read the delivery log, redeliver, disable, delete after confirmation."""
from __future__ import annotations

import re

import pytest

from tests.pages.conftest import csrf_from
from tests.support import login

from .conftest import SECRET

#: the pages' rules, not the database's: SQLite suffices
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

PAGE = "/projects/proj/model-registry/webhooks"


@pytest.fixture
def maintainer(app, people):
    client = app.test_client()
    login(client, "max")
    return client


def test_a_maintainer_manages_a_webhook_from_the_pages(maintainer, receiver, people):
    empty = maintainer.get(PAGE)
    assert empty.status_code == 200 and b"No webhooks yet" in empty.data
    assert b"Webhooks" in maintainer.get("/projects/proj/model-registry/settings").data
    form = maintainer.get(PAGE + "/new")
    made = maintainer.post(PAGE + "/new", data={
        "csrf_token": csrf_from(form.data), "name": "deploy", "url": receiver.url, "secret": SECRET,
        "events": ["model_version.created", "model_version_alias.created"], "description": "start the rollout"})
    assert made.status_code == 302
    hook_url = made.headers["Location"]
    listing = maintainer.get(PAGE).get_data(as_text=True)
    assert "deploy" in listing and receiver.url in listing and SECRET not in listing
    assert "Delete webhook" in listing and "Send test" in listing

    page = maintainer.get(hook_url)
    token = csrf_from(page.data)
    assert SECRET not in page.get_data(as_text=True)
    tested = maintainer.post(hook_url + "/test", data={"csrf_token": token}, follow_redirects=True)
    text = tested.get_data(as_text=True)
    assert "Test delivered: the receiver answered 200" in text
    assert receiver.accepted[0].verified
    assert "model_version.created" in text and "thanks " in text and " ms" in text  # the attempt's answer and time
    delivery = re.search(r'/deliveries/(\d+)/redeliver', text).group(1)
    again = maintainer.post(f"{hook_url}/deliveries/{delivery}/redeliver", data={"csrf_token": token})
    assert again.status_code == 302
    receiver.wait_for(2)
    assert receiver.accepted[1].delivery_id == receiver.accepted[0].delivery_id

    edit = maintainer.get(hook_url + "/edit")
    assert b"A secret is set" in edit.data
    saved = maintainer.post(hook_url + "/edit", data={
        "csrf_token": csrf_from(edit.data), "name": "deploy-2", "url": receiver.url, "events": ["model_version.deleted"],
        "secret": "", "description": ""})
    assert saved.status_code == 302
    after = maintainer.get(hook_url).get_data(as_text=True)
    assert "deploy-2" in after and "model_version.deleted" in after and "signed with its secret" in after

    assert maintainer.post(hook_url + "/status", data={"csrf_token": token}).status_code == 302
    assert "Disabled" in maintainer.get(hook_url).get_data(as_text=True)

    confirm = maintainer.get(hook_url + "/delete")
    assert b"Delete webhook deploy-2?" in confirm.data
    gone = maintainer.post(hook_url + "/delete", data={"csrf_token": csrf_from(confirm.data)})
    assert gone.status_code == 302
    assert maintainer.get(hook_url).status_code == 404


def test_bad_input_is_shown_next_to_the_field(maintainer):
    form = maintainer.get(PAGE + "/new")
    answer = maintainer.post(PAGE + "/new", data={"csrf_token": csrf_from(form.data), "name": "x",
                                                  "url": "ftp://example.com/h", "events": ["model_version.created"]})
    assert answer.status_code == 422
    assert b"Only http:// and https:// URLs are allowed." in answer.data
    answer = maintainer.post(PAGE + "/new", data={"csrf_token": csrf_from(form.data), "name": "x", "url": "https://8.8.8.8/"})
    assert answer.status_code == 422 and b"Pick at least one event." in answer.data


def test_forms_need_their_csrf_token(maintainer, client, people):
    assert maintainer.post(PAGE + "/new", data={"name": "x", "url": "https://8.8.8.8/",
                                                "events": ["model_version.created"]}).status_code == 400


def test_only_maintainers_and_above_see_the_page(app, people):
    for who, status in [("olga", 200), ("max", 200), ("dev", 403), ("rita", 403), ("gus", 403), ("otto", 404)]:
        client = app.test_client()
        login(client, who)
        assert client.get(PAGE).status_code == status, who
        assert client.get(PAGE + "/new").status_code == status, who
        forced = client.post(PAGE + "/new", data={"name": "x", "url": "https://8.8.8.8/", "events": ["model_version.created"]})
        assert forced.status_code in ((400,) if status == 200 else (status, 400)), who


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    answer = client.get(PAGE)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_the_pages_speak_japanese(app, people, receiver):
    """Every webhook page in Japanese shows only catalogued strings (the receiver's own answer,
    URLs, event names and the header's name aside)."""
    from tests.pages.test_languages import JA, english_words

    client = app.test_client()
    login(client, "max")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = JA["Accept-Language"]
    empty = client.get(PAGE).get_data(as_text=True)
    form = client.get(PAGE + "/new")
    made = client.post(PAGE + "/new", data={"csrf_token": csrf_from(form.data), "name": "deploy", "url": receiver.url,
                                            "events": ["model_version.created"], "secret": SECRET})
    hook_url = made.headers["Location"]
    client.post(hook_url + "/test", data={"csrf_token": csrf_from(form.data)})
    pages = {"empty": empty, "new": form.get_data(as_text=True), "list": client.get(PAGE).get_data(as_text=True),
             "show": client.get(hook_url).get_data(as_text=True),
             "edit": client.get(hook_url + "/edit").get_data(as_text=True),
             "delete": client.get(hook_url + "/delete").get_data(as_text=True)}
    allowed = {"URL", "X-MLflow-Signature", "http", "https", "deploy", "thanks", "hook", "hooks", "registry",
               "ci.example.com"}  # the test's names, the URLs and the placeholder's example
    leaks = {name: sorted(w for w in english_words(page) - allowed if not re.fullmatch(r"[0-9a-f-]+", w))
             for name, page in pages.items()}
    assert not any(leaks.values()), leaks
    assert "ウェブフックを追加" in pages["empty"] and "配信ログ" in pages["show"] and "再配信" in pages["show"]


def test_refusals_are_shown_in_japanese(app, people):
    from tests.pages.test_languages import JA

    client = app.test_client()
    login(client, "max")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = JA["Accept-Language"]
    form = client.get(PAGE + "/new")
    for name, url, shown in [("x", "ftp://example.com/h", "http:// と https:// の URL だけが使えます。"),
                             ("-x", "https://8.8.8.8/h", "英字・数字・. _ - の 1〜63 文字で、先頭と末尾は英字か数字にしてください。")]:
        answer = client.post(PAGE + "/new", data={"csrf_token": csrf_from(form.data), "name": name, "url": url,
                                                  "events": ["model_version.created"]})
        assert answer.status_code == 422
        assert shown in answer.get_data(as_text=True)
