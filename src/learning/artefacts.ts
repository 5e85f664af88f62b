import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { z } from "zod";
import { SkillSchema, TextModelSchema } from "../../handbook/schema.js";
import { jsonBytes } from "../../handbook/store.js";
import { InputError, parseOrThrow } from "../core/errors.js";
import { writeFileAtomic } from "../core/atomic.js";
import { ModeSchema } from "../core/modes.js";

/**
 * The plain-JSON artefacts the learning phases hand each other (besides handbooks), and where a learning run puts
 * every artefact: the learning graph, the CLI phase commands and eval name them with artefactPaths.
 */

/** Paths of a learning run's artefacts (the learning graph's state holds those written so far). */
export interface Artefacts {
  work?: string;
  log?: string;
  split?: string;
  skills?: string;
  profiled?: string;
  full?: string;
  refineReport?: string;
  chosen?: string;
  selection?: string;
}

/** Where a run's artefacts go: `H.json` → `H.full.json`, `H.selection.json`, and the work directory `H.learn/`. */
export function artefactPaths(out: string): Required<Artefacts> {
  const base = out.replace(/\.json$/i, "");
  const work = `${base}.learn`;
  return {
    work,
    log: join(work, "learning.log.jsonl"),
    split: join(work, "split.json"),
    skills: join(work, "skills.json"),
    profiled: join(work, "profiled.json"),
    full: `${base}.full.json`,
    refineReport: join(work, "refine.json"),
    chosen: out,
    selection: `${base}.selection.json`,
  };
}

/**
 * The run (its chosen handbook's path, `learn --out`) a file belongs to when the file has that run's name for the
 * artefact: `H.learn/split.json` as a split → `H.json`, `H.full.json` as the full handbook → `H.json`. Undefined
 * when artefactPaths names no run's artefact so.
 */
export function runOutOf(artefact: Exclude<keyof Artefacts, "work">, path: string): string | undefined {
  let out: string;
  if (artefact === "chosen") out = path;
  else if (artefact === "full" || artefact === "selection")
    out = path.replace(new RegExp(`\\.${artefact}\\.json$`, "i"), ".json");
  else out = `${dirname(path).replace(/\.learn$/, "")}.json`;
  return normalize(artefactPaths(out)[artefact]) === normalize(path) ? out : undefined;
}

/** Where a selection's candidate handbooks are saved: `H.selection.json` → `H.candidates/`. */
export function candidatesDir(selectionPath: string): string {
  return `${selectionPath.replace(/\.selection\.json$/i, "")}.candidates`;
}

export const SplitArtefactSchema = z.object({
  kind: z.literal("skillorchestra.learning.split"),
  records: z.string(),
  seed: z.union([z.string(), z.number()]),
  labelled: z.number().int().positive().nullable(),
  validation: z.number().nonnegative(),
  strata: z.enum(["task", "cluster"]),
  train: z.array(z.string()),
  validationIds: z.array(z.string()),
  counts: z.record(z.string(), z.object({ total: z.number(), train: z.number(), validation: z.number() })),
  /** Labelled records (training + validation) and routing points. */
  labelledRecords: z.number().int().nonnegative(),
  labelledPoints: z.number().int().nonnegative(),
});
export type SplitArtefact = z.output<typeof SplitArtefactSchema>;

export const SkillsArtefactSchema = z.object({
  kind: z.literal("skillorchestra.learning.skills"),
  discoverer: z.enum(["statistical", "llm"]),
  modes: z.array(ModeSchema),
  skills: z.array(SkillSchema),
  /** Per mode, the text model the skills' centroids live in (statistical discovery). */
  text: z.partialRecord(ModeSchema, TextModelSchema).optional(),
});
export type SkillsArtefact = z.output<typeof SkillsArtefactSchema>;

export function readJsonArtefact<S extends z.ZodType>(path: string, schema: S, what: string): z.output<S> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new InputError(
      `${path}: cannot read ${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path}: $: invalid JSON: ${(err as Error).message.split("\n")[0]}`);
  }
  return parseOrThrow(schema, data, path);
}

/** Write `JSON.stringify(data, null, 2)` and a newline, atomically. */
export function writeJson(path: string, data: unknown): void {
  writeFileAtomic(path, jsonBytes(data));
}
