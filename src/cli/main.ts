#!/usr/bin/env node
import { Command } from "commander";
import { InputError } from "../errors.js";
import { demoCommand } from "./demo.js";
import { evalCommand } from "./eval.js";
import { exploreCommand } from "./explore.js";
import { learnCommand, learnPhaseCommands } from "./learn.js";
import { recordsCommand } from "./records.js";
import { runCommand } from "./run.js";

const program = new Command()
  .name("skillorchestra")
  .description("Skill-aware, cost-aware orchestration of LLM agents")
  .showHelpAfterError();

program.addCommand(demoCommand());
program.addCommand(evalCommand());
program.addCommand(exploreCommand());
program.addCommand(learnCommand());
for (const phase of learnPhaseCommands()) program.addCommand(phase);
program.addCommand(recordsCommand());
program.addCommand(runCommand());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof InputError) {
    process.stderr.write(`skillorchestra: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
