import type { Command } from "commander";

/**
 * The commands of the command line, as `skillorchestra --help` lists them, and the module that defines each. main.ts
 * imports only the module of the command it runs: every module together imports most of the project (LangGraph, the
 * SQLite checkpointer, learning, evaluation, the simulator), about 1.5 s per start. The module's command is the
 * definition (its flags, its own `--help`); `term` and `description` here are what the top-level help shows without
 * loading it, and test/cli-commands.test.ts checks that they match it.
 */
export interface CommandEntry {
  name: string;
  /** The command's line in the top-level help: its name, `[options]`, its arguments. */
  term: string;
  description: string;
  /** Imports the command's module and builds its commands (a module may define several, as learn.ts does). */
  load: () => Promise<Command[]>;
}

const learn = () => import("./learn.js").then((m) => [m.learnCommand(), ...m.learnPhaseCommands()]);

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "demo",
    term: "demo [options]",
    description:
      "Offline end-to-end demo on the simulated world: explore, build a handbook, orchestrate held-out tasks, report",
    load: () => import("./demo.js").then((m) => [m.demoCommand()]),
  },
  {
    name: "eval",
    term: "eval [options]",
    description:
      "Learn from train records and compare every router on the test records by replay (same queries, same cost model)",
    load: () => import("./eval.js").then((m) => [m.evalCommand()]),
  },
  {
    name: "explore",
    term: "explore [options]",
    description:
      "Run every agent of a pool on every task in each mode it serves, one record per (query, agent, mode), " +
      "appended to a records file; an interrupted run resumes where it stopped.",
    load: () => import("./explore.js").then((m) => [m.exploreCommand()]),
  },
  {
    name: "feedback",
    term: "feedback [options]",
    description: "Record the outcome (a score in [0, 1]) of a recorded run, or of one of its steps",
    load: () => import("./feedback.js").then((m) => [m.feedbackCommand()]),
  },
  {
    name: "handbook",
    term: "handbook",
    description: "Versioned handbooks in a LangGraph store, served as store:NAME: publish, list, rollback",
    load: () => import("./handbook.js").then((m) => [m.handbookCommand()]),
  },
  {
    name: "learn",
    term: "learn [options]",
    description: "learn a Skill Handbook from execution records (explore → discover → profile → refine → select)",
    load: learn,
  },
  {
    name: "split",
    term: "split [options]",
    description: "phase 1: the labelled split by query (per task, seeded)",
    load: learn,
  },
  {
    name: "discover",
    term: "discover [options]",
    description: "phase 2: discover skills per mode (statistical, or with --llm)",
    load: learn,
  },
  {
    name: "profile",
    term: "profile [options]",
    description: "phase 3: identify active skills per training trace and profile the agents",
    load: learn,
  },
  {
    name: "refine",
    term: "refine [options]",
    description: "phase 4: split and merge skills, each kept only if validation does not drop",
    load: learn,
  },
  {
    name: "select",
    term: "select [options]",
    description: "phase 5: candidate sub-handbooks by granularity, Pareto frontier, choice by λ or budget",
    load: learn,
  },
  {
    name: "records",
    term: "records",
    description: "Execution records: import recorded outcomes, summarise",
    load: () => import("./records.js").then((m) => [m.recordsCommand()]),
  },
  {
    name: "run",
    term: "run [options] [task]",
    description: "Orchestrate one task: choose mode, skills and agent per step, print the decisions and the answer",
    load: () => import("./run.js").then((m) => [m.runCommand()]),
  },
  {
    name: "update",
    term: "update [options]",
    description:
      "Fold production outcomes (run records) into the served version of a handbook, gate it, publish the next version",
    load: () => import("./update.js").then((m) => [m.updateCommand()]),
  },
];

/**
 * The command an argument list runs: its first operand (the program's own options, such as `--debug`, take no
 * value), or for `help <command>` the command whose help it asks for. Undefined when it names none of COMMANDS.
 */
export function invokedCommand(args: readonly string[]): CommandEntry | undefined {
  const operands = args.filter((a) => !a.startsWith("-"));
  const name = operands[0] === "help" ? operands[1] : operands[0];
  return COMMANDS.find((c) => c.name === name);
}
