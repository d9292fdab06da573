"""Mounting into a host: the pages extend the host's base template, a host overrides any page by
putting a template at the same path, the registry's static files live under its own URL, a URL
prefix moves everything, and the host's navigation gets its "Deploy > Model registry" entry."""
from __future__ import annotations

import pytest
from jinja2 import ChoiceLoader, DictLoader

from ..support import PROJECT, set_registry

P = f"/projects/{PROJECT}"


def test_pages_extend_the_hosts_base_template_with_its_navigation(seeded, signed_in):
    page = signed_in("rita").get(seeded.model_url).data.decode()
    assert "<title>churn · Model registry · Example Portal</title>" in page
    assert '<nav class="portal-side" aria-label="Project">' in page
    assert "<h2>Deploy</h2>" in page
    assert f'<a href="{P}/models" aria-current="page">Model registry</a>' in page


def test_the_portal_home_links_each_project_to_its_registry(people, signed_in):
    home = signed_in("rita").get("/").data.decode()
    assert f'<a href="{P}/models">Deploy &gt; Model registry</a>' in home


def test_the_navigation_entry_follows_access(app, people, signed_in):
    """Outsiders see no entry; on a disabled registry only maintainers see one, to its settings."""
    assert 'href="/projects/proj/models"' not in signed_in("otto").get("/").data.decode()
    set_registry(app, enabled=False)
    with app.test_request_context("/"):
        from flask_modelregistry.nav import nav_items
        assert nav_items(PROJECT) == []  # nobody signed in
    maintainer_page = signed_in("max").get(f"{P}/model-registry/settings").data.decode()
    assert f'<a href="{P}/model-registry/settings" aria-current="page">Model registry settings</a>' in maintainer_page
    assert f'href="{P}/models"' not in maintainer_page.split("</nav>")[0]
    assert "Model registry" not in signed_in("rita").get("/").data.decode().split("<table>")[-1]


@pytest.fixture
def overriding_host(app):
    """The host puts its own version of one page in its templates folder."""
    app.jinja_loader = ChoiceLoader([
        DictLoader({"model_registry/models/list.html": (
            '{% extends "model_registry/_page.html" %}{% block mr_content %}'
            '<h1>Our own model list</h1>{% for item in result.items %}<p class="ours">{{ item.name }}</p>'
            '{% endfor %}{% endblock %}')}),
        app.jinja_loader,
    ])
    return app


def test_a_host_overrides_one_page_by_its_path(overriding_host, seeded, signed_in):
    rita = signed_in("rita")
    listing = rita.get(f"{P}/models").data.decode()
    assert "<h1>Our own model list</h1>" in listing and '<p class="ours">churn</p>' in listing
    assert "Example Portal" in listing  # still inside the host's base
    assert "Model created" in rita.get(seeded.model_url).data.decode()  # other pages unchanged


@pytest.mark.parametrize("app_config", [{"MODEL_REGISTRY_BASE_TEMPLATE": "model_registry/layout.html"}])
def test_without_a_host_base_the_default_layout_frames_the_pages(seeded, signed_in):
    page = signed_in("rita").get(seeded.model_url).data.decode()
    assert '<main class="mr-layout-main">' in page and "Example Portal" not in page
    assert '<h1 class="mr-title">churn</h1>' in page


def test_static_files_are_served_under_the_registrys_own_url(client):
    css = client.get("/-/model-registry/static/registry.css")
    js = client.get("/-/model-registry/static/uploads.js")
    assert css.status_code == 200 and css.mimetype == "text/css" and b".mr-dropzone" in css.data
    assert js.status_code == 200 and b"XMLHttpRequest" in js.data
    assert client.get("/static/registry.css").status_code == 404


@pytest.mark.parametrize("app_config", [{"MODEL_REGISTRY_URL_PREFIX": "/ml"}])
def test_a_url_prefix_moves_pages_static_files_and_links(seeded, signed_in):
    import html

    rita = signed_in("rita")
    assert rita.get(f"{P}/models").status_code == 404
    listing = rita.get(f"/ml{P}/models").data.decode()
    assert f'href="/ml{P}/models/{seeded.model_id}"' in listing
    assert 'href="/ml/-/model-registry/static/registry.css' in listing
    assert rita.get("/ml/-/model-registry/static/registry.css").status_code == 200
    assert 'MLFLOW_TRACKING_URI="http://localhost/ml/api/v1/projects/proj/ml/mlflow"' in html.unescape(listing)
    version = html.unescape(rita.get(f"/ml{P}/models/{seeded.model_id}/versions/{seeded.v1}").data.decode())
    assert f"http://localhost/ml/api/v1/projects/proj/packages/ml_models/{seeded.v1}/files/README.md" in version
    assert f'data-api-url="/ml/api/v1/projects/proj/models/{seeded.model_id}/versions/{seeded.v1}/artifacts"' \
        in rita.get(f"/ml{P}/models/{seeded.model_id}/versions/{seeded.v1}").data.decode()


def test_pages_can_be_switched_off(tmp_path, database_url, storage_uri):
    from example_app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                      "MODEL_REGISTRY_STORAGE_URI": storage_uri, "MODEL_REGISTRY_ENABLE_PAGES": False})
    assert "model_registry" not in app.blueprints
    assert app.test_client().get(f"{P}/models").status_code == 404
    with app.test_request_context("/"):
        from flask_modelregistry.nav import nav_items
        assert nav_items(PROJECT) == []
