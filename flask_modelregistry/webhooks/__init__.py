"""Webhooks: signed, durable deliveries of registry events, as MLflow 3 sends them.

* :mod:`.targets` refuses URLs that point into the host's own network, at creation and again
  at connection time (the address that was checked is the one connected to).
* :mod:`.secrets` keeps signing secrets encrypted (Fernet) with a key from the host's configuration.
* :mod:`.signing` builds MLflow's headers and ``v1,<base64 HMAC-SHA256>`` signature.
* :mod:`.sender` posts one body to one URL: short timeouts, no redirects.
* :mod:`.deliverer` claims due outbox rows with a lease, sends them, retries with backoff;
  it runs as a thread of each app process and in ``flask model-registry webhooks worker``.
"""
