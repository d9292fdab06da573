"""What the pages show: the model list (search, sort, pages, latest version, counts), the Versions
tab in semantic-version order, and the version page's card, files and performance."""
from __future__ import annotations

import hashlib
import html
import io
import re

import pytest

from ..support import PROJECT
from .conftest import FILES, actor_of

P = f"/projects/{PROJECT}"


def names_in(page: bytes, css: str = "mr-row-title") -> list[str]:
    return re.findall(rf'class="{css}[^"]*" href="[^"]+">([^<]+)</a>', page.decode())


@pytest.fixture
def many_models(app, people):
    from flask_modelregistry.services import registered_models, versions

    with app.app_context():
        rita = actor_of("rita")
        for index, name in enumerate(["alpha", "bravo", "charlie", "delta", "echo"]):
            model = registered_models.create_model(PROJECT, rita, name=name)
            for number in range(index):
                versions.create_version(PROJECT, rita, model, version=f"{number + 1}.0.0")
    app.config["MODEL_REGISTRY_PER_PAGE"] = 2


def test_the_model_list_sorts_searches_and_pages(many_models, signed_in):
    rita = signed_in("rita")
    first = rita.get(f"{P}/models").data
    assert names_in(first) == ["echo", "delta"]  # newest first
    assert b"5 models" in first
    assert b'aria-label="Page 3"' in first and b'rel="next"' in first
    assert names_in(rita.get(f"{P}/models?page=3").data) == ["alpha"]
    assert names_in(rita.get(f"{P}/models?sort=name&order=asc").data) == ["alpha", "bravo"]
    assert names_in(rita.get(f"{P}/models?sort=name&order=desc&page=2").data) == ["charlie", "bravo"]
    found = rita.get(f"{P}/models?search=ar").data
    assert names_in(found) == ["charlie"] and "1 model matching “ar”" in found.decode()
    assert b"No models match" in rita.get(f"{P}/models?search=zzz").data
    assert b"There are no models on this page." in rita.get(f"{P}/models?page=40").data


def test_each_row_shows_its_latest_version_and_version_count(many_models, signed_in):
    page = signed_in("rita").get(f"{P}/models?sort=name&order=asc&page=2").data.decode()
    charlie = page[page.index(">charlie</a>"):page.index(">delta</a>")]
    assert ">2.0.0</a>" in charlie and '<td class="mr-num">2</td>' in charlie
    bravo_page = signed_in("rita").get(f"{P}/models?sort=name&order=asc").data.decode()
    alpha = bravo_page[bravo_page.index(">alpha</a>"):bravo_page.index(">bravo</a>")]
    assert "No versions" in alpha and '<td class="mr-num">0</td>' in alpha


def test_the_versions_tab_follows_semantic_versioning(app, people, signed_in):
    from flask_modelregistry.services import registered_models, versions

    with app.app_context():
        rita = actor_of("rita")
        model = registered_models.create_model(PROJECT, rita, name="semver")
        for version in ["1.9.0", "1.10.0", "1.10.0-rc.1", "1.10.0-alpha", "2.0.0-rc2", "1.2.3"]:
            versions.create_version(PROJECT, rita, model, version=version)
        model_id = model.id
    client = signed_in("rita")
    page = client.get(f"{P}/models/{model_id}?tab=versions").data
    assert names_in(page, "mr-row-title mr-version") == [
        "2.0.0-rc2", "1.10.0", "1.10.0-rc.1", "1.10.0-alpha", "1.9.0", "1.2.3"]
    assert page.decode().count("prerelease</span>") == 3
    listing = client.get(f"{P}/models").data.decode()
    assert ">1.10.0</a>" in listing  # the latest release, not the newer prerelease
    app.config["MODEL_REGISTRY_PER_PAGE"] = 4
    second = client.get(f"{P}/models/{model_id}?tab=versions&page=2").data
    assert names_in(second, "mr-row-title mr-version") == ["1.9.0", "1.2.3"]
    searched = client.get(f"{P}/models/{model_id}?tab=versions&search=1.10").data
    assert names_in(searched, "mr-row-title mr-version") == ["1.10.0", "1.10.0-rc.1", "1.10.0-alpha"]
    assert b'id="mr-panel-versions" aria-labelledby="mr-tab-versions">' in searched  # the tab shows at once


def test_the_compare_form_points_at_the_compare_page(seeded, signed_in):
    page = signed_in("gus").get(f"{seeded.model_url}?tab=versions").data.decode()
    assert f'<form method="get" action="{seeded.model_url}/compare" data-mr-compare-form>' in page
    assert f'name="versions" value="{seeded.v1}" aria-label="Compare 1.0.0"' in page
    assert ">Compare</button>" in page


