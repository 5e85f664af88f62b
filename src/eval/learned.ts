import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { skillIdentifier, stepSkills } from "../../handbook/identify.js";
import type { LocalEvidence } from "../../handbook/neighbours.js";
import type { ActiveSkill, Strategy } from "../../handbook/select.js";
import { selectAgent } from "../../handbook/select.js";
import type { Handbook } from "../../handbook/schema.js";
import { InputError } from "../core/errors.js";
import { buildLearningGraph } from "../../graphs/learning/graph.js";
import { learningRun } from "../../graphs/learning/configuration.js";
import { loadHandbook } from "../../handbook/store.js";
import { artefactPaths } from "../learning/artefacts.js";
import {
  LEARNING_DEFAULTS,
  Handoff,
  learningSettings,
  readSelection,
  readSplit,
  type LearningSettings,
} from "../learning/pipeline.js";
import { estimatorOf, QUANTILE_Q, type EstimatorName } from "../../handbook/estimators.js";
import { scopedProgress, silentProgress, type ProgressFactory } from "../learning/progress.js";
import { chooseFor, type Choice } from "../../handbook/serve.js";
import { consultScopes, consultTrajectory, planFor } from "../../handbook/consult.js";
import type { CandidateEvaluator, Selection } from "../learning/choose.js";
import type { Mode } from "../core/modes.js";
import type { Pool } from "../pool/schema.js";
import type { ExecutionRecord } from "../records/schema.js";
import { evaluate, type RouterComparison, type RouterSpec } from "./evaluate.js";
import type { RouteQuery, Router } from "./replay.js";

/**
 * The learned router as evaluation RouterSpecs: a handbook learned from the train records by the statistical (no
 * LLM) learning pipeline at a labelled budget, once per seed (the labelled split is seeded), then routed by replay
 * the way the orchestrator routes a step: identify the active skills of the query text with the handbook's lexical
 * matcher, select an agent with the handbook's rule (tradeoff with each competence estimator, or the reference
 * cascade on the same handbook).
 */

/** The estimators evaluated, in table order (handbook/estimators.ts). */
export const ESTIMATORS: readonly EstimatorName[] = ["mean", "quantile", "thompson"];

export interface LearnedHandbook {
  seed: number;
  /** The handbook chosen at the learning λ (or budget). */
  handbook: Handbook;
  /** Every candidate, as deployed (validation folded in), by id; a λ picks one with chooseFor(selection, …). */
  candidates: Map<string, Handbook>;
  selection: Selection;
  /** The labelled queries learning saw (training + validation). */
  labelledIds: ReadonlySet<string>;
  /** Chosen granularity (candidate id) and why. */
  chosen: string;
  reason: string;
  skills: number;
  trainQueries: number;
  validationQueries: number;
  labelledRecords: number;
  wallMs: number;
}

/**
 * Learn one handbook with the learning graph, as `learn --out DIR/H.json` does (the same artefacts beside it, its
 * learning log, the learning cost in the chosen handbook's metadata); the results are taken from the run in memory.
 */
export async function learnHandbook(
  settings: LearningSettings,
  dir: string,
  evaluateCandidate?: CandidateEvaluator,
  progress: ProgressFactory = silentProgress,
): Promise<LearnedHandbook> {
  const t0 = performance.now();
  const paths = artefactPaths(join(dir, "H.json"));
  const handoff = new Handoff();
  const { input, context } = learningRun(settings, paths.chosen);
  await buildLearningGraph({ progress, handoff, ...(evaluateCandidate ? { evaluateCandidate } : {}) })
    .compile()
    .invoke(input, { context });
  const split = handoff.take(paths.split, readSplit);
  const handbook = handoff.take(paths.chosen, loadHandbook);
  const { selection, handbooks } = handoff.take(paths.selection, readSelection);
  return {
    seed: settings.seed,
    handbook,
    candidates: handbooks,
    selection,
    labelledIds: new Set([...split.train, ...split.validationIds]),
    chosen: selection.chosen,
    reason: selection.reason,
    skills: Object.keys(handbook.skills).length,
    trainQueries: split.train.length,
    validationQueries: split.validationIds.length,
    labelledRecords: split.labelledRecords,
    wallMs: performance.now() - t0,
  };
}

