import {
  embed,
  fitTextModel,
  textTerms,
  dimsOf,
  type SparseVector,
  type TextModel,
  type TextModelOptions,
} from "../../handbook/text.js";

export { dotDense, type SparseVector } from "../../handbook/text.js";

/** Training texts as learning works on them: the text model, body terms per text (for naming), unit vectors. */
export interface TextVectors {
  model: TextModel;
  /** Body terms of each text (shared lines left out): what names and indicators are drawn from. */
  docs: string[][];
  points: SparseVector[];
  dims: number;
}

/** Embed texts with a given text model, or with one fitted on them. */
export function textVectors(texts: readonly string[], model?: TextModel, opts: TextModelOptions = {}): TextVectors {
  const m = model ?? fitTextModel(texts, opts);
  const bp = new Set(m.boilerplate);
  return {
    model: m,
    docs: texts.map((t) => textTerms(t, bp).body),
    points: texts.map((t) => embed(m, t)),
    dims: dimsOf(m),
  };
}
