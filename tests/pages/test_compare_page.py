"""The compare page: three versions whose metrics overlap and go missing, side by side in semantic
version order, the best values marked by the model's goals, the goal form (CSRF, writers only),
friendly pages for what cannot be compared, the access rules, and lineage recorded through the
JSON API and through the MLflow client shown on the version and compare pages."""
from __future__ import annotations

import re

import pytest

from ..compare.conftest import P, ThreeVersions, create_version, three_versions  # noqa: F401  (a fixture)
from ..mlflow.conftest import tracking  # noqa: F401  (a fixture: the MLflow client against the live app)
from ..support import PROJECT, set_registry
from .conftest import csrf_from
from .html_tables import table

ROOT_CSRF = re.compile(r'data-csrf-token="([^"]+)"')


def page_url(t: ThreeVersions) -> str:
    return f"/projects/{PROJECT}/models/{t.model_id}"


def compare(client, t: ThreeVersions, query: str):
    return client.get(f"{page_url(t)}/compare?{query}")


def best_columns(metrics, key: str) -> list[str]:
    """The versions whose cell of ``key`` is marked best, in words and not by colour alone."""
    header = metrics.header[1:]
    cells = metrics.row(key)[1:]
    marked = [version for version, cell in zip(header, cells) if "mr-best" in cell.classes]
    assert all("Best" in cell.text for cell in cells if "mr-best" in cell.classes)
    assert not any("Best" in cell.text for cell in cells if "mr-best" not in cell.classes)
    return [version.split(" ")[0] for version in marked]


