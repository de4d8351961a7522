import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../build';
import { COMPONENTS } from '../components';
import { COMMANDS } from '../moim';
import { ADMIN } from './manifests';

// The Dockerfile's lint: no Docker engine (nor hadolint: not in Debian bookworm, no npm binary)
// runs here, so the image is never built in CI. dockerfile-utils checks the syntax and
// instructions; the rules below are the ones that matter for this image. Each rule is shown to
// fail on a broken copy of the file.
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const DOCKERIGNORE = readFileSync(join(ROOT, '.dockerignore'), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
  line: number;
}
interface Stage {
  image: string;
  name?: string;
}

/** Instructions with their continuation lines joined and comments dropped, and the stages. */
function parse(text: string): { instructions: Instruction[]; stages: Stage[] } {
  const instructions: Instruction[] = [];
  const stages: Stage[] = [];
  let pending: { text: string; line: number } | null = null;
  text.split('\n').forEach((raw, index) => {
    if (/^\s*#/.test(raw)) return;
    if (!pending && !raw.trim()) return;
    const continued = /\\\s*$/.test(raw);
    const part = raw.replace(/\\\s*$/, '').trim();
    pending = pending ? { ...pending, text: `${pending.text} ${part}` } : { text: part, line: index + 1 };
    if (continued) return;
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(pending.text) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      const [image = '', as, name] = args.replace(/--\S+\s+/g, '').split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined });
    }
    instructions.push({ keyword: keyword.toUpperCase(), args, stage: stages.length - 1, line: pending.line });
    pending = null;
  });
  return { instructions, stages };
}

/** `--from=build --chown=node` and the rest. */
function flags(args: string): { flags: Record<string, string>; rest: string[] } {
  const words = args.split(/\s+/).filter(Boolean);
  const found: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [key, value = ''] = words.shift()!.slice(2).split('=');
    found[key!] = value;
  }
  return { flags: found, rest: words };
}

