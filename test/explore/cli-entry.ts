/**
 * The explore command as a process of its own, for tests that kill it: `node --import tsx test/explore/cli-entry.ts
 * explore ...`. The same wiring as the skillorchestra binary (InputError → one line, exit 2).
 */
import { Command } from "commander";
import { exploreCommand } from "../../src/cli/explore.js";
import { InputError } from "../../src/errors.js";

const program = new Command().name("skillorchestra").addCommand(exploreCommand());
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof InputError) {
    process.stderr.write(`skillorchestra: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
