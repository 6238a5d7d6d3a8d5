// The Dockerfile as data (dockerfile-ast), and its stages run natively: no Docker engine runs here, so a
// target's stages are replayed command by command in a folder per stage standing for the image's root.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { DockerfileParser, type Instruction, type JSONInstruction } from 'dockerfile-ast';

export interface Step {
  keyword: string;
  /** arguments without flags, line continuations joined */
  args: string;
  flags: Record<string, string>;
  /** CMD/ENTRYPOINT in exec form */
  json?: string[];
}

export interface Stage {
  name: string;
  /** the image or earlier stage it starts from (build args resolved) */
  from: string;
  parent?: Stage;
  steps: Step[];
}

export interface ImageConfig {
  env: Record<string, string>;
  user: string;
  workdir: string;
  cmd: string[];
  healthcheck?: { flags: Record<string, string>; cmd: string[] };
  stopsignal?: string;
  expose: string[];
}

function stepOf(instruction: Instruction): Step {
  const flags: Record<string, string> = {};
  const withFlags = instruction as Instruction & {
    getFlags?: () => Array<{ getName(): string; getValue(): string | null }>;
  };
  for (const flag of withFlags.getFlags?.() ?? []) flags[flag.getName()] = flag.getValue() ?? '';
  const keyword = instruction.getKeyword();
  // the raw text with line continuations joined: the shell gets every other backslash, as from Docker
  const raw = (instruction.getRawArgumentsContent() ?? '').replace(/\\\r?\n/g, ' ');
  const args = Object.keys(flags).length ? raw.replace(/^(\s*--\S+)+\s*/, '') : raw;
  const step: Step = { keyword, args, flags };
  if (keyword === 'CMD' || keyword === 'ENTRYPOINT') {
    const strings = (instruction as JSONInstruction).getJSONStrings();
    if (strings.length) step.json = strings.map((s) => s.getJSONValue());
  }
  return step;
}

export function parseDockerfile(file: string): { stages: Stage[]; args: Record<string, string>; text: string } {
  const text = readFileSync(file, 'utf8');
  const dockerfile = DockerfileParser.parse(text);
  const args: Record<string, string> = {};
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property) args[property.getName()] = property.getValue() ?? '';
  }
  const stages: Stage[] = [];
  let current: Stage | undefined;
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const [image = '', , name = ''] = (instruction.getArgumentsContent() ?? '').split(/\s+/);
      const from = image.replace(/\$\{(\w+)\}/g, (_, v: string) => args[v] ?? '');
      const parent = stages.find((s) => s.name === from);
      current = { name: name || String(stages.length), from, ...(parent ? { parent } : {}), steps: [] };
      stages.push(current);
    } else if (current) {
      current.steps.push(stepOf(instruction));
    }
  }
  return { stages, args, text };
}

/** The image configuration a stage ends with, inherited through the stages it starts from. */
export function imageConfig(stage: Stage): ImageConfig {
  const config: ImageConfig = stage.parent
    ? structuredClone(imageConfig(stage.parent))
    : { env: {}, user: 'root', workdir: '/', cmd: [], expose: [] };
  for (const step of stage.steps) {
    switch (step.keyword) {
      case 'ENV':
        for (const [, k, v] of step.args.matchAll(/(\w+)=("[^"]*"|\S*)/g)) config.env[k!] = v!.replace(/^"|"$/g, '');
        break;
      case 'USER':
        config.user = step.args.trim();
        break;
      case 'WORKDIR':
        config.workdir = step.args.trim().startsWith('/') ? step.args.trim() : join(config.workdir, step.args.trim());
        break;
      case 'CMD':
        config.cmd = step.json ?? ['/bin/sh', '-c', step.args];
        break;
      case 'HEALTHCHECK': {
        const match = /^CMD\s+(\[.*\])\s*$/s.exec(step.args.trim());
        config.healthcheck = { flags: step.flags, cmd: match ? (JSON.parse(match[1]!) as string[]) : [] };
        break;
      }
      case 'STOPSIGNAL':
        config.stopsignal = step.args.trim();
        break;
      case 'EXPOSE':
        config.expose.push(...step.args.trim().split(/\s+/));
        break;
    }
  }
  return config;
}

/** The stages a target is built from, first to last. */
export function chain(stages: readonly Stage[], target: string): Stage[] {
  const stage = stages.find((s) => s.name === target);
  if (!stage) throw new Error(`no stage "${target}" in the Dockerfile`);
  return stage.parent ? [...chain(stages, stage.parent.name), stage] : [stage];
}

/** Every stage a target needs: its chain and, recursively, the stages it copies from. */
export function needs(stages: readonly Stage[], target: string): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    for (const stage of chain(stages, name)) {
      for (const step of stage.steps) if (step.flags.from && !seen.has(step.flags.from)) visit(step.flags.from);
      seen.add(stage.name);
    }
  };
  visit(target);
  return [...seen];
}

