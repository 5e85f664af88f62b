import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { z } from "zod";
import { InputError, parseOrThrow } from "../../src/core/errors.js";
import type { CorpusDocument } from "./passage.js";

/** One corpus line: `{"id": "...", "title": "...", "text": "..."}`; other fields are ignored. */
export const CorpusDocumentSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  text: z.string(),
});

/** Validate one parsed value as a corpus document; `source` names where it came from (e.g. `corpus.jsonl:12`). */
export function parseCorpusDocument(value: unknown, source: string): CorpusDocument {
  const doc = parseOrThrow(CorpusDocumentSchema, value, source);
  return { id: doc.id, title: doc.title, text: doc.text };
}

/** A corpus read from disk, with the SHA-256 of its bytes (computed in the same pass). */
export interface ReadCorpus {
  documents: CorpusDocument[];
  sha256: string;
}

/**
 * Stream a JSONL corpus. Blank lines are skipped. A line that is not JSON, lacks a field, or repeats an id throws an
 * InputError `file:line: $.field: message`.
 */
export async function readCorpus(path: string): Promise<ReadCorpus> {
  const hash = createHash("sha256");
  const stream = createReadStream(path);
  stream.on("data", (chunk) => hash.update(chunk));
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const documents: CorpusDocument[] = [];
  const firstLine = new Map<string, number>();
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === "") continue;
      const source = `${path}:${lineNo}`;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        throw new InputError(`${source}: $: not valid JSON (${(err as Error).message})`);
      }
      const doc = parseCorpusDocument(value, source);
      const seen = firstLine.get(doc.id);
      if (seen !== undefined) throw new InputError(`${source}: $.id: duplicate id "${doc.id}" (first on line ${seen})`);
      firstLine.set(doc.id, lineNo);
      documents.push(doc);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new InputError(`${path}: corpus file not found`);
    throw err;
  } finally {
    stream.destroy();
  }
  return { documents, sha256: hash.digest("hex") };
}

/** SHA-256 of a file's bytes, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