/** Whether .dockerignore leaves `path` (relative to the context) out: it or a folder above it matches. */
function ignored(path: string, dockerignore: string): boolean {
  const patterns = dockerignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const regex = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/^\/+|\/+$/g, '')
        .split(/(\*\*\/?|\*|\?)/)
        .map((part) =>
          part === '**/' || part === '**'
            ? '(?:.*/)?'
            : part === '*'
              ? '[^/]*'
              : part === '?'
                ? '[^/]'
                : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
        )
        .join('')}$`,
    );
  const clean = path.replace(/^\.\/|\/$/g, '');
  if (!clean || clean === '.') return false;
  const segments = clean.split('/');
  const candidates = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
  let out = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const re = regex(negated ? pattern.slice(1) : pattern);
    if (candidates.some((c) => re.test(c))) out = !negated;
  }
  return out;
}

/** Every workspace folder, from the lockfile (what `npm ci` needs the manifest of). */
function workspaces(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, unknown>;
  };
  return Object.keys(lock.packages).filter((path) => path && !path.includes('node_modules'));
}

const inRange = (port: number, spec: string) => {
  const [low, high = low] = spec
    .replace(/\/tcp$/, '')
    .split('-')
    .map(Number);
  return port >= low! && port <= high!;
};

/** Stage `index` and the stages it is built FROM, nearest first (`FROM base AS toolchain`). */
function ancestry(stages: Stage[], index: number): number[] {
  const chain = [index];
  for (;;) {
    const current = chain.at(-1)!;
    const parent = stages.slice(0, current).findLastIndex((s) => s.name === stages[current]!.image);
    if (parent < 0) return chain;
    chain.push(parent);
  }
}

/** The packages of a RUN's `apt-get install`s. */
function aptPackages(args: string): string[] {
  return args
    .split(/&&|;|\|\|/)
    .map((command) => /\bapt(?:-get)? install\b(.*)$/.exec(command)?.[1] ?? '')
    .flatMap((rest) => rest.split(/\s+/))
    .filter((word) => word && !word.startsWith('-'));
}

/** What builds native addons (node-gyp's needs), and what must not be in the runtime. */
const TOOLCHAIN = ['python3', 'make', 'g++'];
const COMPILERS = /^(g\+\+|gcc|cc|c\+\+|clang|build-essential|make|python3?)(-[\w.]+)?$/;

/** What is wrong with a Dockerfile for this image (empty: nothing). */
function dockerfileProblems(text: string, dockerignore = DOCKERIGNORE): string[] {
  const problems: string[] = [];
  for (const d of validate(text))
    problems.push(`line ${d.range.start.line + 1}: ${d.message} (dockerfile-utils)`);
  const { instructions, stages } = parse(text);
  const final = stages.length - 1;
  const inFinal = instructions.filter((i) => i.stage === final);
  const stageNames = (before: number) => stages.slice(0, before).map((s) => s.name);

  // Base images: a tag or a digest, never latest.
  stages.forEach(({ image }, index) => {
    if (stageNames(index).includes(image)) return;
    const ref =
      /^(?<name>[a-z0-9][\w./-]*?)(?::(?<tag>[\w][\w.-]*))?(?:@(?<digest>sha256:[0-9a-f]{64}))?$/.exec(image);
    if (!ref) problems.push(`FROM ${image}: not an image reference`);
    else if (!ref.groups!.tag && !ref.groups!.digest)
      problems.push(`FROM ${image}: base image not pinned (no tag)`);
    else if (ref.groups!.tag === 'latest') problems.push(`FROM ${image}: base image not pinned (latest)`);
  });

  // A non-root user runs the final stage, by number: kubelet's runAsNonRoot check and Pod Security
  // "restricted" can only verify a numeric user.
  const userProblem = (where: string, own: Instruction[]) => {
    const userSpec = own.filter((i) => i.keyword === 'USER').at(-1)?.args;
    const [user, group] = userSpec?.split(':') ?? [];
    if (!user) problems.push(`${where}: no USER (it would run as root)`);
    else if (user === 'root' || /^0+$/.test(user)) problems.push(`${where}: USER ${userSpec} is root`);
    else if (!/^\d+$/.test(user) || (group !== undefined && !/^\d+$/.test(group)))
      problems.push(`${where}: USER ${userSpec} is not numeric (uid:gid)`);
  };
  userProblem('final stage', inFinal);

  // tini first, then Node on the bundle: no TypeScript runner.
  const entrypoint = inFinal.filter((i) => i.keyword === 'ENTRYPOINT').at(-1);
  let argv: string[] = [];
  try {
    argv = entrypoint ? (JSON.parse(entrypoint.args) as string[]) : [];
  } catch {
    problems.push('ENTRYPOINT: not in JSON (exec) form: a shell would be PID 1 and keep signals from Node');
  }
  if (!entrypoint) problems.push('final stage: no ENTRYPOINT');
  else if (argv.length) {
    if (!/(^|\/)tini$/.test(argv[0]!) || argv[1] !== '--')
      problems.push(`ENTRYPOINT: tini is not the init (${entrypoint.args})`);
    if (!argv.includes('node') || !argv.some((a) => /(^|\/)dist\/moim\.js$/.test(a)))
      problems.push(`ENTRYPOINT: does not run node dist/moim.js (${entrypoint.args})`);
    if (argv.some((a) => /tsx|ts-node|\.ts$/.test(a)))
      problems.push(`ENTRYPOINT: runs TypeScript through a runner (${entrypoint.args})`);
  }
  const cmd = inFinal.filter((i) => i.keyword === 'CMD').at(-1);
  const cmdArgs = cmd ? (JSON.parse(cmd.args) as string[]) : [];
  if (!cmd || !COMMANDS.includes(cmdArgs[0]!)) problems.push(`CMD: not one of the commands (${cmd?.args})`);

  const runsCi = (i: Instruction) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args);
  /** The instructions a stage sees before `line`: its ancestors' and its own earlier ones. */
  const seen = (stage: number, line: number) => {
    const chain = ancestry(stages, stage);
    return instructions.filter((i) => chain.includes(i.stage) && (i.stage !== stage || i.line < line));
  };

  for (const ci of instructions.filter(runsCi)) {
    const before = seen(ci.stage, ci.line);
    // Every workspace's manifest is copied before each `npm ci` (npm ci refuses a lockfile whose
    // workspaces are missing), in its stage or a stage it is built FROM.
    const copied = before
      .filter((i) => i.keyword === 'COPY' && flags(i.args).flags.from === undefined)
      .flatMap((i) => flags(i.args).rest.slice(0, -1));
    for (const manifest of [
      'package.json',
      'package-lock.json',
      ...workspaces().map((w) => `${w}/package.json`),
    ])
      if (!copied.includes(manifest) && !copied.includes('.'))
        problems.push(`line ${ci.line}: npm ci before ${manifest} is copied`);
    // Native addons are compiled at install (argon2's prebuilds need Node-API 10, Node 20 has 9;
    // decision 0002): node-gyp's python3, make and g++ are installed before each `npm ci`.
    const installed = before.filter((i) => i.keyword === 'RUN').flatMap((i) => aptPackages(i.args));
    for (const tool of TOOLCHAIN)
      if (!installed.includes(tool))
        problems.push(`line ${ci.line}: npm ci without ${tool} installed (native addons are compiled)`);
  }

  // The runtime's node_modules: production dependencies only, installed on the runtime's base image
  // (native addons are built for its Node ABI and libc), and no compiler in the runtime.
  const root = (stage: number) => stages[ancestry(stages, stage).at(-1)!]!.image;
  const providers = inFinal.some(runsCi)
    ? [final]
    : inFinal
        .filter((i) => i.keyword === 'COPY' && flags(i.args).flags.from !== undefined)
        .filter((i) =>
          flags(i.args)
            .rest.slice(0, -1)
            .some((source) => {
              const path = source.replace(/\/+$/, '') || '/';
              return (
                ['/', '/app', '/app/node_modules'].includes(path) || path.startsWith('/app/node_modules/')
              );
            }),
        )
        .map((i) => stages.findLastIndex((s) => s.name === flags(i.args).flags.from));
  if (!providers.length) problems.push('final stage: no node_modules (no `npm ci`, no COPY --from of them)');
  for (const provider of providers.filter((p) => p >= 0)) {
    const name = stages[provider]!.name ?? String(provider);
    const lastCi = instructions
      .filter((i) => ancestry(stages, provider).includes(i.stage) && runsCi(i))
      .sort((a, b) => a.line - b.line)
      .at(-1);
    if (!lastCi || !/\bnpm ci\b[^&;|]*--omit=dev\b/.test(lastCi.args))
      problems.push(`final stage: node_modules of ${name}, not of an \`npm ci --omit=dev\``);
    if (root(provider) !== root(final))
      problems.push(
        `final stage: node_modules built on ${root(provider)}, the runtime is ${root(final)} (native addons' ABI)`,
      );
  }
  const finalChain = ancestry(stages, final);
  for (const run of instructions.filter((i) => finalChain.includes(i.stage) && i.keyword === 'RUN'))
    for (const pkg of aptPackages(run.args).filter((p) => COMPILERS.test(p)))
      problems.push(
        `line ${run.line}: ${pkg} in the runtime stage (build native addons in an earlier stage)`,
      );

  // apt: no recommended packages, the lists removed in the same layer.
  for (const run of instructions.filter(
    (i) => i.keyword === 'RUN' && /\bapt(-get)? install\b/.test(i.args),
  )) {
    if (!/--no-install-recommends\b/.test(run.args))
      problems.push(`line ${run.line}: apt-get install without --no-install-recommends`);
    if (!/rm -rf \/var\/lib\/apt\/lists/.test(run.args))
      problems.push(`line ${run.line}: apt lists not removed in the same RUN`);
    if (!/apt-get update/.test(run.args)) problems.push(`line ${run.line}: apt-get install without update`);
    if (!/\s(-y|--yes|--assume-yes)\b/.test(run.args))
      problems.push(`line ${run.line}: apt-get install would ask (no --yes)`);
  }

  // COPY and ADD: from an earlier stage, or from the context (existing and not .dockerignored).
  for (const copy of instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
    const { flags: f, rest } = flags(copy.args);
    if (copy.keyword === 'ADD') problems.push(`line ${copy.line}: ADD (use COPY)`);
    if (f.from !== undefined) {
      if (!stageNames(copy.stage).includes(f.from))
        problems.push(`line ${copy.line}: COPY --from=${f.from}: no earlier stage of that name`);
      continue;
    }
    for (const source of rest.slice(0, -1)) {
      if (!existsSync(join(ROOT, source)))
        problems.push(`line ${copy.line}: COPY ${source}: not in the repository`);
      else if (ignored(source, dockerignore))
        problems.push(`line ${copy.line}: COPY ${source}: left out of the context by .dockerignore`);
    }
  }

  // Every component's ports are exposed.
  const exposed = inFinal.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
  for (const c of COMPONENTS)
    for (const port of [c.port, c.metricsPort].filter((p): p is number => p !== undefined))
      if (!exposed.some((spec) => inRange(port, spec)))
        problems.push(`EXPOSE: ${c.name}'s port ${port} missing`);

  problems.push(...adminProblems(instructions, stages, userProblem));
  return problems;
}

