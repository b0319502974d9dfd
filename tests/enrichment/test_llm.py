"""The optional LLM backend against a tiny real OpenAI-compatible HTTP server on 127.0.0.1 (a test fixture that
speaks the protocol, not a stand-in for openzone code): refined names, and the built-in fallback when the
endpoint is down, slow, failing or answering garbage."""

import json
import logging
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import free_port, make_settings, serve
from openzone.config import Settings
from openzone.enrichment import llm
from openzone.enrichment.names import predict

COLUMNS = ["ss_qty_sld", "ss_net_paid", "ss_item_sk"]
REFINED = {"tableName": "In-Store Sales", "description": "One row per item sold in a store.",
           "columns": {"ss_qty_sld": "Units Sold", "ss_net_paid": "Store Sales Net Paid", "not_a_column": "X"}}


class ChatServer:
    """An OpenAI-compatible /v1/chat/completions endpoint whose behaviour a test sets with `mode`."""

    def __init__(self) -> None:
        self.mode, self.requests = "ok", []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep the test output quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                outer.answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        content = {"ok": json.dumps(REFINED), "fenced": "Here you go:\n```json\n" + json.dumps(REFINED) + "\n```",
                   "garbage": "I cannot help with that.", "empty": json.dumps({"columns": {"x": 1}})}.get(self.mode, "")
        status, payload = 200, {"id": "c1", "object": "chat.completion",
                                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                             "finish_reason": "stop"}]}
        if self.mode == "slow":
            time.sleep(1.5)
        if self.mode == "error":
            status, payload = 500, {"error": {"message": "overloaded"}}
        if self.mode == "not-json":
            raw = b"<html>bad gateway</html>"
        else:
            raw = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(raw)))
            handler.end_headers()
            handler.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the slow mode): that is the point

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def chat():
    server = ChatServer()
    yield server
    server.close()


@pytest.fixture
def fresh(chat):
    chat.mode, chat.requests = "ok", []
    return chat


def settings_for(url: str, tmp_path, **extra) -> Settings:
    return Settings(data_dir=tmp_path, predictions_llm_url=url, predictions_llm_model="tiny-namer",
                    predictions_llm_api_key="sk-test", predictions_llm_timeout_seconds=0.5, **extra)


def refine(settings: Settings):
    return llm.refine(settings, "store_sales", COLUMNS, predict("store_sales", COLUMNS))


@pytest.mark.parametrize(("url", "expected"), [
    ("http://h:1", "http://h:1/v1/chat/completions"), ("http://h:1/v1/", "http://h:1/v1/chat/completions"),
    ("http://h:1/api/v1/chat/completions", "http://h:1/api/v1/chat/completions")])
def test_the_endpoint_url(url, expected):
    assert llm.endpoint(url) == expected


def test_not_configured_means_no_call(fresh, tmp_path):
    assert refine(Settings(data_dir=tmp_path)) is None
    assert fresh.requests == []


@pytest.mark.parametrize("mode", ["ok", "fenced"])
def test_refined_names_from_the_endpoint(fresh, tmp_path, mode):
    fresh.mode = mode
    refinement = refine(settings_for(fresh.url, tmp_path))
    assert refinement.table_name == "In-Store Sales" and refinement.description == REFINED["description"]
    assert refinement.column_names == {"ss_qty_sld": "Units Sold", "ss_net_paid": "Store Sales Net Paid"}
    [request] = fresh.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    assert request["body"]["model"] == "tiny-namer" and request["body"]["messages"][0]["role"] == "system"
    question = json.loads(request["body"]["messages"][1]["content"])
    assert question["table"] == "store_sales" and [c["name"] for c in question["columns"]] == COLUMNS
    assert question["draftTableName"] == "Store Sales"


@pytest.mark.parametrize("mode", ["garbage", "empty", "error", "not-json", "slow"])
def test_a_bad_answer_falls_back_with_a_warning(fresh, tmp_path, caplog, mode):
    fresh.mode = mode
    with caplog.at_level(logging.WARNING, logger="openzone.enrichment"):
        started = time.monotonic()
        assert refine(settings_for(fresh.url, tmp_path)) is None
        assert time.monotonic() - started < 1.4  # the timeout, not the slow answer, ends the wait
    assert "using the built-in ones" in caplog.text and "store_sales" in caplog.text


