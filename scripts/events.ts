// `npm run events -- dlq list|replay|purge <queue>`: inspect and repair dead-letter queues on RABBITMQ_URL.
// `npm run events -- topology declare`: declare every consumer queue and binding ahead of the services.
import { parseArgs } from 'node:util';
import { QUEUES, TOPOLOGY } from '@microbazaar/contracts';
import { RabbitBus } from '@microbazaar/kit/bus/index';

const USAGE = `usage: npm run events -- dlq <command> <queue> [options]
       npm run events -- topology declare

  topology declare                        declare every consumer queue with its bindings (run at deploy,
                                          before the services: events published before a consumer's
                                          first start then wait in its queue)

  dlq list <queue> [--limit N] [--json]   show messages of <queue>.dlq (they stay there)
  dlq replay <queue> [--id <eventId>]     move all messages, or the one event, back onto <queue>
  dlq purge <queue>                       delete every message of <queue>.dlq

  <queue> is a consumer queue: ${Object.values(QUEUES).join(', ')}
  RABBITMQ_URL names the broker (default amqp://guest:guest@127.0.0.1:5672).
  The in-memory bus of \`npm start\` lives inside that process and is not reachable from here.
  --prefix P   name prefix of exchanges and queues (default BUS_PREFIX; test buses only)`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    id: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
    // the same default as the services' (BUS_PREFIX), so a deploy job declares the names they will use
    prefix: { type: 'string', default: process.env.BUS_PREFIX ?? '' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const [group, command, queue] = positionals;
const openBus = () =>
  new RabbitBus({
    url: process.env.RABBITMQ_URL || 'amqp://guest:guest@127.0.0.1:5672',
    name: 'events-cli',
    prefix: values.prefix,
    publishTimeoutMs: 5000,
  });

if (values.help || (group !== 'dlq' && group !== 'topology') || !command) fail(USAGE, values.help ? 0 : 2);
if (group === 'topology') {
  if (command !== 'declare') fail(`unknown command "${command}"\n\n${USAGE}`);
  const bus = openBus();
  try {
    for (const q of await bus.declareTopology(TOPOLOGY)) console.log(`declared ${q}`);
  } catch (err) {
    console.error(`events topology declare failed: ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    await bus.close();
  }
  process.exit();
}
if (!['list', 'replay', 'purge'].includes(command)) fail(`unknown command "${command}"\n\n${USAGE}`);
if (!queue) fail(`missing <queue>\n\n${USAGE}`);
const limit = values.limit === undefined ? 100 : Number(values.limit);
if (!Number.isInteger(limit) || limit < 1) fail('--limit must be a positive integer');

const bus = openBus();

try {
  if (command === 'list') {
    const letters = await bus.deadLetters.list(queue, { limit });
    if (values.json) {
      console.log(JSON.stringify(letters, null, 2));
    } else if (letters.length === 0) {
      console.log(`${queue}.dlq is empty`);
    } else {
      console.log(
        `${letters.length} message(s) in ${queue}.dlq${letters.length === limit ? ` (first ${limit})` : ''}:`,
      );
      for (const l of letters) {
        console.log(
          `- ${l.id ?? '(no id)'}  ${l.type ?? '(unknown type)'}  ${l.reason} after ${l.attempts} attempt(s) at ${l.failedAt ?? '?'}\n    ${l.error}`,
        );
      }
    }
  } else if (command === 'replay') {
    const n = await bus.deadLetters.replay(queue, values.id ? { id: values.id } : {});
    console.log(`replayed ${n} message(s) from ${queue}.dlq onto ${queue}`);
    if (values.id && n === 0) process.exitCode = 1;
  } else {
    const n = await bus.deadLetters.purge(queue);
    console.log(`purged ${n} message(s) from ${queue}.dlq`);
  }
} catch (err) {
  console.error(`events ${command} failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await bus.close();
}
