/**
 * The run command as a process of its own, for tests that spawn and kill it: `node --import tsx
 * test/orchestrator/cli-entry.ts run ...`. The same wiring as the skillorchestra binary (InputError → one line, exit 2).
 */
import { Command } from "commander";
import { runCommand } from "../../src/cli/run.js";
import { InputError } from "../../src/errors.js";

const program = new Command().name("skillorchestra").addCommand(runCommand());
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof InputError) {
    process.stderr.write(`skillorchestra: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
