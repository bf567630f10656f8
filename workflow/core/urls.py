"""Absolute links to this site, for emails, feeds and canonical tags: built from WORKFLOW_BASE_URL (the public
address), never from a request's Host header, and usable where there is no request (workers)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app

_URL_ADAPTER = "workflow.url_adapter"


def external_url(endpoint: str, **values) -> str:
    """An absolute link to ``endpoint``. The URL map is bound to the public address once per app (a request
    context per link would cost more than a whole email), and bound again if the address is changed."""
    address = current_app.config["BASE_URL"]
    bound_to, adapter = current_app.extensions.get(_URL_ADAPTER, (None, None))
    if bound_to != address:
        base = urlsplit(address)
        adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                           url_scheme=base.scheme or "http")
        current_app.extensions[_URL_ADAPTER] = (address, adapter)
    return adapter.build(endpoint, values, force_external=True)