/** Copies the build context (the repository minus .dockerignore) into dest. */
export function copyContext(root: string, dest: string): number {
  const ignoreFile = join(root, '.dockerignore');
  const ig = dockerignore.default().add(existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8').split('\n') : []);
  let files = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const abs = join(dir, name);
      const rel = relative(root, abs);
      if (ig.ignores(rel)) continue;
      if (statSync(abs).isDirectory()) {
        walk(abs);
      } else {
        mkdirSync(join(dest, relative(root, dir)), { recursive: true });
        cpSync(abs, join(dest, rel));
        files++;
      }
    }
  };
  walk(root);
  return files;
}

export interface ReplayOptions {
  /** the build context (the repository) */
  context: string;
  /** where each stage's root folder is made */
  workDir: string;
  /** environment for RUN steps beside the stage's ENV (PATH, HOME, npm settings) */
  env: Record<string, string | undefined>;
  log?: (line: string) => void;
}

/**
 * Replays the stages of a target: each stage is a folder standing for the image's root; FROM an image starts
 * empty (the base image's node and npm are this machine's), FROM a stage starts from a copy of it; COPY takes
 * from the context or another stage, RUN runs with /bin/sh in WORKDIR. Returns each stage's root folder.
 * Stages already in `done` are not run again.
 */
export function replay(
  stages: readonly Stage[],
  target: string,
  opts: ReplayOptions,
  done: Map<string, string> = new Map(),
): Map<string, string> {
  for (const name of needs(stages, target)) {
    if (done.has(name)) continue;
    const stage = stages.find((s) => s.name === name)!;
    const root = join(opts.workDir, name);
    if (stage.parent) cpSync(done.get(stage.parent.name)!, root, { recursive: true, verbatimSymlinks: true });
    else mkdirSync(root, { recursive: true });
    const config = stage.parent ? imageConfig(stage.parent) : imageConfig({ ...stage, steps: [] });
    const inRoot = (path: string, base: string) => join(root, path.startsWith('/') ? path : join(base, path));
    for (const step of stage.steps) {
      const started = Date.now();
      switch (step.keyword) {
        case 'WORKDIR':
          config.workdir = step.args.trim().startsWith('/') ? step.args.trim() : join(config.workdir, step.args.trim());
          mkdirSync(join(root, config.workdir), { recursive: true });
          break;
        case 'ENV':
          for (const [, k, v] of step.args.matchAll(/(\w+)=("[^"]*"|\S*)/g)) config.env[k!] = v!.replace(/^"|"$/g, '');
          break;
        case 'COPY': {
          const parts = step.args.trim().split(/\s+/);
          const dest = inRoot(parts.pop()!, config.workdir);
          for (const src of parts) {
            if (step.flags.from) {
              const fromRoot = done.get(step.flags.from);
              if (!fromRoot) throw new Error(`COPY --from=${step.flags.from} before that stage`);
              const from = join(fromRoot, src);
              if (!existsSync(from))
                throw new Error(`COPY --from=${step.flags.from} ${src}: no such file in that stage`);
              cpSync(from, statSync(from).isDirectory() ? dest : join(dest, basename(src)), {
                recursive: true,
                verbatimSymlinks: true,
              });
            } else if (src === '.') {
              copyContext(opts.context, dest);
            } else {
              cpSync(join(opts.context, src), dest, { recursive: true });
            }
          }
          break;
        }
        case 'RUN':
          try {
            execFileSync('/bin/sh', ['-c', step.args], {
              cwd: join(root, config.workdir),
              env: { ...opts.env, ...config.env },
              stdio: ['ignore', 'pipe', 'pipe'],
              maxBuffer: 64 * 1024 * 1024,
            });
          } catch (err) {
            const { stdout, stderr } = err as { stdout?: Buffer; stderr?: Buffer };
            throw new Error(
              `[${name}] RUN ${step.args}\nfailed: ${(err as Error).message.split('\n')[0]}\n${String(stdout ?? '').slice(-3000)}\n${String(stderr ?? '').slice(-3000)}`,
            );
          }
          break;
      }
      if (step.keyword === 'RUN' || step.keyword === 'COPY')
        opts.log?.(`[${name}] ${step.keyword} ${step.args.slice(0, 90)} (${Date.now() - started} ms)`);
    }
    done.set(name, root);
  }
  return done;
}
