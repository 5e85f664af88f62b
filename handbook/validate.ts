import type { z } from "zod";
import { InputError } from "../src/core/errors.js";
import { MODES } from "../src/core/modes.js";
import { HandbookSchema, depthOf, modeOfId, parentIdOf, type Handbook } from "./schema.js";

/** One referential-integrity problem: where (a JSON path as keys) and what. */
export interface Issue {
  path: ReadonlyArray<PropertyKey>;
  message: string;
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Render a path as a JSON path. Keys that are not plain identifiers (skill ids contain dots) are quoted:
 * `$.skills["search.temporal.dates"].parent`, so the path stays unambiguous.
 */
export function handbookPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "$";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (PLAIN_KEY.test(String(key))) out += `.${String(key)}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** Parse with a zod schema or throw one-line `source: $.path: message` (unknown record keys are named in the path). */
export function parseWithPath<S extends z.ZodType>(schema: S, data: unknown, source: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  let path: PropertyKey[] = [...issue.path];
  let message = issue.message;
  if (issue.code === "unrecognized_keys" && issue.keys.length > 0) {
    path = [...path, issue.keys[0]!];
    message = "unknown key";
    if (path.length === 2 && path[0] === "modes") message = `unknown mode (expected one of ${MODES.join(", ")})`;
  } else if (issue.code === "invalid_key") {
    message = `invalid key: ${issue.issues[0]?.message ?? message}`;
  }
  throw new InputError(`${source}: ${handbookPath(path)}: ${message}`);
}

/** Every referential-integrity problem of a schema-valid handbook, in document order. */
export function integrityIssues(h: Handbook): Issue[] {
  const issues: Issue[] = [];
  const modes = h.modes as Record<string, unknown>;
  for (const [key, skill] of Object.entries(h.skills)) {
    const at = ["skills", key];
    if (skill.id !== key) issues.push({ path: [...at, "id"], message: `id ${skill.id} differs from its key ${key}` });
    if (modeOfId(skill.id) !== skill.mode)
      issues.push({
        path: [...at, "mode"],
        message: `mode ${skill.mode} differs from the id's first segment ${modeOfId(skill.id)}`,
      });
    else if (!(skill.mode in modes)) issues.push({ path: [...at, "mode"], message: `unknown mode ${skill.mode}` });
    const expected = parentIdOf(skill.id);
    if (expected === undefined) {
      if (skill.parent !== undefined)
        issues.push({ path: [...at, "parent"], message: `a category (depth 1) has no parent, got ${skill.parent}` });
    } else if (skill.parent !== expected) {
      issues.push({ path: [...at, "parent"], message: `parent must be ${expected}, got ${skill.parent ?? "none"}` });
    } else if (!(expected in h.skills)) {
      issues.push({ path: [...at, "parent"], message: `unknown skill ${expected}` });
    }
  }
  for (const [agent, profile] of Object.entries(h.agents)) {
    const at = ["agents", agent];
    const served = new Set<string>();
    profile.modes.forEach((m, i) => {
      if (!(m in modes)) issues.push({ path: [...at, "modes", i], message: `unknown mode ${m}` });
      if (served.has(m)) issues.push({ path: [...at, "modes", i], message: `duplicate mode ${m}` });
      served.add(m);
    });
    for (const key of Object.keys(profile.competence)) {
      const isMode = depthOf(key) === 0 && (MODES as readonly string[]).includes(key);
      if (!isMode && !(key in h.skills)) {
        issues.push({ path: [...at, "competence", key], message: `unknown skill ${key}` });
        continue;
      }
      const mode = isMode ? key : h.skills[key]!.mode;
      if (!served.has(mode))
        issues.push({ path: [...at, "competence", key], message: `agent does not serve mode ${mode}` });
    }
    for (const mode of Object.keys(profile.costs)) {
      if (!served.has(mode))
        issues.push({ path: [...at, "costs", mode], message: `agent does not serve mode ${mode}` });
    }
  }
  return issues;
}

/**
 * Validate plain data as a handbook: schema first, then referential integrity (every skill's mode exists, every
 * parent exists, every competence entry names a known skill of a mode the agent serves, every agent's modes
 * exist). Throws an InputError `source: $.json.path: message` naming the first bad field.
 */
