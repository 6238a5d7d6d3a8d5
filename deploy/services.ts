// The deployable services, read from deploy/services.json: the one table every deploy artifact and its tests follow.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import table from './services.json' with { type: 'json' };

export interface DeployedService {
  name: string;
  port: number;
  /** reachable from outside the cluster (only the gateway) */
  public: boolean;
  /** its PostgreSQL schema; null when it keeps no SQL */
  database: string | null;
  cache: boolean;
  bus: boolean;
  /** its RabbitMQ consumer queue */
  queue: string | null;
  /** services it calls over HTTP */
  calls: string[];
  /** outside endpoints it reaches */
  egress: string[];
  /** scaled on CPU */
  autoscale: boolean;
  /** MiB a replica may use: the Kubernetes memory limit, the Fargate task size */
  memory: number;
}

export const ROOT = join(import.meta.dirname, '..');

/**
 * Node flags of every built service (the images' CMD, `npm run start:prod`): V8's young generation grows to
 * 2 × 16 MiB by default and stays resident; 4 MiB semi-spaces take ~20 MiB off each idle process at no
 * measurable CPU cost per request here (1 MiB cost ~15%). See README "Memory and start time".
 */
export const RUNTIME_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

export const SERVICES: readonly DeployedService[] = table.services;

export const SERVICE_NAMES: readonly string[] = SERVICES.map((s) => s.name);

/** Whether the service's code is in this checkout yet (a row may come before its service lands). */
export function hasSource(name: string, root: string = ROOT): boolean {
  return existsSync(join(root, 'services', name, 'src', 'main.ts'));
}

/** The services of the table whose code is in this checkout. */
export function presentServices(root: string = ROOT): DeployedService[] {
  return SERVICES.filter((s) => hasSource(s.name, root));
}

export function service(name: string): DeployedService {
  const found = SERVICES.find((s) => s.name === name);
  if (!found) throw new Error(`no service "${name}" in deploy/services.json`);
  return found;
}