/** What the admin console's image (`--target admin`) must hold: ADMIN's server, its build, its user. */
function adminProblems(
  instructions: Instruction[],
  stages: Stage[],
  userProblem: (where: string, own: Instruction[]) => void,
): string[] {
  const problems: string[] = [];
  const admin = stages.findIndex((s) => s.name === ADMIN.name);
  if (admin < 0) return [`no ${ADMIN.name} stage (the console's image: docker build --target ${ADMIN.name})`];
  // `docker build .` builds the last stage: it stays the Node image.
  if (admin === stages.length - 1)
    problems.push(`${ADMIN.name} is the last stage: \`docker build .\` would build it`);
  const own = instructions.filter((i) => i.stage === admin);
  userProblem(`${ADMIN.name} stage`, own);
  const copies = own
    .filter((i) => i.keyword === 'COPY')
    .map((i) => flags(i.args))
    .map(({ flags: f, rest }) => ({ from: f.from, sources: rest.slice(0, -1), target: rest.at(-1) ?? '' }));
  // The console's build, from a stage that runs it, at the path the server serves.
  const builds = copies.filter((c) => c.sources.some((s) => /^\/app\/clients\/admin\/dist\/?$/.test(s)));
  if (!builds.length) problems.push(`${ADMIN.name} stage: no COPY --from of /app/clients/admin/dist`);
  for (const copy of builds) {
    const from = stages.findLastIndex((s, i) => i < admin && s.name === copy.from);
    const built = instructions.some(
      (i) =>
        from >= 0 &&
        ancestry(stages, from).includes(i.stage) &&
        i.keyword === 'RUN' &&
        /\bnpm run build\b.*(-w|--workspace)[ =]@moim\/admin\b/.test(i.args),
    );
    if (!built)
      problems.push(`${ADMIN.name} stage: ${copy.from ?? 'the context'} does not build @moim/admin`);
    if (copy.target.replace(/\/+$/, '') !== ADMIN.htmlRoot + ADMIN.path.replace(/\/+$/, ''))
      problems.push(
        `${ADMIN.name} stage: the build goes to ${copy.target}, not ${ADMIN.htmlRoot}${ADMIN.path}`,
      );
  }
  for (const [source, target] of [
    [ADMIN.nginxConf, '/etc/nginx/nginx.conf'],
    [ADMIN.serverTemplate, `/etc/nginx/templates/${basename(ADMIN.serverTemplate)}`],
  ])
    if (!copies.some((c) => c.from === undefined && c.sources.includes(source!) && c.target === target))
      problems.push(`${ADMIN.name} stage: ${source} is not copied to ${target}`);
  // The entrypoint renders the template into /tmp with the MOIM_* variables, defaults from here.
  const env = Object.fromEntries(
    own
      .filter((i) => i.keyword === 'ENV')
      .flatMap((i) => i.args.split(/\s+/))
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  for (const [key, value] of Object.entries(ADMIN.imageEnv))
    if (env[key] !== value) problems.push(`${ADMIN.name} stage: ENV ${key} is ${env[key]}, not ${value}`);
  const exposedAdmin = own.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
  if (!exposedAdmin.some((spec) => inRange(ADMIN.port, spec)))
    problems.push(`${ADMIN.name} stage: port ${ADMIN.port} not exposed`);
  return problems;
}

describe('the Dockerfile', () => {
  it('passes the lint and every rule', () => {
    expect(dockerfileProblems(DOCKERFILE)).toEqual([]);
  });

  it('has a .dockerignore keeping dependencies, builds, data and secrets out of the context', () => {
    for (const path of [
      'node_modules',
      'services/social/node_modules',
      'dist',
      '.data',
      '.env',
      '.git',
      '.turbo',
    ])
      expect(ignored(path, DOCKERIGNORE), path).toBe(true);
    for (const path of ['package.json', 'services/review/src/schema.graphql', 'gateway/supergraph.graphql'])
      expect(ignored(path, DOCKERIGNORE), path).toBe(false);
  });

  it("keeps the console's sources and nginx files in the context, its local build out", () => {
    for (const path of [
      'clients/admin/index.html',
      'clients/sdk/package.json',
      ADMIN.nginxConf,
      ADMIN.serverTemplate,
    ])
      expect(ignored(path, DOCKERIGNORE), path).toBe(false);
    for (const path of ['clients/admin/dist', 'clients/admin/node_modules', 'clients/admin/test-results'])
      expect(ignored(path, DOCKERIGNORE), path).toBe(true);
  });

  // Each rule catches its fault: the file with one thing broken.
  const replace = (from: string | RegExp, to: string) => {
    const broken = DOCKERFILE.replace(from, to);
    if (broken === DOCKERFILE) throw new Error(`${String(from)} is not in the Dockerfile`);
    return broken;
  };
  /** The same, inside one stage only (both images have a USER line). */
  const replaceIn = (stage: string, from: RegExp, to: string) => {
    const block = new RegExp(`^FROM \\S+ AS ${stage}$[\\s\\S]*?(?=^FROM |(?![\\s\\S]))`, 'm').exec(
      DOCKERFILE,
    )?.[0];
    if (!block) throw new Error(`no stage ${stage}`);
    const changed = block.replace(from, to);
    if (changed === block) throw new Error(`${String(from)} is not in stage ${stage}`);
    return DOCKERFILE.replace(block, () => changed);
  };
  /** The admin stage moved to the end of the file. */
  const adminLast = () => {
    const block = /^FROM \S+ AS admin$[\s\S]*?(?=^# ---- runtime)/m.exec(DOCKERFILE)?.[0];
    if (!block) throw new Error('no admin stage before runtime');
    return `${DOCKERFILE.replace(block, '')}\n${block}`;
  };
  it.each([
    ['a syntax error', replace(/^WORKDIR \/app$/m, 'WORKDIR'), /dockerfile-utils/],
    [
      'an untagged base image',
      replace(/^FROM base AS runtime/m, 'FROM node AS runtime'),
      /not pinned \(no tag\)/,
    ],
    ['latest', replace(/^FROM node:[^\s]+ AS base/m, 'FROM node:latest AS base'), /not pinned \(latest\)/],
    ['no USER', replaceIn('runtime', /^USER 1000:1000$/m, ''), /final stage: no USER/],
    ['USER root', replaceIn('runtime', /^USER 1000:1000$/m, 'USER root'), /final stage: USER root is root/],
    ['USER 0', replaceIn('runtime', /^USER 1000:1000$/m, 'USER 0:0'), /USER 0:0 is root/],
    ['a named USER', replaceIn('runtime', /^USER 1000:1000$/m, 'USER node'), /USER node is not numeric/],
    [
      'a named group',
      replaceIn('runtime', /^USER 1000:1000$/m, 'USER 1000:node'),
      /USER 1000:node is not numeric/,
    ],
    ['no tini', replace('"/usr/bin/tini", "--", ', ''), /tini is not the init/],
    [
      'a shell-form ENTRYPOINT',
      replace(/^ENTRYPOINT .*$/m, 'ENTRYPOINT node /app/dist/moim.js'),
      /JSON \(exec\) form/,
    ],
    [
      'tsx',
      replace('"node", "--enable-source-maps", "/app/dist/moim.js"', '"npx", "tsx", "/app/scripts/moim.ts"'),
      /does not run node dist\/moim\.js[\s\S]*TypeScript through a runner/,
    ],
    ['an unknown CMD', replace('CMD ["gateway"]', 'CMD ["gatewey"]'), /CMD: not one of the commands/],
    [
      'dev dependencies in the image',
      replace('npm ci --omit=dev', 'npm ci'),
      /node_modules of prod-deps, not of an `npm ci --omit=dev`/,
    ],
    [
      "the build stage's node_modules in the image",
      replace('--from=prod-deps /app/', '--from=build /app/'),
      /node_modules of build, not of an `npm ci --omit=dev`/,
    ],
    [
      'no node_modules in the image',
      replace(/^COPY --from=prod-deps .*\n/m, ''),
      /final stage: no node_modules/,
    ],
    [
      'node_modules built on another base image',
      replace(/^FROM base AS runtime$/m, 'FROM node:20.19-alpine AS runtime'),
      /node_modules built on node:20\.19-bookworm-slim, the runtime is node:20\.19-alpine/,
    ],
    [
      'a toolchain on another Node',
      replace(/^FROM base AS toolchain$/m, 'FROM node:22.12-bookworm-slim AS toolchain'),
      /node_modules built on node:22\.12-bookworm-slim, the runtime is node:20\.19-bookworm-slim/,
    ],
    [
      'no g++ for native addons',
      replace('python3 make g++', 'python3 make'),
      /line \d+: npm ci without g\+\+ installed[\s\S]*line \d+: npm ci without g\+\+ installed/,
    ],
    [
      'an install without the toolchain stage',
      replace(/^FROM toolchain AS prod-deps$/m, 'FROM base AS prod-deps'),
      /npm ci before scripts\/package\.json is copied[\s\S]*npm ci without python3 installed/,
    ],
    [
      'the toolchain in the runtime',
      replace(/^FROM base AS runtime$/m, 'FROM toolchain AS runtime'),
      /g\+\+ in the runtime stage/,
    ],
    [
      'a compiler installed in the runtime',
      replace('--no-install-recommends tini', '--no-install-recommends tini gcc'),
      /gcc in the runtime stage/,
    ],
    [
      'a missing workspace manifest',
      replace(/^COPY scripts\/package\.json scripts\/\n/m, ''),
      // Both installs (build and prod-deps) see the toolchain stage's copies.
      /line \d+: npm ci before scripts\/package\.json[\s\S]*line \d+: npm ci before scripts\/package\.json/,
    ],
    ['recommended packages', replace(' --no-install-recommends', ''), /without --no-install-recommends/],
    ['apt lists kept', replace(/\n\s+&& rm -rf \/var\/lib\/apt\/lists\/\*/, ''), /apt lists not removed/],
    [
      'a source not in the repository',
      replace('COPY bench/package.json bench/\n', 'COPY bench/missing.json bench/\n'),
      /COPY bench\/missing\.json: not in the repository/,
    ],
    [
      'an unknown stage',
      replace('--from=build /app/dist/', '--from=builder /app/dist/'),
      /no earlier stage of that name/,
    ],
    ['a port not exposed', replace(/^(EXPOSE .*) 4101-4105/m, '$1'), /review-worker's port 4102 missing/],
    ['no admin stage', replace(/^(FROM \S+) AS admin$/m, '$1 AS console'), /no admin stage/],
    ['the admin stage last', adminLast(), /admin is the last stage/],
    ['the admin image as root', replaceIn('admin', /^USER .*$/m, ''), /admin stage: no USER/],
    [
      'the admin image as nginx',
      replaceIn('admin', /^USER .*$/m, 'USER nginx'),
      /admin stage: USER nginx is not numeric/,
    ],
    [
      "the console's build from a stage that does not build it",
      replace('--from=admin-build /app/clients/admin/dist/', '--from=build /app/clients/admin/dist/'),
      /admin stage: build does not build @moim\/admin/,
    ],
    [
      "the console's build elsewhere",
      replace(' /usr/share/nginx/html/admin/', ' /usr/share/nginx/html/'),
      /the build goes to \/usr\/share\/nginx\/html\/, not \/usr\/share\/nginx\/html\/admin/,
    ],
    [
      "no console's build",
      replace(/^COPY --from=admin-build .*\n/m, ''),
      /no COPY --from of \/app\/clients\/admin\/dist/,
    ],
    [
      "nginx's own server",
      replace(/^COPY deploy\/admin\/moim-admin\.conf\.template .*\n/m, ''),
      /deploy\/admin\/moim-admin\.conf\.template is not copied/,
    ],
    [
      'another default gateway',
      replace('MOIM_GATEWAY_URL=http://gateway:4000', 'MOIM_GATEWAY_URL=http://localhost:4000'),
      /ENV MOIM_GATEWAY_URL is http:\/\/localhost:4000/,
    ],
    [
      'the server rendered onto the read-only filesystem',
      replace('NGINX_ENVSUBST_OUTPUT_DIR=/tmp', 'NGINX_ENVSUBST_OUTPUT_DIR=/etc/nginx/conf.d'),
      /ENV NGINX_ENVSUBST_OUTPUT_DIR is \/etc\/nginx\/conf\.d, not \/tmp/,
    ],
    ["the console's port not exposed", replace(/^EXPOSE 8080\n/m, ''), /admin stage: port 8080 not exposed/],
  ])('fails with %s', (_, broken, expected) => {
    expect(dockerfileProblems(broken).join('\n')).toMatch(expected);
  });

  it('refuses a COPY of something .dockerignore leaves out', () => {
    expect(dockerfileProblems(DOCKERFILE, `${DOCKERIGNORE}\n**/package.json\n`).join('\n')).toMatch(
      /COPY package\.json: left out of the context by \.dockerignore/,
    );
  });
});
