/**
 * The top-level help lists each command from src/cli/commands.ts without loading its module: each entry must say
 * what the module's command says (name, term, description), and every command a module defines must have an entry.
 */
import { Help } from "commander";
import { describe, expect, it } from "vitest";
import { COMMANDS, invokedCommand } from "../src/cli/commands.js";

// Loaded while the file is collected (not under a test's time limit): every module of the command line.
const defined = new Map<string, { term: string; description: string }>();
for (const load of new Set(COMMANDS.map((c) => c.load)))
  for (const cmd of await load())
    defined.set(cmd.name(), { term: new Help().subcommandTerm(cmd), description: cmd.description() });

describe("the command table", () => {
  it("matches the commands its modules define, in name, term and description", () => {
    expect([...defined.keys()].sort()).toEqual(COMMANDS.map((c) => c.name).sort());
    for (const c of COMMANDS)
      expect({ name: c.name, ...defined.get(c.name) }).toEqual({
        name: c.name,
        term: c.term,
        description: c.description,
      });
  });

  it("finds the command an argument list runs, past the program's options and through help", () => {
    expect(invokedCommand(["run", "a task", "--pool", "p.json"])?.name).toBe("run");
    expect(invokedCommand(["--debug", "records", "summary", "r.jsonl"])?.name).toBe("records");
    expect(invokedCommand(["help", "select"])?.name).toBe("select");
    expect(invokedCommand(["--help"])).toBeUndefined();
    expect(invokedCommand(["help"])).toBeUndefined();
    expect(invokedCommand(["nonsense"])).toBeUndefined();
  });
});
