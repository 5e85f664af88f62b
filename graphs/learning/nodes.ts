import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { mkdirSync } from "node:fs";
import { loadHandbook, saveHandbook } from "../../handbook/store.js";
import { learningCost, LearningLog, readLog } from "../../src/learning/log.js";
import {
  DEFAULT_SETTINGS,
  readSkills,
  readSplit,
  runDiscover,
  runProfile,
  runRefine,
  runSelect,
  runSplit,
  type LearnSettings,
  type PhaseIO,
} from "../../src/learning/pipeline.js";
import type { ProgressFactory } from "../../src/learning/progress.js";
import type { CandidateEvaluator } from "../../src/learning/choose.js";
import { resolveKnobs, type LearningContextType } from "./configuration.js";
import type { Artefacts, LearningStateType, LearningUpdate } from "./state.js";

/** What the graph's builder is given: how to show progress, and the environment for the learning model's key. */
export interface NodeDeps {
  progress: ProgressFactory;
  env?: Record<string, string | undefined>;
  /** Evaluates select's candidates with the target orchestrator; absent: by replay of the recorded outcomes. */
  evaluateCandidate?: CandidateEvaluator;
}

interface Runtime {
  context?: Partial<LearningContextType>;
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

export function settingsOf(state: LearningStateType, runtime: Runtime): LearnSettings {
  return {
    ...DEFAULT_SETTINGS,
    ...resolveKnobs(runtime.context),
    records: state.records,
    ...(state.pool ? { pool: state.pool } : {}),
    seed: state.seed ?? DEFAULT_SETTINGS.seed,
    ...(state.labelled != null ? { labelled: state.labelled } : {}),
    ...(state.validation != null ? { validation: state.validation } : {}),
    lambda: state.lambda ?? DEFAULT_SETTINGS.lambda,
    ...(state.budgetUsd != null ? { budgetUsd: state.budgetUsd } : {}),
    ...(state.llm ? { llm: state.llm } : {}),
  };
}

function io(deps: NodeDeps, state: LearningStateType, run: string): PhaseIO {
  const paths = artefactPaths(state.out);
  return {
    log: new LearningLog(paths.log, run),
    progress: deps.progress,
    ...(deps.env ? { env: deps.env } : {}),
    ...(deps.evaluateCandidate ? { evaluateCandidate: deps.evaluateCandidate } : {}),
  };
}

export function splitNode(deps: NodeDeps) {
  return async (state: LearningStateType, runtime: Runtime): Promise<LearningUpdate> => {
    const paths = artefactPaths(state.out);
    mkdirSync(paths.work, { recursive: true });
    mkdirSync(dirname(state.out), { recursive: true });
    const run = state.run || `learn-${new Date().toISOString().replace(/[:.]/g, "")}-${randomUUID().slice(0, 8)}`;
    const sp = await runSplit(settingsOf(state, runtime), io(deps, state, run), paths.split);
    return {
      run,
      artefacts: { work: paths.work, log: paths.log, split: paths.split },
      phases: [{ phase: "split", summary: { train: sp.train.length, validation: sp.validationIds.length, labelledRecords: sp.labelledRecords } }],
    };
  };
}

export function discoverNode(deps: NodeDeps) {
  return async (state: LearningStateType, runtime: Runtime): Promise<LearningUpdate> => {
    const paths = artefactPaths(state.out);
    const sk = await runDiscover(settingsOf(state, runtime), io(deps, state, state.run), readSplit(state.artefacts.split!), paths.skills);
    return { artefacts: { skills: paths.skills }, phases: [{ phase: "discover", summary: { discoverer: sk.discoverer, skills: sk.skills.length } }] };
  };
}

export function profileNode(deps: NodeDeps) {
  return async (state: LearningStateType, runtime: Runtime): Promise<LearningUpdate> => {
    const paths = artefactPaths(state.out);
    const h = await runProfile(
      settingsOf(state, runtime),
      io(deps, state, state.run),
      readSplit(state.artefacts.split!),
      readSkills(state.artefacts.skills!),
      paths.profiled,
    );
    return { artefacts: { profiled: paths.profiled }, phases: [{ phase: "profile", summary: { skills: Object.keys(h.skills).length, agents: Object.keys(h.agents).length } }] };
  };
}

export function refineNode(deps: NodeDeps) {
  return async (state: LearningStateType, runtime: Runtime): Promise<LearningUpdate> => {
    const paths = artefactPaths(state.out);
    const { report } = await runRefine(
      settingsOf(state, runtime),
      io(deps, state, state.run),
      readSplit(state.artefacts.split!),
      loadHandbook(state.artefacts.profiled!),
      paths.full,
      paths.refineReport,
    );
    return {
      artefacts: { full: paths.full, refineReport: paths.refineReport },
      phases: [
        {
          phase: "refine",
          summary: { rounds: report.rounds, kept: report.steps.filter((s) => s.kept).length, rolledBack: report.steps.filter((s) => !s.kept).length, validation: report.validation.objective },
        },
      ],
    };
  };
}

export function selectNode(deps: NodeDeps) {
  return async (state: LearningStateType, runtime: Runtime): Promise<LearningUpdate> => {
    const paths = artefactPaths(state.out);
    const { selection } = await runSelect(settingsOf(state, runtime), io(deps, state, state.run), readSplit(state.artefacts.split!), loadHandbook(state.artefacts.full!), {
      chosen: paths.chosen,
      selection: paths.selection,
    });
    return { artefacts: { chosen: paths.chosen, selection: paths.selection }, phases: [{ phase: "select", summary: { chosen: selection.chosen, frontier: selection.frontier } }] };
  };
}

/** Sums the run's learning cost from its log and stores it in the chosen and full handbooks' metadata. */
export function reportNode() {
  return async (state: LearningStateType): Promise<LearningUpdate> => {
    const cost = learningCost(readLog(state.artefacts.log!), state.run);
    for (const path of [state.artefacts.chosen!, state.artefacts.full!]) {
      const h = loadHandbook(path);
      saveHandbook(path, { ...h, metadata: { ...h.metadata, learning: { ...h.metadata.learning, run: state.run, cost } } });
    }
    return { cost };
  };
}
