import { createRequire } from "node:module";
import { extname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/** A worker entry beside `from` (an import.meta.url): `NAME.ts` under tsx, `NAME.js` when compiled. */
export function entryBeside(from: string, name: string): URL {
  return new URL(`./${name}${extname(fileURLToPath(from))}`, from);
}

/** A .ts entry is loaded through tsx, registered in the worker first (a worker does not inherit the parent's hooks). */
export function startWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, options);
  const boot = `import(${JSON.stringify(tsxApi())}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}

/** tsx's ESM register API (its `import` export; what `import "tsx/esm/api"` would load). */
function tsxApi(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve("tsx/package.json");
  const pkg = require(pkgPath) as { exports: Record<string, { import: { default: string } }> };
  return new URL(pkg.exports["./esm/api"]!.import.default, pathToFileURL(pkgPath)).href;
}
