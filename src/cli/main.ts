#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { Command, Help } from "commander";
import { InputError } from "../core/errors.js";
import { COMMANDS, invokedCommand } from "./commands.js";

/** package.json: two folders up from src/cli, three from the build's dist/src/cli. */
const PACKAGE_JSON = new URL(
  import.meta.url.endsWith(".js") ? "../../../package.json" : "../../package.json",
  import.meta.url,
);

const program = new Command()
  .name("skillorchestra")
  .description("Skill-aware, cost-aware orchestration of LLM agents")
  .version(
    (JSON.parse(readFileSync(PACKAGE_JSON, "utf8")) as { version: string }).version,
    "-V, --version",
    "print the version",
  )
  .option("--debug", "print the stack trace of an error")
  .showHelpAfterError()
  .configureHelp({
    subcommandTerm: (cmd) => COMMANDS.find((c) => c.name === cmd.name())?.term ?? new Help().subcommandTerm(cmd),
  });

// An error is one line (exit 2 for bad input, 1 otherwise); its stack trace only with --debug.
try {
  // Only the command that runs is loaded (see commands.ts); the others are listed by name and description.
  const loaded = (await invokedCommand(process.argv.slice(2))?.load()) ?? [];
  for (const c of COMMANDS)
    program.addCommand(loaded.find((l) => l.name() === c.name) ?? new Command(c.name).description(c.description));
  await program.parseAsync(process.argv);
} catch (err) {
  const debug = program.opts().debug === true || process.argv.includes("--debug");
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`skillorchestra: ${debug ? message : (message.split("\n")[0] ?? "")}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(err instanceof InputError ? 2 : 1);
}
