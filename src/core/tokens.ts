/** Characters per token wherever tokens are estimated from a text's length (no tokenizer): a rule of thumb for English. */
export const CHARS_PER_TOKEN = 4;

/** Estimated tokens of `chars` characters (UTF-16 code units): ceil(chars / CHARS_PER_TOKEN). */
export function tokensForChars(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}
