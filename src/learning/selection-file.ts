import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { loadHandbook } from "../../handbook/store.js";
import type { Handbook } from "../../handbook/schema.js";
import { InputError } from "../errors.js";
import { chooseFor, type Choice, type Selection } from "./choose.js";

/**
 * A learned selection as the orchestrator uses it: the candidates' validation curves and their deployed handbooks,
 * so a run's λ or budget picks its candidate (and, for a budget, the λ that meets it on validation).
 */
export interface LoadedSelection {
  path: string;
  selection: Selection;
  handbooks: Map<string, Handbook>;
}

/** Read `H.selection.json` and every candidate handbook it names (paths relative to it). One-line errors. */
export function loadSelection(path: string): LoadedSelection {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new InputError(`${path}: cannot read the selection: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const sel = raw as Partial<Selection> & { kind?: string };
  if (sel.kind !== "skillorchestra.learning.selection") throw new InputError(`${path}: $.kind: not a selection file (want "skillorchestra.learning.selection")`);
  if (!Array.isArray(sel.candidates) || sel.candidates.length === 0) throw new InputError(`${path}: $.candidates: missing or empty`);
  const handbooks = new Map<string, Handbook>();
  sel.candidates.forEach((c, i) => {
    if (typeof c?.id !== "string") throw new InputError(`${path}: $.candidates[${i}].id: missing`);
    if (c.deployed === false) return;
    if (typeof c.file !== "string") throw new InputError(`${path}: $.candidates[${i}].file: missing (a selection written before candidates were saved: learn again)`);
    const file = resolve(dirname(path), c.file);
    if (!existsSync(file)) throw new InputError(`${path}: $.candidates[${i}].file: ${c.file} does not exist`);
    handbooks.set(c.id, loadHandbook(file));
  });
  return { path, selection: sel as Selection, handbooks };
}

/** The selection file of a learned handbook: the one its metadata names, else `H.selection.json` beside it. */
export function selectionPathOf(handbookPath: string, h: Handbook): string | undefined {
  const named = (h.metadata.learning.selection as { file?: unknown } | undefined)?.file;
  const candidates = [
    ...(typeof named === "string" ? [resolve(dirname(handbookPath), named)] : []),
    `${handbookPath.replace(/\.json$/i, "")}.selection.json`,
  ];
  return candidates.find((p) => existsSync(p));
}

/** The handbook (and λ) that serves a run: by budget when one is given, else by λ. */
export function servingChoice(s: LoadedSelection, want: { lambda: number; budgetUsd?: number }): Choice & { handbook: Handbook } {
  const c = chooseFor(s.selection, want.budgetUsd !== undefined ? { budgetUsd: want.budgetUsd } : { lambda: want.lambda });
  const handbook = s.handbooks.get(c.candidate);
  if (!handbook) throw new InputError(`${s.path}: $.candidates: no handbook for candidate ${c.candidate}`);
  return { ...c, handbook };
}
