"""Absolute links to this site, for emails, feeds and canonical tags: built from WORKFLOW_BASE_URL (the public
address), never from a request's Host header, and usable where there is no request (workers)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app

_URL_ADAPTER = "workflow.url_adapter"


def external_url(endpoint: str, **values) -> str:
    """An absolute link to ``endpoint``. The URL map is bound to the public address once per app: a request
    context per link would cost more than a whole email."""
    adapter = current_app.extensions.get(_URL_ADAPTER)
    if adapter is None:
        base = urlsplit(current_app.config["BASE_URL"])
        adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                           url_scheme=base.scheme or "http")
        current_app.extensions[_URL_ADAPTER] = adapter
    return adapter.build(endpoint, values, force_external=True)
