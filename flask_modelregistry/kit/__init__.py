"""What the front doors (JSON API, MLflow API, pages, package API, CLI) share, so that no door
imports another: who the caller is (:mod:`.auth`), JSON bodies (:mod:`.json_body`), the JSON
error shape (:mod:`.json_errors`), an artifact as JSON (:mod:`.artifact_json`) and streaming
between HTTP and the store (:mod:`.transfer`). The kit sits above the services and below
every door."""
