import seedrandom from "seedrandom";
import { InputError } from "../core/errors.js";
import { kmeans } from "./kmeans.js";
import type { QueryItem } from "./queries.js";
import { textVectors } from "./vectors.js";

/**
 * The labelled budget: which queries' outcomes learning may use for training and which for validation. Split by
 * query (every routing point of a query goes to the same side), per stratum (the task; or, when all records
 * share one task, a seeded text clustering of the queries, which uses no outcome), seeded.
 */

export interface LabelledOptions {
  /** Labelled queries per stratum (training + validation); default: all. */
  labelled?: number;
  /** Validation queries per stratum: a count (>= 1) or a share of the stratum's labelled queries (< 1). Default 0.25. */
  validation?: number;
  seed: string | number;
}

export interface LabelledSplit {
  seed: string | number;
  labelled: number | null;
  validation: number;
  /** How strata were formed. */
  strata: "task" | "cluster";
  train: string[];
  validationIds: string[];
  /** Per stratum: how many queries in all, for training, for validation. */
  counts: Record<string, { total: number; train: number; validation: number }>;
}

function shuffle<T>(xs: T[], rng: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** Seeded text clusters of queries (no outcomes used): the strata when tasks are unknown. */
function clusterStrata(items: readonly QueryItem[], seed: string | number): Map<string, string> {
  const texts = new Map<string, string>();
  for (const it of items) if (!texts.has(it.queryId)) texts.set(it.queryId, it.text);
  const ids = [...texts.keys()].sort();
  const v = textVectors(ids.map((id) => texts.get(id)!));
  const points = v.points;
  const k = Math.min(6, Math.max(1, Math.floor(ids.length / 10)));
  const { assignment } = kmeans(points, k, v.dims, { seed: `${seed}:strata` });
  return new Map(ids.map((id, i) => [id, `cluster_${assignment[i]}`]));
}

export function splitLabelled(items: readonly QueryItem[], opts: LabelledOptions): LabelledSplit {
  const validation = opts.validation ?? 0.25;
  if (!(validation >= 0 && Number.isFinite(validation)))
    throw new InputError(`--validation: must be a number >= 0, got ${validation}`);
  if (validation >= 1 && !Number.isInteger(validation))
    throw new InputError(`--validation: a count must be a whole number (or give a share below 1), got ${validation}`);
  if (opts.labelled !== undefined && !(Number.isInteger(opts.labelled) && opts.labelled >= 1))
    throw new InputError(`--labelled: must be a whole number >= 1, got ${opts.labelled}`);
  const tasks = new Set(items.map((i) => i.task));
  const useClusters = tasks.size <= 1 && items.length > 0;
  const clusters = useClusters ? clusterStrata(items, opts.seed) : undefined;
  const strata = new Map<string, Set<string>>();
  for (const it of items) {
    const s = clusters ? clusters.get(it.queryId)! : it.task;
    let set = strata.get(s);
    if (!set) strata.set(s, (set = new Set()));
    set.add(it.queryId);
  }
  const rng = seedrandom(`${opts.seed}:labelled`);
  const train: string[] = [];
  const val: string[] = [];
  const counts: LabelledSplit["counts"] = {};
  for (const name of [...strata.keys()].sort()) {
    const ids = shuffle([...strata.get(name)!].sort(), rng);
    const labelled = ids.slice(0, opts.labelled ?? ids.length);
    let nVal = validation >= 1 ? validation : Math.round(validation * labelled.length);
    // Keep at least one training query per stratum.
    nVal = Math.min(nVal, Math.max(0, labelled.length - 1));
    const v = labelled.slice(0, nVal);
    const t = labelled.slice(nVal);
    val.push(...v);
    train.push(...t);
    counts[name] = { total: ids.length, train: t.length, validation: v.length };
  }
  return {
    seed: opts.seed,
    labelled: opts.labelled ?? null,
    validation,
    strata: useClusters ? "cluster" : "task",
    train,
    validationIds: val,
    counts,
  };
}
