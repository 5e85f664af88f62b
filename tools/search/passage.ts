/** One document of a user's corpus, as read from a JSONL line. */
export interface CorpusDocument {
  id: string;
  title: string;
  text: string;
}

/**
 * One retrieved passage. For the local index `id` is `${docId}#${n}` (n counts the document's passages from 0);
 * a backend of your own may set `url`, which is then shown as the passage's source.
 */
export interface Passage {
  id: string;
  docId: string;
  title: string;
  text: string;
  score: number;
  url?: string;
}
