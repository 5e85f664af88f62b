import { readFileSync } from "node:fs";
import { z } from "zod";
import { SkillSchema, TextModelSchema } from "../../handbook/schema.js";
import { InputError, parseOrThrow } from "../core/errors.js";
import { writeFileAtomic } from "../core/atomic.js";
import { ModeSchema } from "../core/modes.js";

/** The plain-JSON artefacts the learning phases hand each other (besides handbooks). */

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
    throw new InputError(`${path}: cannot read ${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path}: $: invalid JSON: ${(err as Error).message.split("\n")[0]}`);
  }
  return parseOrThrow(schema, data, path);
}

export function writeJson(path: string, data: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(data, null, 2)}\n`);
}
