/**
 * The learn commands as a process of their own, for tests that kill it: `node --import tsx
 * test/learning/cli-entry.ts learn ...`. The same wiring as the skillorchestra binary (InputError → one line, exit 2).
 */
import { Command } from "commander";
import { learnCommand, learnPhaseCommands } from "../../src/cli/learn.js";
import { InputError } from "../../src/errors.js";

const program = new Command().name("skillorchestra").addCommand(learnCommand());
for (const c of learnPhaseCommands()) program.addCommand(c);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof InputError) {
    process.stderr.write(`skillorchestra: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
