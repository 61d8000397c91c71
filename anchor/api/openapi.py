"""The OpenAPI document, completed with what every route can answer.

FastAPI documents what each route declares. The request guard (:mod:`anchor.api.guard`) and
the app's error mapping answer some statuses on every route before or after it runs, always
in the one problem+json shape; this module adds them to every operation and points every
error response at the ``Problem`` schema, so a client (and schemathesis, in the tests) can
rely on the document for every status the service gives. The routes build their response
schemas with :func:`typed` and :func:`array_of`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from anchor.api.guard import PROBLEM_JSON

__all__ = ["PROBLEM_SCHEMA", "array_of", "install_openapi", "typed"]

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details: every error of this API has this shape.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "error"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "error": {"type": "string", "description": "a short machine-readable code"},
        "field": {"type": "string"},
        "problem": {"type": "string"},
        "line": {"type": ["integer", "null"]},
        "checks": {
            "type": "array",
            "items": {"type": "string"},
            "description": "/readyz: the checks that failed",
        },
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                },
            },
        },
    },
}

# answered on any route (the guard, request validation, a database that is down)
COMMON: dict[str, str] = {
    "400": "a malformed request: control characters, invalid UTF-8, a body nested too deep",
    "413": "the body is larger than the route accepts",
    "414": "the request target is too long",
    "422": "a parameter or body field is invalid (named in `detail` and `errors`)",
    "503": "the database (or the chain) is unavailable",
}
AUTH: dict[str, str] = {"401": "credentials missing, wrong, expired or revoked"}


def typed(json_type: str | list[str], names: str) -> dict[str, Any]:
    """Schema ``properties`` for ``names`` (space-separated, in this order), all of one JSON
    type: ``typed("integer", "page pages")``."""
    return {name: {"type": json_type} for name in names.split()}


def array_of(properties: dict[str, Any]) -> dict[str, Any]:
    """The schema of an array of objects with these ``properties``."""
    return {"type": "array", "items": {"type": "object", "properties": properties}}


def _problem_content() -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Problem"}
    return {PROBLEM_JSON: {"schema": ref}}


def complete(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with the common error statuses on every operation and every error response
    described by the ``Problem`` schema."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    for item in spec.get("paths", {}).values():
        for method, op in item.items():
            if method == "parameters" or not isinstance(op, dict):
                continue
            responses: dict[str, Any] = op.setdefault("responses", {})
            extra = dict(COMMON)
            if op.get("security") or any(
                p.get("in") == "header" for p in op.get("parameters", []) or []
            ):
                extra.update(AUTH)
            for status, description in extra.items():
                responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = _problem_content()
    return spec


def install_openapi(app: FastAPI, *, extra_paths: dict[str, Any] | None = None) -> None:
    """Serve the completed document at ``/openapi.json`` (built once, on first use), with
    ``extra_paths``: operations answered ahead of routing, described by their handlers."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            spec.setdefault("paths", {}).update(extra_paths or {})
            app.openapi_schema = complete(spec)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
