// Retrieval quality of one question's results: recall@k and reciprocal rank. Pure functions.
//
// `results`: the ranked hits, best first — document ids (strings) or hits with a `document_id`
// (or `id`). Several chunks of one document count once, at the rank of its first chunk.
// `expected`: the id of the document that answers the question, or a list of them.

const idOf = (result) => (typeof result === 'string' ? result : (result?.document_id ?? result?.id));

/** Ranked unique document ids. */
export const rankedDocuments = (results) => {
  const seen = new Set();
  const out = [];
  for (const result of results ?? []) {
    const id = idOf(result);
    if (id === undefined || id === null || seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
};

const expectedSet = (expected) => new Set(Array.isArray(expected) ? expected : [expected]);

/** The share of the expected documents found in the first k documents (0..1). */
export const recallAt = (k, results, expected) => {
  const wanted = expectedSet(expected);
  if (wanted.size === 0) return 0;
  const top = rankedDocuments(results).slice(0, k);
  return top.filter((id) => wanted.has(id)).length / wanted.size;
};

/** 1 / the rank of the first expected document (ranks from 1), or 0 when none was found. */
export const mrr = (results, expected) => {
  const wanted = expectedSet(expected);
  const index = rankedDocuments(results).findIndex((id) => wanted.has(id));
  return index === -1 ? 0 : 1 / (index + 1);
};

/** Means over questions: `runs` is a list of { results, expected }. */
export const summarize = (runs, k = 5) => {
  const n = runs.length;
  const mean = (f) => (n === 0 ? 0 : runs.reduce((sum, run) => sum + f(run), 0) / n);
  return {
    questions: n,
    [`recall_at_${k}`]: mean((run) => recallAt(k, run.results, run.expected)),
    mrr: mean((run) => mrr(run.results, run.expected)),
  };
};