def test_three_versions_side_by_side_with_the_best_marked(signed_in, three_versions):
    t = three_versions
    r = compare(signed_in("rita"), t, f"versions={t.v3},{t.v1},{t.v2}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)

    metrics = table(html, "Metrics")
    assert [h.split(" ")[0] for h in metrics.header] == ["Metric", "1.0.0", "1.1.0", "2.0.0"]
    assert metrics.keys() == ["accuracy", "f1", "loss"]
    accuracy = metrics.texts("accuracy")
    assert accuracy[0] == "0.85" and accuracy[1].startswith("0.91 +0.06") and accuracy[2].startswith("0.91 +0.06")
    assert metrics.texts("loss")[1] == "not logged" and metrics.texts("loss")[2].startswith("0.3 −0.1")
    assert metrics.texts("f1") == ["not logged", "0.7", "NaN"]
    # accuracy: higher is better, 1.1.0 and 2.0.0 tie; loss: lower is better; f1 has no goal yet
    assert best_columns(metrics, "accuracy") == ["1.1.0", "2.0.0"]
    assert best_columns(metrics, "loss") == ["2.0.0"]
    assert best_columns(metrics, "f1") == []
    assert "(better)" in accuracy[1] and "(better)" in metrics.texts("loss")[2]
    assert "2.0.0 is best: it has the best value of 2 of the 2 metrics with a goal (accuracy, loss)" in \
        " ".join(re.sub(r"<[^>]+>", " ", html).split())

    params = table(html, "Parameters")
    assert params.keys() == ["epochs", "learning_rate", "max_depth", "seed"]
    assert params.texts("epochs") == ["not set", "not set", "3 (differs from 1.0.0)"]
    assert "differs" in params.row("learning_rate")[0].text and "differs" not in params.row("seed")[0].text
    assert [("mr-changed" in c.classes) for c in params.row("learning_rate")[1:]] == [False, True, True]
    assert [("mr-changed" in c.classes) for c in params.row("seed")[1:]] == [False, False, False]
    metadata = table(html, "Metadata")
    assert metadata.texts("gpu") == ["not set", "not set", "a100 (differs from 1.0.0)"]
    assert metadata.texts("framework") == ["sklearn", "sklearn", "sklearn"]

    lineage = table(html, "Parent version and datasets")
    assert lineage.texts("Derived") == ["no parent recorded", "no parent recorded", "1.1.0"]
    train = lineage.row_with("tx-train")
    assert "changed" in train[0].text
    assert "gs://data/train-q1.parquet" in train[1].text and "gs://data/train-q2.parquet" in train[2].text
    assert [("mr-changed" in c.classes) for c in train[1:]] == [False, True, True]
    assert "changed" not in lineage.row_with("tx-test")[0].text
    assert "not in every version" in lineage.row_with("tx-val")[0].text
    assert lineage.row_with("tx-val")[1].text == "not recorded"
    assert "training dataset tx-train changed: sha256:d1 → sha256:d2" in " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_only_differences_hides_rows_that_are_all_the_same(signed_in, three_versions):
    t = three_versions
    html = compare(signed_in("gus"), t, f"versions={t.v1},{t.v2},{t.v3}&differences=only").get_data(as_text=True)
    assert table(html, "Parameters").keys() == ["epochs", "learning_rate", "max_depth"]
    assert table(html, "Metadata").keys() == ["gpu"]
    assert "Show all rows" in html


@pytest.mark.parametrize("query", ["versions={a},{b},{c}", "versions={a}&versions={b}&versions={c}",
                                   "versions={c}&versions={a},{b}", "versions=1.0.0,1.1.0&versions=2.0.0"])
def test_both_forms_of_the_versions_argument(signed_in, three_versions, query):
    t = three_versions
    r = compare(signed_in("rita"), t, query.format(a=t.v1, b=t.v2, c=t.v3))
    assert r.status_code == 200
    assert [h.split(" ")[0] for h in table(r.data, "Metrics").header] == ["Metric", "1.0.0", "1.1.0", "2.0.0"]


def goal_form_fields(html: str, metric: str) -> dict[str, str]:
    forms = re.findall(r'<form method="post" class="mr-goal-form" action="([^"]+)">(.*?)</form>', html, re.S)
    for action, body in forms:
        if f'name="metric" type="hidden" value="{metric}"' in body:
            fields = dict(re.findall(r'name="(csrf_token|metric|versions)" type="hidden" value="([^"]*)"', body))
            return {"action": action, **fields}
    raise AssertionError(f"no goal form for {metric}")


def test_writers_set_a_metric_goal_with_the_form(signed_in, three_versions):
    t = three_versions
    rita = signed_in("rita")
    html = compare(rita, t, f"versions={t.v3}&versions={t.v1}&versions={t.v2}").get_data(as_text=True)
    assert html.count('class="mr-goal-form"') == 3
    assert '<option selected value="max">Higher is better</option>' in html
    f1 = goal_form_fields(html, "f1")
    assert f1["action"] == f"{page_url(t)}/metric-goals" and f1["versions"] == f"{t.v1},{t.v2},{t.v3}"

    # without the CSRF token nothing changes
    r = rita.post(f1["action"], data={"metric": "f1", "goal": "max", "versions": f1["versions"]})
    assert r.status_code == 400 and "security token" in r.get_data(as_text=True)
    assert best_columns(table(compare(rita, t, f"versions={f1['versions']}").data, "Metrics"), "f1") == []

    r = rita.post(f1["action"], data={**f1, "goal": "max"})
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/compare?versions={t.v1},{t.v2},{t.v3}#mr-compare-metrics")
    page = rita.get(r.headers["Location"]).get_data(as_text=True)
    assert "f1: higher is better." in page
    assert best_columns(table(page, "Metrics"), "f1") == ["1.1.0"]  # 2.0.0's NaN never wins

    accuracy = goal_form_fields(page, "accuracy")
    rita.post(accuracy["action"], data={**accuracy, "goal": "min"})
    page = compare(rita, t, f"versions={t.v1},{t.v2},{t.v3}").get_data(as_text=True)
    assert best_columns(table(page, "Metrics"), "accuracy") == ["1.0.0"]
    rita.post(accuracy["action"], data={**accuracy, "goal": ""})
    page = compare(rita, t, f"versions={t.v1},{t.v2},{t.v3}").get_data(as_text=True)
    assert best_columns(table(page, "Metrics"), "accuracy") == []

    r = rita.post(accuracy["action"], data={**accuracy, "goal": "higher"}, follow_redirects=True)
    assert "Choose whether higher or lower is better" in r.get_data(as_text=True)
    # remembered per model: the JSON API sees the same goals
    api = rita.get(f"{P}/models/{t.model_id}").json
    assert api["metric_goals"] == {"loss": "min", "f1": "max"}


def test_guests_see_the_goals_but_no_form(signed_in, three_versions):
    t = three_versions
    gus = signed_in("gus")
    r = compare(gus, t, f"versions={t.v1},{t.v2},{t.v3}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "mr-goal-form" not in html and "/metric-goals" not in html
    metrics = table(html, "Metrics")
    assert "Higher is better" in metrics.row("accuracy")[0].text
    assert "Lower is better" in metrics.row("loss")[0].text and "No goal" in metrics.row("f1")[0].text
    token = ROOT_CSRF.search(html).group(1)
    r = gus.post(f"{page_url(t)}/metric-goals", data={"csrf_token": token, "metric": "f1", "goal": "max"})
    assert r.status_code == 403
    assert best_columns(table(compare(gus, t, f"versions={t.v1},{t.v2},{t.v3}").data, "Metrics"), "f1") == []


def test_what_cannot_be_compared_gets_a_page_that_says_why(app, signed_in, three_versions, client, rita):
    t = three_versions
    other = client.post(f"{P}/models", json={"name": "other"}, headers=rita.headers).json
    foreign = create_version(client, rita.headers, other["id"], "1.0.0")
    user = signed_in("rita")
    cases = {
        f"versions={t.v1}": "Pick at least two versions.",
        f"versions={t.v1},{t.v1}": "Pick at least two versions.",
        f"versions={t.v1},999999": "No version 999999 in this model.",
        f"versions={t.v1},{foreign['id']}": f"No version {foreign['id']} in this model.",
        "versions=" + ",".join(str(n) for n in range(1, 12)): "Pick at most 10 versions.",
        "versions=": "Pick at least two versions.",
        "versions=abc,%00": "Give version ids (or semantic versions) separated by commas.",
        "versions=" + "9" * 5000: "Give version ids (or semantic versions) separated by commas.",
    }
    for query, message in cases.items():
        r = compare(user, t, query)
        html = r.get_data(as_text=True)
        assert r.status_code == 422, (query, r.status_code)
        assert "These versions cannot be compared." in html and message in html, query
        assert f'href="{page_url(t)}?tab=versions"' in html  # the way back
        assert html.count('type="checkbox" name="versions"') == 3  # and the versions to pick again
    r = compare(user, t, f"versions={t.v1}")
    assert re.search(rf'value="{t.v1}" id="mr-pick-{t.v1}"\s+checked', r.get_data(as_text=True))

    r = user.get(f"{page_url(t)}/compare")  # nothing picked yet: a page to pick from, no error
    assert r.status_code == 200 and "cannot be compared" not in r.get_data(as_text=True)
    assert "Tick two or more versions" in r.get_data(as_text=True)


def test_compare_keeps_the_access_rules(app, signed_in, three_versions):
    t = three_versions
    query = f"versions={t.v1},{t.v2}"
    r = compare(signed_in(None), t, query)
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert compare(signed_in("otto"), t, query).status_code == 404
    assert compare(signed_in("gus"), t, query).status_code == 200
    anonymous = signed_in(None)
    token = csrf_from(anonymous.get("/login").data)
    r = anonymous.post(f"{page_url(t)}/metric-goals", data={"csrf_token": token, "metric": "f1", "goal": "max"})
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    r = signed_in("otto").post(f"{page_url(t)}/metric-goals", data={"metric": "f1", "goal": "max"})
    assert r.status_code == 400  # no token: refused before anything else
    assert signed_in("rita").get(f"{page_url(t)}/metric-goals").status_code == 405
    assert signed_in("rita").get(f"/projects/{PROJECT}/models/999999/compare?{query}").status_code == 404

    set_registry(app, visibility="public")
    r = compare(signed_in(None), t, query)
    assert r.status_code == 200 and "mr-goal-form" not in r.get_data(as_text=True)
    set_registry(app, enabled=False)
    assert compare(signed_in("rita"), t, query).status_code == 404


def test_lineage_set_through_the_api_shows_on_the_version_and_compare_pages(signed_in, client, rita, three_versions):
    t = three_versions
    base = f"{P}/models/{t.model_id}/versions"
    datasets = [{"name": "tx-train", "role": "training", "uri": "gs://data/train-q3.parquet", "digest": "sha256:d3"}]
    assert client.put(f"{base}/{t.v2}/datasets", json=datasets, headers=rita.headers).status_code == 200
    assert client.patch(f"{base}/{t.v2}", json={"parent_version_id": t.v1}, headers=rita.headers).status_code == 200
    assert_lineage_pages(signed_in("gus"), page_url(t), t.v1, t.v2, "tx-train", "sha256:d1", "sha256:d3")


def assert_lineage_pages(user, page: str, v1: int, v2: int, changed: str, before: str, after: str) -> None:
    """The version page of ``v2`` names its parent and datasets; the compare page shows the change."""
    html = user.get(f"{page}/versions/{v2}").get_data(as_text=True)
    assert re.search(rf'<dt>Derived from</dt>\s*<dd><a class="mr-version" href="{page}/versions/{v1}">1\.0\.0</a>', html)
    datasets = table(html, "Datasets")
    assert any(row[0].text == "training" and row[1].text == changed and row[3].text == after
               for row in datasets.rows[1:])

    html = user.get(f"{page}/compare?versions={v2},{v1}").get_data(as_text=True)
    lineage = table(html, "Parent version and datasets")
    assert lineage.texts("Derived") == ["no parent recorded", "1.0.0"]
    row = lineage.row_with(changed + " changed")
    assert before in row[1].text and after in row[2].text and "mr-changed" in row[2].classes
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert f"training dataset {changed} changed: {before} → {after}" in text


def test_lineage_set_through_mlflow_shows_on_the_version_and_compare_pages(tracking, signed_in):  # noqa: F811
    from mlflow.entities import Dataset, DatasetInput, InputTag

    c = tracking.use("rita")
    c.create_registered_model("fraud")
    first = c.create_model_version("fraud", "s3://b/1", tags={"model_registry.version": "1.0.0"})
    second = c.create_model_version("fraud", "s3://b/2", tags={"model_registry.version": "1.1.0",
                                                               "model_registry.parent_version": "1.0.0"})

    def dataset(name: str, digest: str, context: str) -> DatasetInput:
        return DatasetInput(Dataset(name=name, digest=digest, source_type="gcs",
                                    source=f'{{"uri": "gs://data/{name}-{digest}.parquet"}}'),
                            tags=[InputTag("mlflow.data.context", context)])

    c.log_inputs(first.run_id, datasets=[dataset("tx", "d1", "training"), dataset("tx-test", "t1", "test")])
    c.log_inputs(second.run_id, datasets=[dataset("tx", "d2", "training"), dataset("tx-test", "t1", "test")])
    v1, v2 = tracking.api_version("fraud", 1), tracking.api_version("fraud", 2)
    page = f"/projects/{PROJECT}/models/{v1['model_id']}"
    assert_lineage_pages(signed_in("rita"), page, v1["id"], v2["id"], "tx", "d1", "d2")


def test_hostile_goal_posts_are_refused_with_a_message(signed_in, three_versions, client, rita):
    t = three_versions
    user = signed_in("rita")
    token = csrf_from(compare(user, t, f"versions={t.v1},{t.v2}").data)
    for data in ({"metric": "m" * 300, "goal": "max"}, {"metric": "a\x00b", "goal": "max"}, {"metric": " ", "goal": "max"},
                 {"metric": "f1", "goal": "best"}, {"goal": "max"}):
        r = user.post(f"{page_url(t)}/metric-goals", data={"csrf_token": token, **data})
        assert r.status_code == 302 and r.headers["Location"] == f"{page_url(t)}?tab=performance"
        page = user.get(r.headers["Location"]).get_data(as_text=True)
        assert re.search(r'class="flash error"[^>]*>[^<]*(Choose whether|control characters|blank)', page), data
    # where the form returns to is never taken from the request as a URL
    for versions in ("//evil.example", "javascript:alert(1)", "https://evil.example/x"):
        r = user.post(f"{page_url(t)}/metric-goals", data={"csrf_token": token, "metric": "f1", "goal": "max",
                                                           "versions": versions})
        assert r.status_code == 302 and r.headers["Location"] == f"{page_url(t)}?tab=performance"
    assert client.get(f"{P}/models/{t.model_id}", headers=rita.headers).json["metric_goals"] == {
        "accuracy": "max", "loss": "min", "f1": "max"}
