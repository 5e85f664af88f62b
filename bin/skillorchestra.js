#!/usr/bin/env node
// The command line: the built CLI (dist/, what an installed package has) when present, else the TypeScript sources
// through tsx (a source checkout that has not run `npm run build`).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = join(root, "dist", "src", "cli", "main.js");
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const tsx = join(root, "node_modules", ".bin", "tsx");
  const main = join(root, "src", "cli", "main.ts");
  if (!existsSync(tsx) || !existsSync(main)) {
    console.error(`skillorchestra: neither ${built} nor the sources with tsx (${tsx}) are here: run \`npm run build\``);
    process.exit(1);
  }
  const r = spawnSync(tsx, [main, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