export interface HandbookRouterOptions {
  name: string;
  /**
   * Answer with the handbook's consult rule (multi-step: ask the plan's first agent, then accept or consult), as
   * the orchestrator does; default false (single-step). A handbook without a rule routes single-step either way.
   */
  consult?: boolean;
  /** Answer calls per query at most, with consult (default the rule's maxCalls). */
  maxCalls?: number;
  /** The mode each query is routed in. */
  modeOf: (queryId: string) => Mode | undefined;
  strategy?: Strategy;
  estimator?: EstimatorName;
  /** Seeds Thompson draws and the cascade's tie draw, per query (`seed:queryId`). */
  seed?: number;
}

/** Route a query as the orchestrator routes a step: matcher-identified skills, then the handbook's selection. */
export function handbookRouter(h: Handbook, opts: HandbookRouterOptions): Router {
  const identifier = skillIdentifier(h);
  const seed = opts.seed ?? 0;
  const strategy = opts.strategy ?? "tradeoff";
  const estimatorName = opts.estimator ?? "mean";
  // Identification depends on the text only: a λ sweep over the same queries identifies once.
  const skillsOf = new Map<string, { mode: Mode; skills: ActiveSkill[]; local?: LocalEvidence }>();
  const identified = (q: RouteQuery) => {
    let found = skillsOf.get(q.id);
    if (!found) {
      const mode = opts.modeOf(q.id);
      if (mode === undefined) throw new InputError(`router ${opts.name}: no mode known for query ${q.id}`);
      found = { mode, ...stepSkills(h, identifier, q.text, mode) };
      skillsOf.set(q.id, found);
    }
    return found;
  };
  const rule = opts.consult ? h.consult : undefined;
  const route = (q: RouteQuery, lambda?: number): string => {
    const found = identified(q);
    const perQuery = `${seed}:${q.id}`;
    const d = selectAgent(h, {
      mode: found.mode,
      skills: found.skills,
      ...(found.local ? { local: found.local } : {}),
      lambda: lambda ?? 0,
      strategy,
      ...(strategy === "tradeoff" ? { estimator: estimatorOf(estimatorName, perQuery) } : { seed: perQuery }),
    });
    if (d.chosen === null) throw new InputError(`router ${opts.name}: query ${q.id}: ${d.reason}`);
    return d.chosen;
  };
  if (!rule) return { name: opts.name, route };
  const left = { callsLeft: opts.maxCalls ?? rule.maxCalls };
  return {
    name: opts.name,
    route,
    // As the orchestrator answers a step: the plan of the step's skills at λ, then judge after each answer.
    trajectory(q: RouteQuery, ask: (agent: string) => string | null, lambda?: number) {
      const found = identified(q);
      const choice =
        found.mode === "answer"
          ? planFor(rule, consultScopes(h, q.text, found.skills), "answer", lambda ?? 0, left)
          : null;
      // As the orchestrator: a plan that would not consult leaves the step to agent selection.
      if (!choice?.consults) {
        const agent = route(q, lambda);
        ask(agent);
        return { answeredBy: agent };
      }
      const run = consultTrajectory(choice, ask, lambda ?? 0, left);
      return { answeredBy: run.answers[run.accepted]!.agent };
    },
  };
}

/**
 * Route with a learned selection: at each λ, the candidate chosen for that λ on validation (chooseFor), routed with
 * that λ as the orchestrator would be. Each candidate's router is built on first use.
 */
export function selectionRouter(
  l: Pick<LearnedHandbook, "selection" | "candidates">,
  opts: HandbookRouterOptions & { budgetUsd?: number },
): Router {
  const routers = new Map<string, Router>();
  const routerOf = (id: string) => {
    let r = routers.get(id);
    if (!r) {
      const h = l.candidates.get(id);
      if (!h) throw new InputError(`router ${opts.name}: the selection names candidate ${id}, which was not learned`);
      routers.set(id, (r = handbookRouter(h, opts)));
    }
    return r;
  };
  // The choice depends on λ (or the budget) only: made once per λ, not per query.
  const choices = new Map<number, Choice>();
  const choiceAt = (lambda: number) => {
    let c = choices.get(lambda);
    if (!c)
      choices.set(
        lambda,
        (c = chooseFor(l.selection, opts.budgetUsd !== undefined ? { budgetUsd: opts.budgetUsd } : { lambda })),
      );
    return c;
  };
  const router: Router = {
    name: opts.name,
    route(q: RouteQuery, lambda?: number) {
      // With a budget, the candidate and λ solved for it on validation (the λ of the sweep does not enter).
      const c = choiceAt(lambda ?? 0);
      return routerOf(c.candidate).route(q, c.lambda);
    },
  };
  if (opts.consult)
    router.trajectory = (q, ask, lambda) => {
      const c = choiceAt(lambda ?? 0);
      const r = routerOf(c.candidate);
      if (r.trajectory) return r.trajectory(q, ask, c.lambda);
      const agent = r.route(q, c.lambda) as string;
      ask(agent);
      return { answeredBy: agent };
    };
  return router;
}

