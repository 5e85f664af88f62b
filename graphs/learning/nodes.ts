import { dirname } from "node:path";
import { mkdirSync } from "node:fs";
import { loadHandbook, saveHandbook } from "../../handbook/store.js";
import { artefactPaths } from "../../src/learning/artefacts.js";
import { learningCost, LearningLog, readLog } from "../../src/learning/log.js";
import {
  Handoff,
  newRunId,
  readSkills,
  readSplit,
  runDiscover,
  runProfile,
  runRefine,
  runSelect,
  runSplit,
  type PhaseIO,
} from "../../src/learning/pipeline.js";
import type { ProgressFactory } from "../../src/learning/progress.js";
import type { CandidateEvaluator } from "../../src/learning/choose.js";
import { settingsOf, type LearningContextType } from "./configuration.js";
import type { LearningStateType, LearningUpdate } from "./state.js";

/** What the graph's builder is given: how to show progress, and the environment for the learning model's key. */
export interface NodeDeps {
  progress: ProgressFactory;
  env?: Record<string, string | undefined>;
  /** Evaluates select's candidates with the target orchestrator; absent: by replay of the recorded outcomes. */
  evaluateCandidate?: CandidateEvaluator;
  /**
   * How the phases of a run in this process hand each other the records and their artefacts in memory (each held
   * until the last node that reads it has run; a run resumed in another process reads the files). Given: the
   * caller's, which it takes the split, the chosen handbook and the selection from afterwards (eval). Absent: the
   * graph's own, emptied when a run starts and when it ends.
   */
  handoff?: Handoff;
}

/** The nodes' wiring: the deps, with the handoff in use and whether it is the graph's own. */
export interface NodeWiring extends NodeDeps {
  handoff: Handoff;
  ownHandoff: boolean;
}

export function wiring(deps: NodeDeps): NodeWiring {
  return { ...deps, handoff: deps.handoff ?? new Handoff(), ownHandoff: deps.handoff === undefined };
}

interface Runtime {
  context?: Partial<LearningContextType>;
}

function io(w: NodeWiring, state: LearningStateType, run: string): PhaseIO {
  const paths = artefactPaths(state.out);
  return {
    log: new LearningLog(paths.log, run),
    progress: w.progress,
    ...(w.env ? { env: w.env } : {}),
    ...(w.evaluateCandidate ? { evaluateCandidate: w.evaluateCandidate } : {}),
    handoff: w.handoff,
  };
}

export function splitNode(w: NodeWiring) {
  return async (state: LearningStateType, runtime: Runtime): Promise<LearningUpdate> => {
    if (w.ownHandoff) w.handoff.clear();
    const paths = artefactPaths(state.out);
    mkdirSync(paths.work, { recursive: true });
    mkdirSync(dirname(state.out), { recursive: true });
    const run = state.run || newRunId("learn");
    const sp = await runSplit(settingsOf(state, runtime.context), io(w, state, run), paths.split);
    return {
      run,
      artefacts: { work: paths.work, log: paths.log, split: paths.split },
      phases: [
        {
          phase: "split",
          summary: { train: sp.train.length, validation: sp.validationIds.length, labelledRecords: sp.labelledRecords },
        },
      ],
    };
  };
}

export function discoverNode(w: NodeWiring) {
  return async (state: LearningStateType, runtime: Runtime): Promise<LearningUpdate> => {
    const paths = artefactPaths(state.out);
    const split = w.handoff.take(state.artefacts.split!, readSplit);
    const sk = await runDiscover(settingsOf(state, runtime.context), io(w, state, state.run), split, paths.skills);
    return {
      artefacts: { skills: paths.skills },
      phases: [{ phase: "discover", summary: { discoverer: sk.discoverer, skills: sk.skills.length } }],
    };
  };
}

export function profileNode(w: NodeWiring) {
  return async (state: LearningStateType, runtime: Runtime): Promise<LearningUpdate> => {
    const paths = artefactPaths(state.out);
    const split = w.handoff.take(state.artefacts.split!, readSplit);
    const skills = w.handoff.take(state.artefacts.skills!, readSkills);
    const h = await runProfile(
      settingsOf(state, runtime.context),
      io(w, state, state.run),
      split,
      skills,
      paths.profiled,
    );
    w.handoff.drop(state.artefacts.skills!);
    return {
      artefacts: { profiled: paths.profiled },
      phases: [
        { phase: "profile", summary: { skills: Object.keys(h.skills).length, agents: Object.keys(h.agents).length } },
      ],
    };
  };
}

export function refineNode(w: NodeWiring) {
  return async (state: LearningStateType, runtime: Runtime): Promise<LearningUpdate> => {
    const paths = artefactPaths(state.out);
    const split = w.handoff.take(state.artefacts.split!, readSplit);
    const profiled = w.handoff.take(state.artefacts.profiled!, loadHandbook);
    const { report } = await runRefine(
      settingsOf(state, runtime.context),
      io(w, state, state.run),
      split,
      profiled,
      paths.full,
      paths.refineReport,
    );
    w.handoff.drop(state.artefacts.profiled!);
    return {
      artefacts: { full: paths.full, refineReport: paths.refineReport },
      phases: [
        {
          phase: "refine",
          summary: {
            rounds: report.rounds,
            kept: report.steps.filter((s) => s.kept).length,
            rolledBack: report.steps.filter((s) => !s.kept).length,
            validation: report.validation.objective,
          },
        },
      ],
    };
  };
}

export function selectNode(w: NodeWiring) {
  return async (state: LearningStateType, runtime: Runtime): Promise<LearningUpdate> => {
    const paths = artefactPaths(state.out);
    const split = w.handoff.take(state.artefacts.split!, readSplit);
    const full = w.handoff.take(state.artefacts.full!, loadHandbook);
    const { selection } = await runSelect(settingsOf(state, runtime.context), io(w, state, state.run), split, full, {
      chosen: paths.chosen,
      selection: paths.selection,
    });
    // The selection and its candidates are held for the caller only; the report node reads the chosen and full handbooks.
    if (w.ownHandoff) w.handoff.drop(paths.selection);
    return {
      artefacts: { chosen: paths.chosen, selection: paths.selection },
      phases: [{ phase: "select", summary: { chosen: selection.chosen, frontier: selection.frontier } }],
    };
  };
}

/** Sums the run's learning cost from its log and stores it in the chosen and full handbooks' metadata. */
export function reportNode(w: NodeWiring) {
  return async (state: LearningStateType): Promise<LearningUpdate> => {
    const cost = learningCost(readLog(state.artefacts.log!), state.run);
    for (const path of [state.artefacts.chosen!, state.artefacts.full!]) {
      const h = w.handoff.take(path, loadHandbook);
      w.handoff.put(
        path,
        saveHandbook(path, {
          ...h,
          metadata: { ...h.metadata, learning: { ...h.metadata.learning, run: state.run, cost } },
        }),
      );
    }
    if (w.ownHandoff) w.handoff.clear();
    return { cost };
  };
}
