/**
 * The eval command as a process of its own: `node --import tsx test/eval/eval-cli-entry.ts eval ...`. The same
 * wiring as the skillorchestra binary (InputError → one line on stderr, exit 2).
 */
import { Command } from "commander";
import { evalCommand } from "../../src/cli/eval.js";
import { InputError } from "../../src/errors.js";

const program = new Command().name("skillorchestra").addCommand(evalCommand());
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof InputError) {
    process.stderr.write(`skillorchestra: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
