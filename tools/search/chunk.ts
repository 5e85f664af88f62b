import { InputError } from "../../src/core/errors.js";

/** How documents are cut into passages: windows of `passageWords` words, each sharing `overlapWords` with the last. */
export interface ChunkOptions {
  passageWords: number;
  overlapWords: number;
}

export const DEFAULT_CHUNK: ChunkOptions = { passageWords: 100, overlapWords: 20 };

/** Fill in defaults and reject impossible settings with an InputError naming the option. */
export function resolveChunkOptions(opts: Partial<ChunkOptions> = {}): ChunkOptions {
  const passageWords = opts.passageWords ?? DEFAULT_CHUNK.passageWords;
  const overlapWords = opts.overlapWords ?? DEFAULT_CHUNK.overlapWords;
  if (!Number.isInteger(passageWords) || passageWords < 1) {
    throw new InputError(`search options: passageWords: must be a whole number >= 1, got ${passageWords}`);
  }
  if (!Number.isInteger(overlapWords) || overlapWords < 0 || overlapWords >= passageWords) {
    throw new InputError(
      `search options: overlapWords: must be a whole number >= 0 and < passageWords (${passageWords}), got ${overlapWords}`,
    );
  }
  return { passageWords, overlapWords };
}

/**
 * Cut text into passages of at most `passageWords` whitespace-separated words; consecutive passages share
 * `overlapWords` words. A text of no words gives one empty passage, so every document stays findable by title.
 */
export function chunkWords(text: string, opts: ChunkOptions): string[] {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  if (words.length <= opts.passageWords) return [words.join(" ")];
  const step = opts.passageWords - opts.overlapWords;
  const out: string[] = [];
  for (let start = 0; ; start += step) {
    const end = Math.min(start + opts.passageWords, words.length);
    out.push(words.slice(start, end).join(" "));
    if (end === words.length) break;
  }
  return out;
}
