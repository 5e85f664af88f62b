#!/usr/bin/env node
import { Command } from "commander";
import { InputError } from "../core/errors.js";
import { demoCommand } from "./demo.js";
import { evalCommand } from "./eval.js";
import { exploreCommand } from "./explore.js";
import { learnCommand, learnPhaseCommands } from "./learn.js";
import { recordsCommand } from "./records.js";
import { runCommand } from "./run.js";

const program = new Command()
  .name("skillorchestra")
  .description("Skill-aware, cost-aware orchestration of LLM agents")
  .option("--debug", "print the stack trace of an error")
  .showHelpAfterError();

program.addCommand(demoCommand());
program.addCommand(evalCommand());
program.addCommand(exploreCommand());
program.addCommand(learnCommand());
for (const phase of learnPhaseCommands()) program.addCommand(phase);
program.addCommand(recordsCommand());
program.addCommand(runCommand());

// An error is one line (exit 2 for bad input, 1 otherwise); its stack trace only with --debug.
try {
  await program.parseAsync(process.argv);
} catch (err) {
  const debug = program.opts().debug === true || process.argv.includes("--debug");
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`skillorchestra: ${debug ? message : (message.split("\n")[0] ?? "")}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(err instanceof InputError ? 2 : 1);
}
