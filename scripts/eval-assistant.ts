// `npm run eval:assistant`: the assistant's evaluation over the demo catalog. Precision@5 of
// GET /api/assistant/search and of plain GET /api/products?q= side by side (relevance judged by the
// products' category, attributes and price: services/assistant/eval/cases.ts), and the chat's intent
// accuracy on support and chit-chat lines. Starts the embedded platform (`npm start`, in this process,
// on free ports and a scratch data folder) unless EVAL_GATEWAY_URL points at a running one (then
// EVAL_ASSISTANT_URL, the assistant's own address, is read for its index size).
// EVAL_VERBOSE=1 prints every answer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@microbazaar/kit/testing';
import { INTENT_CASES, SEARCH_CASES } from '../services/assistant/eval/cases.js';
import { isRelevant, type JudgedProduct, precisionAt } from '../services/assistant/eval/judge.js';

const K = 5;
const VERBOSE = process.env.EVAL_VERBOSE === '1';

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface Target {
  gateway: string;
  assistant?: string | undefined;
  stop(): Promise<void>;
}

async function startTarget(): Promise<Target> {
  if (process.env.EVAL_GATEWAY_URL) {
    return { gateway: process.env.EVAL_GATEWAY_URL, assistant: process.env.EVAL_ASSISTANT_URL, stop: async () => {} };
  }
  const { DEFAULT_PORTS, startPlatform } = await import('@microbazaar/platform/platform');
  const dataDir = mkdtempSync(join(tmpdir(), 'microbazaar-eval-'));
  const ports: Record<string, string> = {};
  for (const name of Object.keys(DEFAULT_PORTS)) ports[`${name.toUpperCase()}_PORT`] = String(await freePort());
  const started = Date.now();
  const platform = await startPlatform({
    PATH: process.env.PATH,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    WEB_DIR: 'off',
    RATE_LIMIT_PER_MINUTE: '0',
    ASSISTANT_CHAT_RATE_LIMIT: '0',
    ...ports,
  });
  console.log(
    `embedded platform up in ${((Date.now() - started) / 1000).toFixed(1)} s (demo catalog: ${platform.demoProducts})`,
  );
  return {
    gateway: platform.urls.gateway,
    assistant: platform.urls.assistant,
    stop: async () => {
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function wholeCatalog(gateway: string): Promise<JudgedProduct[]> {
  const all: JudgedProduct[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: JudgedProduct[]; nextCursor: string | null } = await json(
      `${gateway}/api/products?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** Waits until the assistant's index holds the catalog (it reads it in the background after the start). */
async function waitIndexed(target: Target, total: number): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    let indexed = -1;
    if (target.assistant) {
      const metrics = await (await fetch(`${target.assistant}/metrics`)).text();
      indexed = Number(/^assistant_catalog_products(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? -1);
      if (indexed >= total) return;
    } else {
      // no metrics to read: the last product of the catalog is findable by its name
      return;
    }
    if (Date.now() > deadline) throw new Error(`the assistant indexed ${indexed} of ${total} products in time`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

async function main(): Promise<void> {
  const target = await startTarget();
  try {
    const catalog = await wholeCatalog(target.gateway);
    const byId = new Map(catalog.map((p) => [p.id, p]));
    await waitIndexed(target, catalog.length);

    const rows: Array<{ q: string; relevant: number; assistant: number; plain: number; aAtt: number; pAtt: number }> =
      [];
    const empty: string[] = [];
    for (const c of SEARCH_CASES) {
      const relevant = catalog.filter((p) => isRelevant(p, c)).length;
      if (relevant === 0) empty.push(c.q);
      const q = encodeURIComponent(c.q);
      const [assistant, plain] = await Promise.all([
        json<{ items: Array<{ id: string }> }>(`${target.gateway}/api/assistant/search?q=${q}&limit=${K}`),
        json<{ items: JudgedProduct[] }>(`${target.gateway}/api/products?q=${q}&limit=${K}`),
      ]);
      const assistantProducts = assistant.items.map((i) => byId.get(i.id)).filter((p): p is JudgedProduct => !!p);
      const a = precisionAt(K, assistantProducts, c, relevant);
      const p = precisionAt(K, plain.items, c, relevant);
      rows.push({
        q: c.q,
        relevant,
        assistant: a.precision,
        plain: p.precision,
        aAtt: a.attainable,
        pAtt: p.attainable,
      });
      if (VERBOSE) {
        console.log(`\n${c.q}  (relevant in catalog: ${relevant})`);
        console.log(
          `  assistant ${a.hits}/${K}: ${assistantProducts.map((x) => `${isRelevant(x, c) ? '✓' : '✗'} ${x.name}`).join(' · ')}`,
        );
        console.log(
          `  plain     ${p.hits}/${K}: ${plain.items.map((x) => `${isRelevant(x, c) ? '✓' : '✗'} ${x.name}`).join(' · ')}`,
        );
      }
    }

    console.log(
      `\nSearch over the demo catalog (${catalog.length} products), ${SEARCH_CASES.length} queries, precision@${K}:`,
    );
    console.log('| query | relevant in catalog | assistant | plain `GET /api/products?q=` |');
    console.log('| --- | ---: | ---: | ---: |');
    for (const r of rows) console.log(`| ${r.q} | ${r.relevant} | ${r.assistant * K}/${K} | ${r.plain * K}/${K} |`);
    const summary = {
      assistant: mean(rows.map((r) => r.assistant)),
      plain: mean(rows.map((r) => r.plain)),
      assistantAttainable: mean(rows.map((r) => r.aAtt)),
      plainAttainable: mean(rows.map((r) => r.pAtt)),
      assistantAnswered: rows.filter((r) => r.assistant > 0).length,
      plainAnswered: rows.filter((r) => r.plain > 0).length,
    };

    let right = 0;
    const wrong: string[] = [];
    for (const c of INTENT_CASES) {
      const answer = await json<{ intent: string }>(`${target.gateway}/api/assistant/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: c.message }),
      });
      if (answer.intent === c.intent) right++;
      else wrong.push(`  "${c.message}": ${answer.intent}, expected ${c.intent}`);
    }

    console.log(`\nprecision@${K}          assistant ${pct(summary.assistant)}   plain search ${pct(summary.plain)}`);
    console.log(
      `precision@${K} (of what the catalog allows)  assistant ${pct(summary.assistantAttainable)}   plain search ${pct(summary.plainAttainable)}`,
    );
    console.log(
      `queries with a right answer in the top ${K}  assistant ${summary.assistantAnswered}/${rows.length}   plain search ${summary.plainAnswered}/${rows.length}`,
    );
    console.log(`intent accuracy        ${right}/${INTENT_CASES.length} (${pct(right / INTENT_CASES.length)})`);
    if (wrong.length) console.log(`misread:\n${wrong.join('\n')}`);
    if (empty.length) console.log(`\nwarning: no product of the catalog is relevant to: ${empty.join('; ')}`);
  } finally {
    await target.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
