"""Response headers that make every page harder to abuse: a Content-Security-Policy without inline scripts,
no framing, no MIME sniffing, a strict referrer policy, and HSTS when the site is served over HTTPS.

The policy allows scripts and styles from this site only. One page needs more: the email preview shows the
email's own HTML (inline styles, as mail clients need) in a sandboxed ``srcdoc`` frame, which inherits the
page's policy; that view calls :func:`allow_inline_styles`. No page ever gets inline scripts.
"""

from __future__ import annotations

from flask import Flask, current_app, g

_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def allow_inline_styles() -> None:
    """This response may carry inline styles (never scripts): the email preview's frame."""
    g.csp_inline_styles = True


def _written(policy: dict) -> str:
    return "; ".join(f"{name} {value}" for name, value in policy.items())


_CSP = _written(_POLICY)
_CSP_INLINE_STYLES = _written({**_POLICY, "style-src": "'self' 'unsafe-inline'"})


def content_security_policy() -> str:
    return _CSP_INLINE_STYLES if g.get("csp_inline_styles") else _CSP


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy())
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")  # for browsers older than frame-ancestors
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
        # TLS ends at the load balancer, so the request may look like plain HTTP here: the public address
        # says whether the site is served over HTTPS. Browsers ignore HSTS received over plain HTTP anyway.
        if current_app.config["BASE_URL"].startswith("https://"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
