import { readFileSync } from "node:fs";
import { InputError } from "./errors.js";

/** Read a user's text file, or throw a one-line InputError naming it. */
export function readTextFile(path: string, what = "file"): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: cannot read ${what}${code ? ` (${code})` : ""}`);
  }
}

/** `line L, column C` for a character offset in `text` (both 1-based). */
export function lineColumn(text: string, offset: number): string {
  let line = 1;
  let lastNl = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lastNl = i;
    }
  }
  return `line ${line}, column ${offset - lastNl}`;
}

/** V8 shows this many characters of context either side of an unexpected token. */
const V8_CONTEXT = 10;

/** Offset of a JSON.parse error in `text`, from V8's message (a position, or a context snippet to find). */
function errorOffset(text: string, message: string): number | undefined {
  const pos = /at position (\d+)/.exec(message);
  if (pos) return Number(pos[1]);
  if (/Unexpected end of JSON input/.test(message)) return text.length;
  const m = /^Unexpected token '([\s\S])', (\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON$/.exec(message);
  if (!m) return undefined;
  const [, token, truncated, snippet] = m;
  const at = text.indexOf(snippet!);
  if (at < 0) return undefined;
  return truncated ? at + V8_CONTEXT : at + Math.max(0, snippet!.indexOf(token!));
}

/** JSON.parse, turning a syntax error into `source: invalid JSON at line L, column C: message`. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const pos = errorOffset(text, message);
    const where = pos !== undefined ? ` at ${lineColumn(text, pos)}` : "";
    throw new InputError(`${source}: invalid JSON${where}: ${message.replace(/\s+/g, " ")}`);
  }
}

/** Read and parse a JSON file (one-line InputError on failure). */
export function readJsonFile(path: string, what = "JSON file"): unknown {
  return parseJsonText(readTextFile(path, what), path);
}
