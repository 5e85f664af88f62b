#!/usr/bin/env node
// Launches the TypeScript CLI through tsx so the installed command needs no build step.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsx = join(root, "node_modules", ".bin", "tsx");
const main = join(root, "src", "cli", "main.ts");
const r = spawnSync(tsx, [main, ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(r.status ?? 1);
