// The official AsyncAPI parser on each document named: it validates the document against the
// AsyncAPI schema of its version, resolves every reference and parses every message's payload
// and headers schema. Prints each diagnostic; fails on any error.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const parser = new Parser();
let errors = 0;
for (const file of process.argv.slice(2)) {
  const path = resolve(file);
  const { document, diagnostics } = await parser.parse(await readFile(path, "utf8"), {
    source: path,
  });
  for (const d of diagnostics) {
    const kind = d.severity === DiagnosticSeverity.Error ? "error" : "note";
    if (kind === "error") errors += 1;
    console.log(`${file}: ${kind} ${d.code} ${d.path.join(".")}: ${d.message}`);
  }
  if (document === undefined) {
    errors += 1;
    console.log(`${file}: error: not parsed`);
  } else {
    console.log(`${file}: parsed, ${document.allMessages().length} messages`);
  }
}
process.exit(errors > 0 ? 1 : 0);