export function validateHandbook(data: unknown, source: string): Handbook {
  const h = parseWithPath(HandbookSchema, data, source);
  const first = integrityIssues(h)[0];
  if (first) throw new InputError(`${source}: ${handbookPath(first.path)}: ${first.message}`);
  return h;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

const POINT_KEYS = ["skills", "idx", "val", "outcomes"];
/** Frozen vectors and scores found plainly valid (memory points share them across handbooks): they stay so. */
const checked = new WeakSet<object>();

/**
 * Whether a handbook's `memory` is plainly valid: the schema would accept it as it is (a record of modes to arrays of
 * memory points with exactly the schema's keys, in its order, and values well inside its bounds). False does not
 * mean invalid, only "let the schema decide". Neighbours handbooks hold thousands of points; this checks them
 * without building the schema's output.
 */
export function plainlyValidMemory(memory: unknown): boolean {
  if (!isPlainObject(memory)) return false;
  for (const [mode, points] of Object.entries(memory)) {
    if (!(MODES as readonly string[]).includes(mode) || !Array.isArray(points)) return false;
    for (let i = 0; i < points.length; i++) {
      const p: unknown = points[i];
      if (!isPlainObject(p)) return false;
      const keys = Object.keys(p);
      if (keys.length !== POINT_KEYS.length || keys.some((k, j) => k !== POINT_KEYS[j])) return false;
      const { skills, idx, val, outcomes } = p;
      if (!Array.isArray(skills) || !Array.isArray(idx) || !Array.isArray(val) || !isPlainObject(outcomes))
        return false;
      for (let k = 0; k < skills.length; k++) if (typeof skills[k] !== "string") return false;
      if (!checked.has(idx)) {
        for (let k = 0; k < idx.length; k++) {
          const x: unknown = idx[k];
          if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) return false;
        }
        if (Object.isFrozen(idx)) checked.add(idx);
      }
      if (!checked.has(val)) {
        for (let k = 0; k < val.length; k++) {
          const x: unknown = val[k];
          if (typeof x !== "number" || !Number.isFinite(x)) return false;
        }
        if (Object.isFrozen(val)) checked.add(val);
      }
      if (!checked.has(outcomes)) {
        for (const x of Object.values(outcomes)) if (typeof x !== "number" || !(x >= 0 && x <= 1)) return false;
        if (Object.isFrozen(outcomes)) checked.add(outcomes);
      }
    }
  }
  return true;
}

const TEXT_KEYS = ["boilerplate", "vocabulary", "idf", "structureWeight", "templateWeight"];

/**
 * Whether a handbook's `text` is plainly valid: a record of modes to text models with exactly the schema's keys, in
 * its order, strings where it wants strings and numbers well inside its bounds. False: let the schema decide.
 */
export function plainlyValidText(text: unknown): boolean {
  if (!isPlainObject(text)) return false;
  for (const [mode, m] of Object.entries(text)) {
    if (!(MODES as readonly string[]).includes(mode) || !isPlainObject(m)) return false;
    const keys = Object.keys(m);
    if (keys.length !== TEXT_KEYS.length || keys.some((k, j) => k !== TEXT_KEYS[j])) return false;
    const { boilerplate, vocabulary, idf, structureWeight, templateWeight } = m;
    if (!Array.isArray(boilerplate) || !Array.isArray(vocabulary) || !Array.isArray(idf)) return false;
    if (vocabulary.length !== idf.length) return false;
    for (let k = 0; k < boilerplate.length; k++) if (typeof boilerplate[k] !== "string") return false;
    for (let k = 0; k < vocabulary.length; k++) if (typeof vocabulary[k] !== "string") return false;
    for (let k = 0; k < idf.length; k++) {
      const x: unknown = idf[k];
      if (typeof x !== "number" || !Number.isFinite(x) || !(x > 0)) return false;
    }
    for (const w of [structureWeight, templateWeight])
      if (typeof w !== "number" || !Number.isFinite(w) || !(w >= 0)) return false;
  }
  return true;
}

/**
 * validateHandbook's check alone (the same error, or none) for a handbook about to be written: a plainly valid
 * memory and text models (the largest parts) are checked in place instead of through the schema, the rest through
 * validateHandbook (nothing else in the schema or the integrity checks reads them).
 */
export function checkHandbook(data: unknown, source: string): void {
  if (!isPlainObject(data)) {
    validateHandbook(data, source);
    return;
  }
  const rest: Record<string, unknown> = { ...data };
  if (data.memory !== undefined && plainlyValidMemory(data.memory)) rest.memory = undefined;
  if (data.text !== undefined && plainlyValidText(data.text)) rest.text = undefined;
  validateHandbook(rest, source);
}
