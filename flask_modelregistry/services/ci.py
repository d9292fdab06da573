"""The CI/CD job that made a version, read from its run's tags.

Tags of the ``model_registry.`` family (or GitLab's ``gitlab.CI_JOB_ID``) name the job and its
links. A host may register ``@registry.ci_job_resolver`` to check a job id and fill in links.
"""
from __future__ import annotations

import typing as t

JOB_ID_TAGS = ("model_registry.ci_job_id", "gitlab.CI_JOB_ID")
LINK_TAGS = {
    "url": ("model_registry.ci_job_url", "gitlab.CI_JOB_URL"),
    "log_url": ("model_registry.ci_job_log_url",),
    "pipeline_url": ("model_registry.ci_pipeline_url", "gitlab.CI_PIPELINE_URL"),
    "ref": ("model_registry.ci_ref", "gitlab.CI_COMMIT_REF_NAME"),
    "merge_request_url": ("model_registry.ci_merge_request_url", "gitlab.CI_MERGE_REQUEST_URL"),
}
CI_TAGS = frozenset(JOB_ID_TAGS) | {tag for tags in LINK_TAGS.values() for tag in tags}


def _first(tags: t.Mapping[str, str], names: t.Iterable[str]) -> str | None:
    for name in names:
        value = tags.get(name)
        if value:
            return value
    return None


def ci_job(tags: t.Mapping[str, str]) -> dict[str, t.Any] | None:
    """The linked CI job as ``{id, url, log_url, pipeline_url, ref, merge_request_url}``, or None."""
    job_id = _first(tags, JOB_ID_TAGS)
    if not job_id:
        return None
    job: dict[str, t.Any] = {"id": job_id}
    for field, names in LINK_TAGS.items():
        job[field] = _first(tags, names)
    if job["url"] and not job["log_url"]:
        job["log_url"] = job["url"].rstrip("/") + "/raw" if "/-/jobs/" in job["url"] else None
    return job


#: what a host's ``ci_job_resolver`` may answer, and the run tag each link is stored as
RESOLVED_LINK_TAGS = {
    "job_url": "model_registry.ci_job_url",
    "log_url": "model_registry.ci_job_log_url",
    "pipeline_url": "model_registry.ci_pipeline_url",
    "ref": "model_registry.ci_ref",
    "merge_request_url": "model_registry.ci_merge_request_url",
}


def resolve_ci_tags(project: str, tags: t.Mapping[str, str],
                    existing: t.Mapping[str, str] | None = None) -> dict[str, str]:
    """Tags about to be set on a run, checked with the host's ``ci_job_resolver`` when they name
    a CI job: an id the host does not know is refused (:class:`Invalid`), and the links the host
    returns are added as the ``model_registry.ci_*`` tags, replacing any the client sent."""
    from ..errors import Invalid
    from ..state import current_state

    job_id = _first(tags, JOB_ID_TAGS)
    host = current_state().host
    if not job_id or not host.resolves_ci_jobs:
        return dict(tags)
    links = host.ci_job(project, job_id, {**(existing or {}), **tags})
    if links is None:
        raise Invalid(f"CI job {job_id} was not found in project {project}",
                      fields={"tags": f"{job_id} is not a CI job of this project."})
    out = dict(tags)
    for field, tag in RESOLVED_LINK_TAGS.items():
        value = links.get(field)
        if value:
            out[tag] = str(value)[:5000]
    return out