def test_the_version_card_shows_what_made_the_version(seeded, signed_in):
    page = html.unescape(signed_in("gus").get(seeded.version_url(seeded.v1)).data.decode())
    assert "First <em>release</em>." in page
    assert "<th scope=\"row\">framework</th><td>sklearn</td>" in page
    assert "by rita" in page
    assert '<a href="https://ci.example.com/jobs/4242" rel="noopener noreferrer">Job #4242</a>' in page
    assert '<a href="https://ci.example.com/pipelines/77" rel="noopener noreferrer">pipeline</a>' in page
    assert "customers-train" in page and "gs://data/customers/train.parquet" in page and "sha256:abc123" in page
    assert "The files of this version are the package <code class=\"mr-code-inline\">churn/1.0.0</code>" in page
    assert (f"--output README.md \\\n     http://localhost/api/v1/projects/proj/packages/ml_models/{seeded.v1}"
            "/files/README.md") in page
    child = html.unescape(signed_in("gus").get(seeded.version_url(seeded.v2)).data.decode())
    assert f'href="{seeded.version_url(seeded.v1)}">1.0.0</a>' in child  # derived from
    assert "Not linked to a CI job." in child and "No datasets recorded" in child


def test_links_from_tags_are_only_kept_when_they_are_web_addresses(app, seeded, signed_in):
    from flask_modelregistry.services import registered_models, tracking, versions

    with app.app_context():
        rita = actor_of("rita")
        model = registered_models.get_model(PROJECT, rita, seeded.model_id)
        run = versions.get_version(PROJECT, rita, model, seeded.v2).run
        tracking.log_batch(PROJECT, rita, run, tags={"model_registry.ci_job_id": "7",
                                                     "model_registry.ci_job_url": "javascript:alert(1)"})
    page = signed_in("rita").get(seeded.version_url(seeded.v2)).data.decode()
    assert "Job #7" in page and "javascript:" not in page


def test_the_artifacts_tab_is_a_tree_with_sizes_hashes_and_downloads(seeded, signed_in):
    client = signed_in("gus")
    page = client.get(seeded.version_url(seeded.v1) + "?tab=artifacts").data.decode()
    rows = re.findall(r'<tr (?:class="mr-tree-folder"|data-path="([^"]+)")', page)
    assert rows == ["", "config/params.json", "", "model/weights.bin", "README.md"]  # folders first, then files
    assert "config/</span>" in page and "1 file</span>" in page
    assert '<td class="mr-num">900 bytes</td>' in page  # model/weights.bin
    for path, content in FILES.items():
        assert hashlib.sha256(content).hexdigest() in page
    link = re.search(r'href="([^"]+/artifacts/model/weights.bin)" download', page).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.data == FILES["model/weights.bin"]
    assert 'id="mr-artifacts-count">3</span>' in page


def test_the_performance_tab_has_a_table_by_step_and_a_chart_per_metric(seeded, signed_in):
    page = signed_in("gus").get(seeded.version_url(seeded.v1) + "?tab=performance").data.decode()
    assert '<th scope="row">learning_rate</th><td>0.01</td>' in page
    header = re.search(r'<thead><tr><th scope="col" class="mr-num">Step</th>(.*?)</tr></thead>', page).group(1)
    assert re.findall(r">([a-z]+)</th>", header) == ["accuracy", "loss"]
    rows = re.findall(r'<tr><th scope="row" class="mr-num">(\d+)</th><td class="mr-num">([^<]+)</td>'
                      r'<td class="mr-num">([^<]+)</td></tr>', page)
    assert rows == [("0", "0.71", "0.61"), ("1", "0.82", "0.44"), ("2", "0.86", "0.39")]
    assert page.count('<svg class="mr-chart" role="img"') == 2
    assert "accuracy at step 2: 0.86" in page and "loss at step 0: 0.61" in page
    empty = signed_in("gus").get(seeded.version_url(seeded.v2) + "?tab=performance").data.decode()
    assert "No metrics logged." in empty and "No parameters logged." in empty


def test_a_long_training_run_shows_its_last_steps_and_a_thinned_chart(app, seeded, signed_in):
    from flask_modelregistry.services import registered_models, tracking, versions

    with app.app_context():
        rita = actor_of("rita")
        model = registered_models.get_model(PROJECT, rita, seeded.model_id)
        run = versions.get_version(PROJECT, rita, model, seeded.v2).run
        tracking.log_metrics(PROJECT, rita, run, [{"key": "loss", "value": 1 / (step + 1), "step": step}
                                                  for step in range(1000)])
    page = signed_in("rita").get(seeded.version_url(seeded.v2) + "?tab=performance").data.decode()
    steps = re.findall(r'<tr><th scope="row" class="mr-num">(\d+)</th>', page)
    assert steps[0] == "900" and steps[-1] == "999" and len(steps) == 100
    assert "Showing the last 100 of 1000 steps" in page
    assert page.count('<g class="mr-chart-point">') == 400
    assert "loss at step 0: 1" in page and "loss at step 999: 0.001" in page


def test_a_one_byte_file_is_one_byte(app, seeded, signed_in):
    from flask_modelregistry.services import artifacts, registered_models, versions

    with app.app_context():
        rita = actor_of("rita")
        mv = versions.get_version(PROJECT, rita, registered_models.get_model(PROJECT, rita, seeded.model_id), seeded.v2)
        artifacts.upload_artifact(PROJECT, rita, mv.run_id, "flag.txt", io.BytesIO(b"1"), content_length=1)
    page = signed_in("gus").get(seeded.version_url(seeded.v2) + "?tab=artifacts").data.decode()
    assert '<td class="mr-num">1 byte</td>' in page and "1 bytes" not in page
