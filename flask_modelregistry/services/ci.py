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