export interface LearnedRoutersOptions {
  /** The train records file the pipeline reads. */
  records: string;
  /** Pool file naming the agents (records' `recordedAs` names map to pool ids). */
  pool?: string;
  /** Labelled queries per task (all when absent). */
  labelled?: number;
  modeOf: (queryId: string) => Mode | undefined;
  /** Learning settings beyond the defaults (statistical learner; no `llm`). */
  settings?: Partial<Omit<LearningSettings, "records" | "pool" | "labelled" | "seed" | "llm">>;
  /** Where the learned artefacts go (one sub-directory per seed); default a temporary directory removed by dispose. */
  workDir?: string;
  estimators?: readonly EstimatorName[];
  /** Mean USD per query budgets to serve ours at (a family each), besides the λ sweep. */
  budgets?: readonly number[];
  /** Also the reference cascade on the same handbook (default true). */
  cascade?: boolean;
  /** Also ours multi-step: answers judged by the handbook's consult rule, every call paid (default true). */
  consult?: boolean;
  /** Called after each handbook is learned. */
  onLearned?: (l: LearnedHandbook) => void;
  /** Progress of each seed's learning phases (`seed 7 discover`, …) and of routing the test queries. */
  progress?: ProgressFactory;
}

export interface LearnedRouters {
  specs: RouterSpec[];
  /** The handbook of a seed, learned on first use. */
  handbook(seed: number): Promise<LearnedHandbook>;
  /** Every handbook learned so far, by seed. */
  learned(): LearnedHandbook[];
  /** Remove the temporary work directory (not a given workDir). */
  dispose(): void;
}

const ESTIMATOR_LABEL: Record<EstimatorName, string> = {
  mean: "posterior mean",
  quantile: `posterior quantile q=${QUANTILE_Q}`,
  thompson: "Thompson",
};

/**
 * The learned routers: `skillorchestra-<estimator>` (ours, swept over λ) and `reference-cascade` (the reference
 * implementation's lexicographic rule on the same handbook; λ only enters its tie draw, on raw USD, so it is
 * routed once). All seeded: each seed learns its own handbook from its own labelled split, shared by the specs.
 */
