"""The OpenAPI 3.1 description of the command centre's API (served at ``/openapi.json``).

Every route the web app answers is described here but the page, its files, the accept links and
the operators' probes (``tests/unit/test_api.py`` keeps that list and checks it).
"""

from __future__ import annotations

_ERROR = {"description": "a plain-words reason", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"}}}}}}
_TIME = {"type": "string", "format": "date-time"}
_INCIDENT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "status": {"type": "string"}, "tier": {"type": "string"},
        "type": {"type": "string"}, "title": {"type": "string"}, "severity": {"type": "string"},
        "klass": {"type": "string"}, "explanation": {"type": "string"},
        "place": {"type": "object", "properties": {k: {"type": ["string", "null"]} for k in (
            "district", "township", "village", "grid_id", "grid_name")}},
        "lon": {"type": "number"}, "lat": {"type": "number"}, "opened_at": _TIME, "updated_at": _TIME,
        "assignee": {"type": ["string", "null"]}, "alarm_count": {"type": "integer"},
        "close_reason": {"type": ["string", "null"]}, "rating": {"type": ["integer", "null"]},
        "accept_by": {"type": ["string", "null"], "format": "date-time",
                      "description": "when the tier paged last must accept (dispatched only)"},
        "dispose_by": {"type": ["string", "null"], "format": "date-time",
                       "description": "when it must be resolved to count as on time (never resolved yet only)"},
    },
}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


# GeoReport v2's own error form, and its key: a parameter (query or form) or a bearer token
_OPEN311_ERROR = {"description": "GeoReport v2 errors", "content": {"application/json": {"schema": {
    "type": "array", "items": {"type": "object", "properties": {
        "code": {"type": "integer"}, "description": {"type": "string"}}}}}}}
_OPEN311_SECURITY = [{"bearer": []}, {"api_key": []}]
_OPEN311_STATUS = {"description": "one entry per request asked for", "content": {"application/json": {"schema": {
    "type": "array", "items": {"type": "object", "properties": {
        "service_request_id": {"type": "string"}, "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": {"type": "string"}, "service_name": {"type": "string"}, "service_code": {"type": "string"},
        "requested_datetime": _TIME, "updated_datetime": _TIME, "lat": {"type": "number"},
        "long": {"type": "number"}, "agency_responsible": {"type": "string"}}}}}}}
_OPEN311_FORM_FIELDS = ("service_code", "lat", "long", "description", "media_url", "phone", "email",
                        "address_string", "api_key")


