import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { loadHandbook, saveHandbook } from "../../handbook/store.js";
import { artefactPaths, type Artefacts } from "./artefacts.js";
import type { CandidateEvaluator } from "./choose.js";
import { learningCost, LearningLog, readLog, type LearningCost } from "./log.js";
import {
  type Handoff,
  type LearningSettings,
  type PhaseIO,
  readSkills,
  readSplit,
  runDiscover,
  runProfile,
  runRefine,
  runSelect,
  runSplit,
} from "./pipeline.js";
import type { ProgressFactory } from "./progress.js";

/**
 * One step of a learning run as plain data, and what it made: what a learning graph node hands to wherever the
 * phase runs (this thread, or a worker thread: src/learning/phase-runner.ts) and gets back. runPhase is the body of
 * each node: it reads the artefacts of the phases before it (from the handoff while held, else from their files),
 * runs the phase's function of pipeline.ts and returns the paths it wrote and its summary.
 */

/** The learning phases, then the report that sums the run's learning cost into its handbooks. */
export type PhaseName = "split" | "discover" | "profile" | "refine" | "select" | "report";

export interface PhaseJob {
  phase: PhaseName;
  /** The run's settings (the graph's input and context over the defaults). */
  settings: LearningSettings;
  /** The chosen handbook's path (the graph's `out`); every artefact's path follows from it. */
  out: string;
  /** The learning run's id (its log entries carry it). */
  run: string;
  /** The artefacts written so far (the graph's state). */
  artefacts: Artefacts;
  /** The environment the learning model's key is read from; absent: the process's. */
  env?: Record<string, string | undefined>;
}

export interface PhaseOutcome {
  /** Paths the phase wrote. */
  artefacts?: Artefacts;
  /** The phase's summary (the graph's `phases` entry); absent for the report. */
  summary?: Record<string, unknown>;
  /** The run's learning cost (the report). */
  cost?: LearningCost;
}

/** Where a phase runs: its progress, the handoff of the run's phases, and what cannot leave the caller's thread. */
export interface PhaseContext {
  progress: ProgressFactory;
  handoff: Handoff;
  /** The handoff is the run's own (emptied when the run starts and ends), not a caller's that takes from it after. */
  ownHandoff: boolean;
  evaluateCandidate?: CandidateEvaluator;
}

function phaseIO(job: PhaseJob, ctx: PhaseContext): PhaseIO {
  return {
    log: new LearningLog(artefactPaths(job.out).log, job.run),
    progress: ctx.progress,
    ...(job.env ? { env: job.env } : {}),
    ...(ctx.evaluateCandidate ? { evaluateCandidate: ctx.evaluateCandidate } : {}),
    handoff: ctx.handoff,
  };
}

/** Run one phase of a learning run (or its report) and say what it wrote. */
export async function runPhase(job: PhaseJob, ctx: PhaseContext): Promise<PhaseOutcome> {
  const { settings: s, artefacts: a } = job;
  const paths = artefactPaths(job.out);
  const h = ctx.handoff;
  switch (job.phase) {
    case "split": {
      if (ctx.ownHandoff) h.clear();
      mkdirSync(paths.work, { recursive: true });
      mkdirSync(dirname(job.out), { recursive: true });
      const sp = await runSplit(s, phaseIO(job, ctx), paths.split);
      return {
        artefacts: { work: paths.work, log: paths.log, split: paths.split },
        summary: { train: sp.train.length, validation: sp.validationIds.length, labelledRecords: sp.labelledRecords },
      };
    }
    case "discover": {
      const split = h.take(a.split!, readSplit);
      const sk = await runDiscover(s, phaseIO(job, ctx), split, paths.skills);
      return { artefacts: { skills: paths.skills }, summary: { discoverer: sk.discoverer, skills: sk.skills.length } };
    }
    case "profile": {
      const split = h.take(a.split!, readSplit);
      const skills = h.take(a.skills!, readSkills);
      const profiled = await runProfile(s, phaseIO(job, ctx), split, skills, paths.profiled);
      h.drop(a.skills!);
      return {
        artefacts: { profiled: paths.profiled },
        summary: { skills: Object.keys(profiled.skills).length, agents: Object.keys(profiled.agents).length },
      };
    }
    case "refine": {
      const split = h.take(a.split!, readSplit);
      const profiled = h.take(a.profiled!, loadHandbook);
      const { report } = await runRefine(s, phaseIO(job, ctx), split, profiled, paths.full, paths.refineReport);
      h.drop(a.profiled!);
      return {
        artefacts: { full: paths.full, refineReport: paths.refineReport },
        summary: {
          rounds: report.rounds,
          kept: report.steps.filter((x) => x.kept).length,
          rolledBack: report.steps.filter((x) => !x.kept).length,
          validation: report.validation.objective,
        },
      };
    }
    case "select": {
      const split = h.take(a.split!, readSplit);
      const full = h.take(a.full!, loadHandbook);
      const { selection } = await runSelect(s, phaseIO(job, ctx), split, full, {
        chosen: paths.chosen,
        selection: paths.selection,
      });
      // The selection and its candidates are held for a caller's handoff only; the report reads the chosen and full.
      if (ctx.ownHandoff) h.drop(paths.selection);
      return {
        artefacts: { chosen: paths.chosen, selection: paths.selection },
        summary: { chosen: selection.chosen, frontier: selection.frontier },
      };
    }
    case "report": {
      const cost = learningCost(readLog(a.log!), job.run);
      for (const path of [a.chosen!, a.full!]) {
        const hb = h.take(path, loadHandbook);
        h.put(
          path,
          saveHandbook(path, {
            ...hb,
            metadata: { ...hb.metadata, learning: { ...hb.metadata.learning, run: job.run, cost } },
          }),
        );
      }
      if (ctx.ownHandoff) h.clear();
      return { cost };
    }
  }
}
