import type { z } from "zod";

/** Bad input from a user's file or flag: reported as one line naming the file and field, exit code 2. */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(message: string) {
    super(message);
  }
}

/** Render a zod issue path as a JSON path: `$.agents[2].price.inputPer1M`. */
export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "$";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : `.${String(key)}`;
  return out;
}

/** Parse `data` with `schema`, or throw an InputError naming `source` and the JSON path of the first bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, data: unknown, source: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new InputError(`${source}: ${jsonPath(issue.path)}: ${issue.message}`);
}
