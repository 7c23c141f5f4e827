// Starts `saddle lsp` (the language server of `pip install "saddle-lang[lsp]"`) for .saddle
// files. The command comes from the setting `saddle.server.command`.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace
    .getConfiguration("saddle")
    .get("server.command", ["saddle", "lsp"]);
  const server = { command, args };
  client = new LanguageClient(
    "saddle",
    "Saddle language server",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "saddle" },
                         { scheme: "untitled", language: "saddle" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
