"""Optional refinement of business names by an LLM behind any OpenAI-compatible chat completions endpoint.

Configured by OPENZONE_PREDICTIONS_LLM_URL (+ _MODEL, _API_KEY, _TIMEOUT_SECONDS). The endpoint gets the
table's technical names and the built-in generator's drafts, and answers one JSON object with refined names.
Anything short of a well-formed answer (endpoint down, slow, HTTP error, not JSON, wrong shape) is logged as
a warning and yields None: the caller then keeps the built-in names, so asset creation never fails on it.
Only the standard library is used (httpx is a test dependency only).
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field

from openzone.config import Settings
from openzone.enrichment.names import Prediction

log = logging.getLogger("openzone.enrichment")

MAX_NAME = 256  # an asset name's limit in DataZone; column business names get the same
MAX_DESCRIPTION = 2048
_MAX_RESPONSE_BYTES = 4 * 1024 * 1024

SYSTEM_PROMPT = (
    "You write business names for the tables and columns of a data catalog. Given a table's technical name, "
    "its columns and draft names, answer with ONE JSON object and nothing else, of the form "
    '{"tableName": "...", "description": "...", "columns": {"<technical column name>": "<business name>"}}. '
    "Business names are short Title Case English phrases without abbreviations or underscores; the description "
    "is one factual sentence about what the table holds. Keep a draft when it is already right."
)


@dataclass(frozen=True)
class Refinement:
    """Names an LLM proposed; a member is None (or a column missing) where it gave nothing usable."""

    table_name: str | None = None
    description: str | None = None
    column_names: dict[str, str] = field(default_factory=dict)
    model: str = ""


def endpoint(url: str) -> str:
    """The chat completions URL for a configured base URL (`http://host:port`, `.../v1` or the full URL)."""
    url = url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if url.endswith("/v1"):
        return url + "/chat/completions"
    return url + "/v1/chat/completions"


def _request_body(settings: Settings, table: str, columns: Sequence[str], draft: Prediction) -> bytes:
    question = {"table": table, "draftTableName": draft.table_name, "draftDescription": draft.description,
                "columns": [{"name": c, "draft": draft.column_names.get(c, "")} for c in columns]}
    body = {"temperature": 0, "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                                           {"role": "user", "content": json.dumps(question)}]}
    if settings.predictions_llm_model:
        body["model"] = settings.predictions_llm_model
    return json.dumps(body).encode()


def _text(value: object, limit: int) -> str | None:
    """A usable single-line name or sentence, else None."""
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value if 0 < len(value) <= limit else None


def _object_in(content: str) -> dict:
    """The JSON object in a model's answer, which may be wrapped in a ``` fence or surrounded by prose."""
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object in the answer")
    answer = json.loads(content[start:end + 1])
    if not isinstance(answer, dict):
        raise ValueError("the answer is not a JSON object")
    return answer


def parse_answer(payload: dict, columns: Sequence[str], model: str) -> Refinement:
    """The refinement in a chat completions response; ValueError when it holds nothing usable."""
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise ValueError("not a chat completions response") from None
    if not isinstance(content, str):
        raise ValueError("the message content is not text")
    answer = _object_in(content)
    wanted = set(columns)
    given = answer.get("columns")
    names = {}
    if isinstance(given, dict):
        names = {c: text for c, v in given.items() if c in wanted and (text := _text(v, MAX_NAME))}
    refinement = Refinement(_text(answer.get("tableName"), MAX_NAME),
                            _text(answer.get("description"), MAX_DESCRIPTION), names, model)
    if refinement.table_name is None and refinement.description is None and not names:
        raise ValueError("the answer names nothing")
    return refinement


def refine(settings: Settings, table: str, columns: Sequence[str], draft: Prediction) -> Refinement | None:
    """Names from the configured LLM endpoint, or None (not configured, or failed: logged, never raised)."""
    if not settings.predictions_llm_url:
        return None
    url = endpoint(settings.predictions_llm_url)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if settings.predictions_llm_api_key is not None:
        headers["Authorization"] = f"Bearer {settings.predictions_llm_api_key.get_secret_value()}"
    request = urllib.request.Request(url, data=_request_body(settings, table, columns, draft), headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.predictions_llm_timeout_seconds) as response:
            raw = response.read(_MAX_RESPONSE_BYTES + 1)
        if len(raw) > _MAX_RESPONSE_BYTES:
            raise ValueError("the answer is too large")
        payload = json.loads(raw)
        if not isinstance(payload, dict):
            raise ValueError("the response is not a JSON object")
        return parse_answer(payload, columns, settings.predictions_llm_model or "")
    # URLError/HTTPError and timeouts are OSErrors; a connection cut mid-answer is an HTTPException
    except (OSError, http.client.HTTPException, ValueError) as error:
        log.warning("LLM endpoint %s gave no usable business names for table %s (%s); using the built-in ones",
                    url, table, error)
        return None