DESCRIPTION = {
    "openapi": "3.1.0",
    "info": {"title": "gridalert command centre API", "version": "1",
             "description": "Incidents, the live grid map, key figures, event intake and Open311 "
                            "GeoReport v2 citizen reports. Every /api and /open311 path needs a token "
                            "(`gridalert token create`); the token's person (roster role and area) decides "
                            "what it sees and may do. Read-only viewer tokens may not send events or reports."},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                            "api_key": {"type": "apiKey", "in": "query", "name": "api_key",
                                        "description": "Open311 only; a POST may send it as a form field"}},
        "schemas": {"Incident": _INCIDENT},
    },
    "security": [{"bearer": []}],
    "paths": {
        "/healthz": {"get": {"summary": "liveness", "security": [], "responses": {"200": {"description": "ok"}}}},
        "/api/openapi.json": {"get": {"summary": "this description", "responses": {"200": {"description": "ok"}}}},
        "/api/incidents": {"get": {
            "summary": "incidents in the caller's area, newest first",
            "parameters": [_query("status", "new, dispatched, accepted, on_scene, resolved, verified, closed"),
                           _query("type", "event type, e.g. heat.reading"), _query("tier", "unit … district"),
                           _query("township", "township name"), _query("village", "village name"),
                           _query("grid", "grid id"), _query("since", "opened at or after (ISO 8601 with zone)"),
                           _query("until", "opened before (ISO 8601 with zone)"),
                           _query("limit", "at most this many (≤ 1000)", {"type": "integer", "default": 100})],
            "responses": {"200": {"description": "the incidents", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"incidents": {"type": "array", "items": {
                    "$ref": "#/components/schemas/Incident"}}, "scope": {"type": "string"}}}}}},
                          "400": _ERROR, "401": _ERROR}}},
        "/api/incidents/{incident_id}": {"get": {
            "summary": "one incident with its timeline, departments (each with its accept_by while it has not "
                       "accepted) and deliveries",
            "parameters": [{"name": "incident_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "the incident"}, "401": _ERROR,
                          "404": {"description": "no such incident in the caller's area"}}}},
        "/api/incidents/{incident_id}/commands": {"post": {
            "summary": "a command about the incident, by the token's person (as `gridalert command`)",
            "parameters": [{"name": "incident_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["action"], "properties": {
                    "action": {"type": "string", "enum": ["accept", "on_scene", "resolve", "verify", "close", "return",
                                                          "escalate", "reassign", "reopen", "rate", "silence"]},
                    "reason": {"type": "string"}, "department": {"type": "string"}, "score": {"type": "integer"},
                    "comment": {"type": "string"}, "to_tier": {"type": "string"}, "to_person": {"type": "string"},
                    "minutes": {"type": "number"}}}}}},
            "responses": {"200": {"description": "the outcome step"}, "202": {"description": "sent, no outcome yet"},
                          "400": _ERROR, "401": _ERROR, "403": _ERROR, "404": _ERROR,
                          "409": {"description": "refused by the incident stage, with the reason"}, "503": _ERROR}}},
        "/api/map": {"get": {
            "summary": "the caller's grids as GeoJSON with their open incidents and worst severity",
            "responses": {"200": {"description": "a FeatureCollection (plus `unassigned`: open incidents in no grid)",
                                  "content": {"application/geo+json": {}}}, "401": _ERROR}}},
        "/api/kpis": {"get": {
            "summary": "key figures of a local day or month (district centre and township duty)",
            "parameters": [_query("period", "day or month", {"type": "string", "enum": ["day", "month"]}),
                           _query("date", "YYYY-MM-DD or YYYY-MM (default: yesterday, or last month)")],
            "responses": {"200": {"description": "rows per district, township and department"},
                          "400": _ERROR, "401": _ERROR, "403": _ERROR}}},
        "/api/events": {"post": {
            "summary": "CloudEvents over HTTP: structured (application/cloudevents+json), batch "
                       "(application/cloudevents-batch+json) or binary (ce-* headers) mode",
            "requestBody": {"required": True, "content": {"application/cloudevents+json": {},
                                                          "application/cloudevents-batch+json": {},
                                                          "application/json": {}}},
            "responses": {"202": {"description": "every event accepted into gridalert.events"},
                          "400": {"description": "some events are invalid: they go to the dead-letter topic "
                                                 "with the reason given per event"},
                          "401": _ERROR,
                          "403": {"description": "a read-only viewer token, or a person whose role covers "
                                                 "no incidents, may not send events"},
                          "503": _ERROR}}},
        "/api/stream": {"get": {
            "summary": "server-sent events: the caller's open incidents, then every incident of its area "
                       "each time it takes a step",
            "responses": {"200": {"description": "`event: incident`, `id: <incident>:<seq>`, `data:` the "
                                                 "incident as in GET /api/incidents (without accept_by and "
                                                 "dispose_by); a comment line every 15 s while quiet",
                                  "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                          "401": _ERROR}}},
        "/open311/v2/services.json": {"get": {
            "summary": "Open311 GeoReport v2: the district's citizen-report categories",
            "security": _OPEN311_SECURITY,
            "responses": {"200": {"description": "service_code, service_name, description, metadata, type, "
                                                 "keywords, group per category"}, "401": _ERROR}}},
        "/open311/v2/requests.json": {
            "post": {
                "summary": "Open311 GeoReport v2: a citizen report, sent on as a citizen.report event",
                "security": _OPEN311_SECURITY,
                "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
                    "type": "object", "required": ["service_code", "lat", "long"],
                    "properties": {name: {"type": "string"} for name in _OPEN311_FORM_FIELDS}}}}},
                "responses": {"200": {"description": '[{"service_request_id": "311-…", "service_notice": …}]'},
                              "400": _OPEN311_ERROR, "401": _ERROR,
                              "403": {**_OPEN311_ERROR, "description": "a read-only viewer token, or a person "
                                                                       "whose role covers no incidents"},
                              "503": _OPEN311_ERROR}},
            "get": {
                "summary": "Open311 GeoReport v2: the status of several requests",
                "security": _OPEN311_SECURITY,
                "parameters": [_query("service_request_id", "ids separated by commas (at most 100)")],
                "responses": {"200": _OPEN311_STATUS, "400": _OPEN311_ERROR, "401": _ERROR}}},
        "/open311/v2/requests/{request_id}.json": {"get": {
            "summary": "Open311 GeoReport v2: one request's status (open until resolved, then closed with the "
                       "outcome); a request outside the token's area is answered as one not known yet",
            "security": _OPEN311_SECURITY,
            "parameters": [{"name": "request_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _OPEN311_STATUS, "401": _ERROR}}},
    },
}
