export type { CorpusDocument, Passage } from "./passage.js";
export { chunkWords, resolveChunkOptions, DEFAULT_CHUNK, type ChunkOptions } from "./chunk.js";
export { readCorpus, parseCorpusDocument, CorpusDocumentSchema } from "./corpus.js";
export { LocalSearch, type LocalSearchOptions } from "./local.js";
export {
  buildIndex,
  openIndex,
  manifestPath,
  IndexManifestSchema,
  type IndexManifest,
  type BuildIndexOptions,
  type BuiltIndex,
} from "./persist.js";
export { formatPassages, UNTRUSTED_OPEN, UNTRUSTED_CLOSE, MIN_FORMAT_CHARS } from "./format.js";
export { searchTool, type SearchBackend, type SearchToolOptions } from "./tool.js";
