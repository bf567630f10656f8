"""What every page of the public site shows of the articles: the sections in its navigation."""

from __future__ import annotations

from flask import Flask

from workflow.articles.services import sections
from workflow.core.templating import public_page


def init_app(app: Flask) -> None:
    @app.context_processor
    def public_navigation():
        """The sections for the public navigation: one query, only on a page of the public site."""
        return {"site_sections": sections() if public_page() else []}
