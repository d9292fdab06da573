"""Demo data: project ``demo``, users admin (owner), rita (reporter), gus (guest), and a model
with three versions, their files, metrics, parameters and datasets. Seeded through the
registry's service layer, as a user would create them."""
from __future__ import annotations

import io
import json

import sqlalchemy as sa

from flask_modelregistry.services import artifacts, registered_models, tokens, tracking, versions
from flask_modelregistry.services.identity import actor_for_user
from flask_modelregistry.services.settings import update_settings

from .models import Membership, Project, User, db

DEMO_USERS = (("admin", "admin", "owner"), ("rita", "rita", "reporter"), ("gus", "gus", "guest"))
DEMO_VERSIONS = (
    ("1.0.0", "First release, trained on the 2026-Q1 snapshot.",
     {"accuracy": [0.81, 0.86, 0.88], "loss": [0.52, 0.41, 0.36]}, {"learning_rate": "0.01", "epochs": "3", "max_depth": "6"}),
    ("1.1.0", "Tuned learning rate; more data.",
     {"accuracy": [0.84, 0.89, 0.91], "loss": [0.47, 0.33, 0.29]}, {"learning_rate": "0.005", "epochs": "3", "max_depth": "6"}),
    ("2.0.0", "New feature set; input `amount_log` replaces `amount`.",
     {"accuracy": [0.85, 0.90, 0.93], "loss": [0.45, 0.30, 0.24]}, {"learning_rate": "0.005", "epochs": "3", "max_depth": "8"}),
)
MODEL_CARD = """# fraud-detector

Scores card transactions for the probability of fraud.

## Intended use
Real-time scoring in the payments service. **Not** for credit decisions.

## Inputs and outputs
| field | type |
|---|---|
| `amount` | float |
| `merchant_category` | string |
| output `fraud_probability` | float in [0, 1] |
"""


def seed() -> list[str]:
    lines: list[str] = []
    if db.session.scalar(sa.select(sa.func.count(User.id))):
        lines.append("Demo data already present; nothing seeded.")
    else:
        lines.extend(_seed_everything())
    lines.append("Logins (username / password): admin / admin (owner), rita / rita (reporter), gus / gus (guest)")
    rita = db.session.scalar(sa.select(User).where(User.username == "rita"))
    if rita is not None:
        _token, secret = tokens.create_token(str(rita.id), name="demo", scope="api")
        lines.append("API token for rita (MLFLOW_TRACKING_TOKEN / Authorization: Bearer):")
        lines.append(secret)
    return lines


def _seed_everything() -> list[str]:
    lines = []
    project = Project(slug="demo", name="Demo")
    db.session.add(project)
    db.session.flush()
    people = {}
    for username, password, role in DEMO_USERS:
        user = User(username=username)
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(user_id=user.id, project_id=project.id, role=role))
        people[username] = user
        lines.append(f"Created user {username} ({role} of demo)")
    db.session.commit()

    actor = actor_for_user(people["rita"], via="session")
    update_settings("demo", actor_for_user(people["admin"], via="session"), enabled=True, visibility="private")
    model = registered_models.create_model("demo", actor, name="fraud-detector", description=MODEL_CARD,
                                           tags={"team": "payments"})
    registered_models.update_model("demo", actor, model, metric_goals={"accuracy": "max", "loss": "min"})
    lines.append("Created model fraud-detector")
    previous = None
    for number, (version, description, curves, params) in enumerate(DEMO_VERSIONS, start=1):
        metrics = [{"key": key, "value": value, "step": step, "timestamp": 1_767_225_600_000 + number * 86_400_000 + step}
                   for key, values in curves.items() for step, value in enumerate(values)]
        mv = versions.create_version("demo", actor, model, version=version, description=description,
                                     metadata={"framework": "scikit-learn", "python": "3.11"},
                                     params=params, metrics=metrics,
                                     parent_version_id=previous.id if previous else None)
        tracking.replace_datasets("demo", actor, mv.run, [
            {"name": "transactions-train", "uri": f"gs://demo-data/transactions/2026-q{number}/train.parquet",
             "digest": f"sha256:{number:02d}a1f3", "role": "training"},
            {"name": "transactions-test", "uri": "gs://demo-data/transactions/holdout/test.parquet",
             "digest": "sha256:77c0de", "role": "test"},
        ])
        files = {
            "model/model.pkl": f"demo model weights {version}\n".encode() * 64,
            "model/MLmodel": f"flavors:\n  python_function:\n    loader_module: demo\nversion: {version}\n".encode(),
            "config/params.json": json.dumps(params, indent=2).encode(),
            "README.md": f"# fraud-detector {version}\n\n{description}\n".encode(),
        }
        for path, content in files.items():
            artifacts.upload_artifact("demo", actor, mv.run_id, path, io.BytesIO(content),
                                      content_length=len(content))
        lines.append(f"Created version {version} with {len(files)} files and {len(metrics)} metric values")
        previous = mv
    return lines
