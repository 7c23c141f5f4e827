"""`saddle lsp` as an editor runs it: a real process spoken to in LSP JSON-RPC over stdio.

The client here is written from the protocol (Content-Length framed JSON-RPC 2.0), not from
pygls, so a message the server sends wrong fails here as it would in an editor. Every read
has a timeout: a server that stops answering fails the test, it never hangs it.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0  # seconds for one answer (the first check imports the numeric stack)

INVALID = """model m "an undefined name"

set asset = ["a", "b"]
param mu[asset] in % = [5, 7]
variable w[asset] >= 0

maximize ret: sum(w * muu)

subject to
    budget: sum(w) == 1
"""
UNDEFINED_LINE, UNDEFINED_COLUMN = 6, 22  # 0-based: where `muu` starts

VALID = """model m "a valid model"
set asset = ["a", "b", "c"]
param mu[asset] in % = [5, 7, 6]
variable w[asset] >= 0
maximize ret: sum(w * mu)
subject to
    budget:   sum(w)==1
"""


def saddle_command() -> list[str]:
    script = Path(sys.executable).with_name("saddle")
    return [str(script)] if script.exists() else [sys.executable, "-m", "compiler"]


class Client:
    """A minimal LSP client: requests wait for their response; notifications queue up."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        stream = self.process.stdout
        if stream is None:
            return
        while True:
            headers: dict[str, str] = {}
            while True:
                line = stream.readline()
                if not line:
                    return  # the server exited
                if line in (b"\r\n", b"\n"):
                    break
                key, _, value = line.decode("ascii").partition(":")
                headers[key.strip().lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            self.messages.put(json.loads(body))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        message = self.wait(lambda m: m.get("id") == self.next_id and "method" not in m)
        assert "error" not in message, message
        return message["result"]

    def wait(self, matches: Any) -> dict[str, Any]:
        while True:
            try:
                message = self.messages.get(timeout=TIMEOUT)
            except queue.Empty:
                pytest.fail(f"no answer from the language server in {TIMEOUT} s")
            if matches(message):
                return message

    def diagnostics(self, uri: str) -> list[dict[str, Any]]:
        message = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                            and m["params"]["uri"] == uri)
        return list(message["params"]["diagnostics"])


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One server for the module's tests (each opens its own document), shut down as an
    editor does: `shutdown`, then `exit`, then exit code 0."""
    folder = tmp_path_factory.mktemp("lsp")
    process = subprocess.Popen([*saddle_command(), "lsp"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=folder,
                               env={**os.environ, "PYTHONWARNINGS": ""})
    lsp = Client(process)
    result = lsp.request("initialize", {"processId": os.getpid(), "rootUri": None,
                                        "capabilities": {}})
    capabilities = result["capabilities"]
    for feature in ("hoverProvider", "definitionProvider", "completionProvider",
                    "documentFormattingProvider"):
        assert feature in capabilities and capabilities[feature] is not False, feature
    lsp.notify("initialized", {})
    yield lsp
    try:
        lsp.request("shutdown", {})
        lsp.notify("exit", {})
        assert process.wait(timeout=TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=TIMEOUT)
        lsp.reader.join(timeout=TIMEOUT)  # it ends at the end of the server's output
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def open_document(client: Client, path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "saddle", "version": 1, "text": text}})
    return uri


def test_invalid_model_then_fixed_as_you_type(client: Client, tmp_path: Path) -> None:
    uri = open_document(client, tmp_path / "m.saddle", INVALID)
    diagnostics = client.diagnostics(uri)
    assert [d["code"] for d in diagnostics] == ["E201"]
    (only,) = diagnostics
    assert only["range"] == {"start": {"line": UNDEFINED_LINE, "character": UNDEFINED_COLUMN},
                             "end": {"line": UNDEFINED_LINE,
                                     "character": UNDEFINED_COLUMN + 3}}
    assert only["severity"] == 1 and "muu" in only["message"] and "'mu'" in only["message"]
    # the user fixes the name: the next diagnostics are empty
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [{"text": INVALID.replace("muu", "mu")}]})
    assert client.diagnostics(uri) == []


def test_syntax_error_has_its_code_and_place(client: Client, tmp_path: Path) -> None:
    uri = open_document(client, tmp_path / "s.saddle", 'model m "x"\nvariable x\nmaximize x +\n')
    (only,) = client.diagnostics(uri)
    assert only["code"] == "E104"
    assert only["range"]["start"]["line"] == 2


def test_hover_definition_completion_formatting(client: Client, tmp_path: Path) -> None:
    uri = open_document(client, tmp_path / "v.saddle", VALID)
    assert client.diagnostics(uri) == []
    doc = {"uri": uri}
    line = VALID.split("\n").index("maximize ret: sum(w * mu)")
    mu_at = {"line": line, "character": len("maximize ret: sum(w * m")}

    hover = client.request("textDocument/hover", {"textDocument": doc, "position": mu_at})
    text = hover["contents"]["value"]
    assert "param mu[asset] in % = [5, 7, 6]" in text  # the declaration
    assert "unit %" in text and "index [asset]" in text
    # the bound values, read as decimals: 5% is 0.05
    assert "a: 0.05" in text and "b: 0.07" in text and "c: 0.06" in text

    asset_hover = client.request("textDocument/hover", {
        "textDocument": doc, "position": {"line": 2, "character": 10}})
    assert "3 labels: a, b, c" in asset_hover["contents"]["value"]

    builtin = client.request("textDocument/hover", {
        "textDocument": doc, "position": {"line": line, "character": len("maximize ret: s")}})
    assert "sum(" in builtin["contents"]["value"]

    location = client.request("textDocument/definition", {"textDocument": doc,
                                                          "position": mu_at})
    assert location["uri"] == uri
    assert location["range"] == {"start": {"line": 2, "character": 6},
                                 "end": {"line": 2, "character": 8}}

    completion = client.request("textDocument/completion", {"textDocument": doc,
                                                            "position": mu_at})
    items = {item["label"]: item for item in completion["items"]}
    assert {"asset", "mu", "w", "ret", "budget"} <= set(items)
    assert items["cvar"]["detail"].startswith("cvar(")  # a builtin with its signature
    assert items["norm2"]["kind"] == 3  # Function

    edits = client.request("textDocument/formatting", {
        "textDocument": doc, "options": {"tabSize": 4, "insertSpaces": True}})
    (edit,) = edits
    formatted = edit["newText"]
    assert "budget: sum(w) == 1" in formatted
    from dsl import format_model, parse  # the printer is the reference for the text
    assert formatted == format_model(parse(VALID))


def test_missing_data_file_is_a_warning(client: Client, tmp_path: Path) -> None:
    text = VALID.replace("[5, 7, 6]", 'csv("nowhere.csv").mu')
    uri = open_document(client, tmp_path / "d.saddle", text)
    (only,) = client.diagnostics(uri)
    assert only["code"] == "E501" and only["severity"] == 2
