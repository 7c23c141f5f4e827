"""The Saddle language server (pygls 2): `saddle lsp` speaks LSP over stdio.

Diagnostics as you type (the compiler's front, compiler/editor/document.py, run off the
event loop after a short pause in typing), hover, go-to-definition, completion and
format-document through the printer. Every feature answers "nothing" rather than failing
when the text does not parse.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from compiler.editor import navigation
from compiler.editor.document import Analysis, Range, analyze
from dsl import format_model, parse
from dsl.errors import SpecError

T = TypeVar("T")
TYPING_PAUSE = 0.3  # seconds without a change before a document is checked again
KINDS = {"set": lsp.CompletionItemKind.Enum, "param": lsp.CompletionItemKind.Constant,
         "series": lsp.CompletionItemKind.Constant, "scenarios": lsp.CompletionItemKind.Constant,
         "variable": lsp.CompletionItemKind.Variable, "uncertain": lsp.CompletionItemKind.Variable,
         "let": lsp.CompletionItemKind.Value, "builtin": lsp.CompletionItemKind.Function}


class Documents:
    """The server's state: each open document's analyses and pending check."""

    def __init__(self, server: Any) -> None:
        self.server = server  # a pygls LanguageServer (pygls is untyped here: Any)
        self.latest: dict[str, Analysis] = {}  # uri -> the analysis of its newest text
        self.parsed: dict[str, Analysis] = {}  # uri -> the newest analysis that parsed
        self.pending: dict[str, asyncio.Task[None]] = {}

    def text(self, uri: str) -> str:
        return str(self.server.workspace.get_text_document(uri).source)

    def analysis(self, uri: str) -> Analysis | None:
        """The newest analysis whose text parsed (names stay known while a line is typed)."""
        latest = self.latest.get(uri)
        return latest if latest is not None and latest.model is not None \
            else self.parsed.get(uri)

    def at(self, uri: str, position: lsp.Position,
           ask: Callable[[Analysis, int, int, str], T | None]) -> T | None:
        """A navigation query (`ask(analysis, line, character, text)`) at a cursor; None
        while the document has never parsed."""
        analysis = self.analysis(uri)
        return None if analysis is None else ask(analysis, position.line, position.character,
                                                 self.text(uri))

    async def check(self, uri: str, delay: float = 0.0) -> None:
        if delay:
            await asyncio.sleep(delay)
        document = self.server.workspace.get_text_document(uri)
        text, version = document.source, document.version
        path = to_fs_path(uri) if uri.startswith("file:") else None
        try:
            result = await asyncio.get_running_loop().run_in_executor(None, analyze, text,
                                                                      path)
        except Exception as exc:  # a bug in a pass: said once in the log, never a crash
            self.server.window_log_message(lsp.LogMessageParams(
                type=lsp.MessageType.Error, message=f"saddle: internal error while checking "
                f"{uri}: {type(exc).__name__}: {exc} (a bug in Saddle; please report it)"))
            return
        self.latest[uri] = result
        if result.model is not None:
            self.parsed[uri] = result
        self.publish(uri, [_diagnostic(p) for p in result.problems], version)

    def publish(self, uri: str, diagnostics: list[lsp.Diagnostic],
                version: int | None = None) -> None:
        self.server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, version=version, diagnostics=diagnostics))

    def schedule(self, uri: str, delay: float) -> None:
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(self.check(uri, delay))

    def close(self, uri: str) -> None:
        pending = self.pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self.latest.pop(uri, None)
        self.parsed.pop(uri, None)
        self.publish(uri, [])


def _range(where: Range) -> lsp.Range:
    (line, character), (end_line, end_character) = where
    return lsp.Range(lsp.Position(line, character), lsp.Position(end_line, end_character))


def _diagnostic(problem: Any) -> lsp.Diagnostic:
    severity = lsp.DiagnosticSeverity.Warning if problem.warning \
        else lsp.DiagnosticSeverity.Error
    return lsp.Diagnostic(range=_range(problem.range), message=problem.message,
                          severity=severity, code=problem.code, source="saddle")


Handler = Callable[..., Any]


def build(version: str) -> Any:
    """The server, its features registered; `build(v).start_io()` runs it."""
    server = LanguageServer("saddle", version,
                            text_document_sync_kind=lsp.TextDocumentSyncKind.Full)
    docs = Documents(server)

    def feature(name: str) -> Callable[[Handler], Handler]:
        register: Callable[[Handler], Handler] = server.feature(name)
        return register

    @feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
        await docs.check(params.text_document.uri)

    @feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
        docs.schedule(params.text_document.uri, TYPING_PAUSE)

    @feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
        docs.schedule(params.text_document.uri, 0.0)  # a data file may have changed too

    @feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
        docs.close(params.text_document.uri)

    @feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(params: lsp.HoverParams) -> lsp.Hover | None:
        found = docs.at(params.text_document.uri, params.position, navigation.hover)
        if found is None:
            return None
        contents = lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=found[0])
        return lsp.Hover(contents=contents, range=_range(found[1]))

    @feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(params: lsp.DefinitionParams) -> lsp.Location | None:
        uri = params.text_document.uri
        where = docs.at(uri, params.position, navigation.definition)
        return lsp.Location(uri=uri, range=_range(where)) if where is not None else None

    @feature(lsp.TEXT_DOCUMENT_COMPLETION)
    def completion(params: lsp.CompletionParams) -> lsp.CompletionList:
        analysis = docs.analysis(params.text_document.uri) or Analysis("")
        items = [lsp.CompletionItem(
            label=item.label, kind=KINDS.get(item.kind, lsp.CompletionItemKind.Reference),
            detail=item.detail, documentation=item.documentation or None,
            label_details=lsp.CompletionItemLabelDetails(description=item.kind))
            for item in navigation.completions(analysis)]
        return lsp.CompletionList(is_incomplete=False, items=items)

    @feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        uri = params.text_document.uri
        source = docs.text(uri)
        try:
            text = format_model(parse(source, uri))
        except SpecError:  # the diagnostics already say why; nothing to format
            return None
        if text == source:
            return []
        lines = source.split("\n")
        whole = lsp.Range(lsp.Position(0, 0), lsp.Position(len(lines) - 1, len(lines[-1])))
        return [lsp.TextEdit(range=whole, new_text=text)]

    return server