def test_an_endpoint_that_is_down_falls_back(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="openzone.enrichment"):
        assert refine(settings_for(f"http://127.0.0.1:{free_port()}", tmp_path)) is None
    assert "using the built-in ones" in caplog.text


# Through the API: an openzone server configured with the endpoint


@pytest.fixture(scope="module")
def llm_server(chat, database_url, tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("llm-data"), database_url, run_workers=False,
                             predictions_llm_url=chat.url, predictions_llm_model="tiny-namer",
                             predictions_llm_timeout_seconds=0.5)
    yield from serve(settings)


@pytest.fixture(scope="module")
def producer(llm_server):
    admin, producer = llm_server.user(admin=True), llm_server.user()
    domain = admin.dz.create_domain(name=f"Llm-{uuid.uuid4().hex[:6]}",
                                    domainExecutionRole="arn:aws:iam::000000000000:role/dz")
    admin.dz.create_user_profile(domainIdentifier=domain["id"], userIdentifier=producer.arn)
    project = producer.dz.create_project(domainIdentifier=domain["id"], name="Retail")
    producer.domain_id, producer.project_id = domain["id"], project["id"]
    return producer


def create(producer) -> dict:
    content = {"databaseName": "dev", "schemaName": "public", "tableName": "store_sales",
               "columns": [{"columnName": c, "dataType": "int"} for c in COLUMNS]}
    return producer.dz.create_asset(domainIdentifier=producer.domain_id, owningProjectIdentifier=producer.project_id,
                                    name="store_sales", typeIdentifier="amazon.datazone.RedshiftTableAssetType",
                                    predictionConfiguration={"businessNameGeneration": {"enabled": True}},
                                    formsInput=[{"formName": "RedshiftTableForm", "content": json.dumps(content)}])


def suggestion_form(asset: dict) -> dict:
    return json.loads(next(f for f in asset["readOnlyFormsOutput"] if f["formName"] == "SuggestionForm")["content"])


def test_llm_names_come_first_and_the_built_in_ones_stay_a_choice(fresh, producer):
    asset = create(producer)
    form = suggestion_form(asset)
    assert form["generator"] == "llm:tiny-namer"
    targets = {t["predictionTarget"]: t for t in form["suggestions"]}
    name = targets["asset:name"]["predictions"]
    assert [(p["value"], p["source"], p["predictionChoice"]) for p in name] == [
        ("In-Store Sales", "llm", 0), ("Store Sales", "builtin", 1)]
    # Where the LLM agrees with the built-in name, or says nothing, there is one choice.
    assert [p["source"] for p in targets["ss_net_paid"]["predictions"]] == ["builtin"]
    assert [p["source"] for p in targets["ss_item_sk"]["predictions"]] == ["builtin"]
    producer.dz.accept_predictions(domainIdentifier=producer.domain_id, identifier=asset["id"], acceptChoices=[
        {"predictionTarget": "asset:name", "predictionChoice": 1}, {"predictionTarget": "ss_qty_sld"}])
    read = producer.dz.get_asset(domainIdentifier=producer.domain_id, identifier=asset["id"])
    assert read["name"] == "Store Sales"
    columns = next(f for f in read["formsOutput"] if f["formName"] == "ColumnBusinessMetadataForm")
    assert json.loads(columns["content"])["columnsBusinessMetadata"] == [
        {"columnIdentifier": "ss_qty_sld", "name": "Units Sold"}]


@pytest.mark.parametrize("mode", ["garbage", "slow"])
def test_asset_creation_falls_back_to_built_in_names(fresh, producer, mode):
    fresh.mode = mode
    asset = create(producer)
    form = suggestion_form(asset)
    assert form["generator"] == "builtin" and len(fresh.requests) == 1
    targets = {t["predictionTarget"]: t for t in form["suggestions"]}
    assert [(p["value"], p["source"]) for p in targets["asset:name"]["predictions"]] == [("Store Sales", "builtin")]