export function learnedRouters(opts: LearnedRoutersOptions): LearnedRouters {
  const temp = opts.workDir === undefined;
  const work = opts.workDir ?? mkdtempSync(join(tmpdir(), "so-eval-learn-"));
  const cache = new Map<number, Promise<LearnedHandbook>>();
  const done = new Map<number, LearnedHandbook>();
  const budget = opts.labelled === undefined ? "all labelled" : `${opts.labelled} labelled per task`;
  const handbook = (seed: number): Promise<LearnedHandbook> => {
    let p = cache.get(seed);
    if (!p) {
      const settings = learningSettings({
        ...opts.settings,
        records: opts.records,
        pool: opts.pool,
        labelled: opts.labelled,
        seed,
      });
      p = learnHandbook(
        settings,
        join(work, `seed-${seed}`),
        undefined,
        scopedProgress(opts.progress ?? silentProgress, `seed ${seed}`),
      ).then((l) => {
        done.set(seed, l);
        opts.onLearned?.(l);
        return l;
      });
      cache.set(seed, p);
    }
    return p;
  };
  const specs: RouterSpec[] = (opts.estimators ?? ESTIMATORS).map((estimator) => ({
    name: `skillorchestra-${estimator}`,
    label: `ours (${ESTIMATOR_LABEL[estimator]})`,
    kind: "ours",
    sweep: true,
    seeded: true,
    note: `learned handbook, ${budget}`,
    make: async (seed: number) =>
      selectionRouter(await handbook(seed), {
        name: `skillorchestra-${estimator}`,
        modeOf: opts.modeOf,
        estimator,
        seed,
      }),
  }));
  if (opts.consult ?? true)
    specs.push({
      name: "skillorchestra-consult",
      label: "ours multi-step (consult/accept)",
      kind: "ours",
      sweep: true,
      seeded: true,
      note: `learned handbook and consult rule, ${budget}; every call paid`,
      make: async (seed: number) =>
        selectionRouter(await handbook(seed), {
          name: "skillorchestra-consult",
          modeOf: opts.modeOf,
          seed,
          consult: true,
        }),
    });
  // Ours served by budget, as `learn --budget` / `run --budget` serve it: one family per budget, not swept.
  for (const b of opts.budgets ?? [])
    specs.push({
      name: `skillorchestra-budget-${b}`,
      label: `ours (budget $${b.toPrecision(3)}/query)`,
      kind: "ours",
      sweep: false,
      seeded: true,
      note: `learned handbook, ${budget}; candidate and λ solved for mean validation cost <= $${b.toPrecision(3)}`,
      make: async (seed: number) =>
        selectionRouter(await handbook(seed), {
          name: `skillorchestra-budget-${b}`,
          modeOf: opts.modeOf,
          seed,
          budgetUsd: b,
        }),
    });
  if (opts.cascade ?? true)
    specs.push({
      name: "reference-cascade",
      label: "reference cascade (same handbook)",
      kind: "baseline",
      sweep: false,
      seeded: true,
      note: `lexicographic raw rates; ${budget}`,
      make: async (seed: number) =>
        handbookRouter((await handbook(seed)).handbook, {
          name: "reference-cascade",
          modeOf: opts.modeOf,
          strategy: "cascade",
          seed,
        }),
    });
  return {
    specs,
    handbook,
    learned: () => [...done.values()].sort((a, b) => a.seed - b.seed),
    dispose: () => {
      if (temp) rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * Records with agents named as in the pool: a record's agent is matched against each pool agent's `recordedAs`
 * name (or its id). An agent the pool does not hold is an InputError naming the file.
 */
export function recordsInPool(
  records: readonly ExecutionRecord[],
  pool: Pool,
  source: string,
  poolSource: string,
): ExecutionRecord[] {
  const byName = new Map<string, string>();
  for (const a of pool.agents) byName.set(a.replay?.recordedAs ?? a.id, a.id);
  for (const a of pool.agents) if (!byName.has(a.id)) byName.set(a.id, a.id);
  return records.map((r, i) => {
    const id = byName.get(r.agent);
    if (id === undefined)
      throw new InputError(`${source}: record ${i + 1}: $.agent: agent "${r.agent}" is not in the pool ${poolSource}`);
    return id === r.agent ? r : { ...r, agent: id };
  });
}

/** queryId → mode of the single-call records (the mode a learned router routes each test query in). */
export function modesOfQueries(records: readonly ExecutionRecord[], mode?: Mode): Map<string, Mode> {
  const out = new Map<string, Mode>();
  for (const r of records) {
    if (r.step !== undefined || (mode !== undefined && r.mode !== mode)) continue;
    if (!out.has(r.queryId)) out.set(r.queryId, r.mode);
  }
  return out;
}

export interface EvaluateLearnedOptions extends Omit<LearnedRoutersOptions, "modeOf"> {
  /** Train and test records, agents named as in the pool (see recordsInPool). */
  train: readonly ExecutionRecord[];
  test: readonly ExecutionRecord[];
  mode?: Mode;
  lambdas?: readonly number[];
  seeds?: readonly number[];
  k?: number;
  trainSource?: string;
  testSource?: string;
}

/**
 * The specs with every route call counted as the `routing` phase of `progress` (started on the first call): each
 * spec routes every query once per seed, and once per λ when swept.
 */
function countRoutes(
  specs: RouterSpec[],
  progress: ProgressFactory,
  n: { queries: number; seeds: number; lambdas: number },
): { specs: RouterSpec[]; end(): void } {
  const total = specs.reduce((t, s) => t + n.queries * n.seeds * ((s.sweep ?? true) ? n.lambdas : 1), 0);
  let phase: ReturnType<ProgressFactory> | undefined;
  let done = 0;
  const counted = specs.map((s) => ({
    ...s,
    make: async (seed: number): Promise<Router> => {
      const r = await s.make(seed);
      const tick = () => (phase ??= progress("routing")).update(++done, Math.max(total, done));
      return {
        name: r.name,
        route: (q: RouteQuery, lambda?: number) => {
          tick();
          return r.route(q, lambda);
        },
        ...(r.trajectory
          ? {
              trajectory: (q: RouteQuery, ask: (agent: string) => string | null, lambda?: number) => {
                tick();
                return r.trajectory!(q, ask, lambda);
              },
            }
          : {}),
      };
    },
  }));
  return { specs: counted, end: () => phase?.end() };
}

/** One seed's learning, as reported: the candidates, and which one serves each λ of the sweep. */
export interface LearnedSummary extends Omit<LearnedHandbook, "handbook" | "candidates" | "selection" | "labelledIds"> {
  candidates: { id: string; skills: number; onFrontier: boolean }[];
  /** Per λ of the sweep: the candidate chosen for it on validation, its skills, and its validation figures there. */
  byLambda: { lambda: number; candidate: string; skills: number; accuracy: number; meanCostUsd: number }[];
}

export function learnedSummary(l: LearnedHandbook, lambdas: readonly number[]): LearnedSummary {
  const { handbook: _h, candidates: _c, selection, labelledIds: _l, ...rest } = l;
  const skillsOf = new Map(selection.candidates.map((c) => [c.id, c.skills]));
  return {
    ...rest,
    candidates: selection.candidates.map((c) => ({ id: c.id, skills: c.skills, onFrontier: c.onFrontier })),
    byLambda: lambdas.map((lambda) => {
      const c = chooseFor(selection, { lambda });
      return {
        lambda,
        candidate: c.candidate,
        skills: skillsOf.get(c.candidate) ?? 0,
        accuracy: c.accuracy,
        meanCostUsd: c.meanCostUsd,
      };
    }),
  };
}

/** What learning produced for an evaluation (the learned figures sit in the evaluation's rows). */
export interface LearningSummary {
  /** Labelled queries per task; null: all. */
  labelled: number | null;
  learner: "statistical";
  /** Learning settings that are not the defaults' seeds and budget. */
  lambda: number;
  estimator: EstimatorName;
  handbooks: LearnedSummary[];
}

/**
 * Learn a handbook per seed and evaluate the learned routers next to every baseline on the same test queries.
 * The baselines chosen on train (best single, cheapest, kNN, per-task) see every train record; ours sees the
 * labelled budget only.
 */
export async function evaluateLearned(
  opts: EvaluateLearnedOptions,
): Promise<{ evaluation: RouterComparison; learning: LearningSummary; handbooks: LearnedHandbook[] }> {
  const modes = modesOfQueries(opts.test, opts.mode);
  const learned = learnedRouters({ ...opts, modeOf: (id) => modes.get(id) });
  const routing = opts.progress
    ? countRoutes(learned.specs, opts.progress, {
        queries: modes.size,
        seeds: new Set(opts.seeds ?? [0]).size,
        lambdas: new Set(opts.lambdas ?? [0]).size,
      })
    : { specs: learned.specs, end() {} };
  try {
    const evaluation = await evaluate({
      train: opts.train,
      test: opts.test,
      ...(opts.mode !== undefined ? { mode: opts.mode } : {}),
      ...(opts.lambdas !== undefined ? { lambdas: opts.lambdas } : {}),
      ...(opts.seeds !== undefined ? { seeds: opts.seeds } : {}),
      ...(opts.k !== undefined ? { k: opts.k } : {}),
      routers: routing.specs,
      ...(opts.trainSource !== undefined ? { trainSource: opts.trainSource } : {}),
      ...(opts.testSource !== undefined ? { testSource: opts.testSource } : {}),
    });
    routing.end();
    const handbooks = learned.learned();
    return {
      evaluation,
      handbooks,
      learning: {
        labelled: opts.labelled ?? null,
        learner: "statistical",
        lambda: opts.settings?.lambda ?? LEARNING_DEFAULTS.lambda,
        estimator: opts.settings?.estimator ?? LEARNING_DEFAULTS.estimator,
        handbooks: handbooks.map((l) => learnedSummary(l, evaluation.lambdas)),
      },
    };
  } finally {
    learned.dispose();
  }
}
