import { statSync } from "node:fs";
import { dirname, extname, isAbsolute, relative, resolve, sep } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml, YAMLParseError } from "yaml";
import { InputError, parseOrThrow } from "../core/errors.js";
import { writeFileAtomic } from "../core/atomic.js";
import { parseJsonText, readTextFile } from "../core/json-file.js";
import { PoolSchema, type Pool } from "./schema.js";

type PoolFormat = "json" | "yaml";

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a missing file is reported when it is read
  }
}

function formatOf(path: string): PoolFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".json") return "json";
  if (ext === ".yaml" || ext === ".yml") return "yaml";
  throw new InputError(`${path}: unknown pool file extension "${ext}" (use .json, .yaml or .yml)`);
}

/**
 * Load and validate a pool file (JSON or YAML, by extension). Replay agents' `replay.records` paths are resolved
 * relative to the pool file's directory and returned absolute. Bad input throws a one-line InputError
 * `file: $.json.path: message`.
 */
export function loadPool(path: string): Pool {
  if (isDirectory(path))
    throw new InputError(`${path}: is a directory, not a pool file (give a .json, .yaml or .yml file)`);
  const format = formatOf(path);
  const text = readTextFile(path, "pool file");
  let data: unknown;
  if (format === "json") data = parseJsonText(text, path);
  else {
    try {
      data = parseYaml(text);
    } catch (err) {
      if (err instanceof YAMLParseError) {
        const at = err.linePos?.[0];
        const where = at ? ` at line ${at.line}, column ${at.col}` : "";
        throw new InputError(`${path}: invalid YAML${where}: ${err.message.split(" at line")[0]!.split("\n")[0]}`);
      }
      throw err;
    }
  }
  const pool = parseOrThrow(PoolSchema, data, path);
  const dir = dirname(resolve(path));
  return {
    ...pool,
    agents: pool.agents.map((a) =>
      a.replay ? { ...a, replay: { ...a.replay, records: resolve(dir, a.replay.records) } } : a,
    ),
  };
}

/**
 * Validate and write a pool file atomically, as JSON or YAML by extension. Absolute replay paths are written
 * relative to the pool file's directory (with "/" separators), so the pool and its records can move together;
 * `loadPool` resolves them back.
 */
export function savePool(path: string, pool: Pool): void {
  const format = formatOf(path);
  const valid = parseOrThrow(PoolSchema, pool, `${path} (pool to save)`);
  const dir = dirname(resolve(path));
  const portable: Pool = {
    ...valid,
    agents: valid.agents.map((a) => {
      if (!a.replay || !isAbsolute(a.replay.records)) return a;
      const rel = relative(dir, a.replay.records).split(sep).join("/");
      return { ...a, replay: { ...a.replay, records: rel === "" ? "." : rel } };
    }),
  };
  const text = format === "json" ? `${JSON.stringify(portable, null, 2)}\n` : stringifyYaml(portable);
  writeFileAtomic(path, text);
}
