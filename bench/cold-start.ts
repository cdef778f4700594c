import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { nodeRuntime } from '../functions/declaration/runtime';
import { functions, platformEnvironment, type FunctionId } from '../functions/declaration/topology';
import { functionBundling } from '../lib/constructs/topology-functions';
import { percentile } from './harness';

/**
 * Cold start with and without tracing. Each function is bundled as CDK bundles it (esbuild with
 * `functionBundling`: ESM, minified, the runtime's target, the banner, source maps) twice: as it is (Powertools
 * Tracer) and with the tracer module swapped for a no-op (what Lambda's own active tracing costs the code:
 * nothing). Each bundle is then imported in fresh Node processes of the runtime's major, with the variables Lambda
 * sets, and the import is timed: that is the module init Lambda bills at a cold start (the runtime's own start is
 * the same for all and not measured). Variants, interleaved run by run so machine noise spreads evenly:
 * - native: no Powertools Tracer in the bundle (active tracing only: Lambda's segments, no subsegments);
 * - off: the Powertools bundle with POWERTOOLS_TRACE_ENABLED=false (how the twin runs it);
 * - on: the Powertools bundle with tracing on, a sampled trace id and no daemon (segments go to a UDP port
 *   nobody reads; AWS_XRAY_CONTEXT_MISSING=IGNORE_ERROR), as Lambda runs it with active tracing.
 */

/**
 * The cold-start budget: a design figure, not a measured AWS one. Lambda inits a function with the memory it is
 * given, on other hardware; locally, each function's module init must stay under `initMsMedian` and tracing may add
 * at most `tracingAddsMsMedian` to it, and a bundle stays under `bundleMiB` (Lambda reads it from S3 at a cold start).
 */
export const COLD_START_BUDGET = { initMsMedian: 400, tracingAddsMsMedian: 40, bundleMiB: 5 } as const;

/**
 * Issue 15's goals: every bundle as CDK builds it (with the tracer) at most `maxBundleKb`, and importing it at most
 * `maxInitMsOverEmpty` of wall time above a fresh process importing nothing (median of the runs).
 */
export const SLIM_GOALS = { maxBundleKb: 300, maxInitMsOverEmpty: 50 } as const;
/** How many of a bundle's biggest inputs the breakdown names. */
const TOP_INPUTS = 6;

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const TRACER_MODULE = resolve(REPO_ROOT, 'functions/shared/tracer.ts');
/** The tracer's exports as no-ops; checked against the real module's export names before it is used. */
const NO_TRACER = `
export const CORRELATION_ID_ANNOTATION = 'correlationId';
export const traceInvocations = () => ({ before: () => undefined });
export const traced = (client) => client;
export const annotateCorrelationId = () => {};
export const traceRecord = (_name, _correlationId, work) => work();
`;
/** A sampled X-Ray trace header as Lambda sets it for an invocation. */
const FAKE_TRACE_HEADER = 'Root=1-67890abc-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1';
const TIMED_IMPORT = `
const started = performance.now();
const cpu = process.cpuUsage();
if (process.env.COLD_START_BUNDLE) await import(process.env.COLD_START_BUNDLE);
const used = process.cpuUsage(cpu);
const total = process.cpuUsage();
process.stdout.write(JSON.stringify({
  wallMs: performance.now() - started,
  cpuMs: (used.user + used.system) / 1000,
  processCpuMs: (total.user + total.system) / 1000,
}));
`;
interface Sample {
  wallMs: number;
  cpuMs: number;
  /** The process's CPU time from its start to the import done: what an empty process's is subtracted from. */
  processCpuMs: number;
  /** The whole process, spawn to exit, as the parent sees it (wall time: moves with the machine's load). */
  processMs: number;
}

type Bundle = 'native' | 'powertools';
const VARIANTS = [
  { name: 'native', bundle: 'native', env: {} },
  { name: 'off', bundle: 'powertools', env: { POWERTOOLS_TRACE_ENABLED: 'false' } },
  {
    name: 'on',
    bundle: 'powertools',
    env: {
      POWERTOOLS_TRACE_ENABLED: 'true',
      _X_AMZN_TRACE_ID: FAKE_TRACE_HEADER,
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    },
  },
] as const satisfies readonly { name: string; bundle: Bundle; env: Record<string, string> }[];
type Variant = (typeof VARIANTS)[number]['name'];

/** The esbuild options CDK derives from `functionBundling`; an option not mapped here would make the bench lie. */
function esbuildOptions(): BuildOptions {
  const mapped = new Set([
    'format',
    'target',
    'minify',
    'sourceMap',
    'sourcesContent',
    'mainFields',
    'banner',
    'externalModules',
    'logLevel',
  ]);
  const unmapped = Object.keys(functionBundling).filter((key) => !mapped.has(key));
  if (unmapped.length) throw new Error(`cold-start bench: map the bundling option(s) ${unmapped.join(', ')}`);
  return {
    bundle: true,
    platform: 'node',
    format: functionBundling.format,
    target: functionBundling.target,
    minify: functionBundling.minify,
    sourcemap: functionBundling.sourceMap,
    sourcesContent: functionBundling.sourcesContent,
    mainFields: functionBundling.mainFields,
    ...(functionBundling.banner ? { banner: { js: functionBundling.banner } } : {}),
    external: functionBundling.externalModules,
    logLevel: 'warning',
  };
}

/** Swaps the tracer module for no-ops: the code as it would be with Lambda's own active tracing only. */
const withoutTracer: Plugin = {
  name: 'without-tracer',
  setup(build) {
    build.onResolve({ filter: /tracer$/ }, (args) => {
      const path = resolve(dirname(args.importer), `${args.path}.ts`);
      return path === TRACER_MODULE ? { path, namespace: 'no-tracer' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'no-tracer' }, () => ({ contents: NO_TRACER, loader: 'js' }));
  },
};

async function checkStubMatches(): Promise<void> {
  const real = Object.keys(await import(pathToFileURL(TRACER_MODULE).href)).sort();
  const stub = [...NO_TRACER.matchAll(/export const (\w+)/g)].map((m) => m[1]).sort();
  if (real.join() !== stub.join()) throw new Error(`cold-start bench: the no-op tracer exports ${stub.join()}`);
}

/**
 * What a bundle is made of: its output bytes per package (`zod`, `@aws-lambda-powertools/tracer`, `@smithy/*`
 * grouped as `@smithy`, ...) or `(own code)`, biggest first. Minified output bytes, not source bytes.
 */
function bundleInputs(metafile: Metafile): { name: string; bytes: number }[] {
  const byName = new Map<string, number>();
  for (const output of Object.values(metafile.outputs))
    for (const [path, input] of Object.entries(output.inputs)) {
      const name = packageOf(path);
      byName.set(name, (byName.get(name) ?? 0) + input.bytesInOutput);
    }
  return [...byName].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/**
 * The package an input path belongs to (the innermost one when packages nest): AWS SDK clients by name, the rest
 * of the AWS SDK and Smithy grouped, other packages by name.
 */
function packageOf(path: string): string {
  const match = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  const name = match?.[1];
  if (!name) return '(own code)';
  if (name.startsWith('@smithy/')) return '@smithy/*';
  if (name.startsWith('@aws-sdk/client-')) return name;
  if (name.startsWith('@aws-sdk/')) return '@aws-sdk/* (core)';
  return name;
}

/** Bundles one function into `dir/index.mjs` (the name CDK gives an ESM bundle); gives its sizes and inputs. */
async function bundle(id: FunctionId, bundleKind: Bundle, dir: string) {
  await mkdir(dir, { recursive: true });
  const outfile = join(dir, 'index.mjs');
  const { metafile } = await build({
    ...esbuildOptions(),
    entryPoints: [join(REPO_ROOT, functions[id].entry)],
    outfile,
    metafile: true,
    plugins: bundleKind === 'native' ? [withoutTracer] : [],
  });
  const code = await readFile(outfile);
  return { path: outfile, bytes: code.length, gzipBytes: gzipSync(code).length, inputs: bundleInputs(metafile) };
}

/**
 * One fresh process importing the bundle (or nothing, without a path: the empty process the init is measured
 * against); gives the import's duration and the CPU time it took, in ms.
 */
function timedImport(bundlePath: string | undefined, env: Record<string, string>): Promise<Sample> {
  return new Promise((resolvePromise, reject) => {
    const spawned = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', TIMED_IMPORT], {
      env: { ...env, ...(bundlePath ? { COLD_START_BUNDLE: pathToFileURL(bundlePath).href } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // Anything on stderr is noise a function would log at every cold start: the bench fails on it.
      if (code !== 0 || err.trim() !== '')
        reject(new Error(`importing ${bundlePath ?? 'nothing'} (exit ${code}): ${err.trim()}`));
      else
        resolvePromise({ ...(JSON.parse(out) as Omit<Sample, 'processMs'>), processMs: performance.now() - spawned });
    });
  });
}

/** What Lambda sets for a function of the topology (without credentials: the import makes no call). */
function lambdaEnvironment(id: FunctionId, taskRoot: string): Record<string, string> {
  const spec = functions[id];
  return {
    PATH: process.env.PATH ?? '',
    ...platformEnvironment('bench'),
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_EXECUTION_ENV: `AWS_Lambda_${nodeRuntime.lambdaRuntime}`,
    AWS_LAMBDA_FUNCTION_NAME: `bench-${spec.id}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMiB),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    LAMBDA_TASK_ROOT: taskRoot,
    _HANDLER: `index.${spec.handler}`,
  };
}

const round = (ms: number) => Math.round(ms);
const kib = (bytes: number) => Math.round(bytes / 1024);

/**
 * Bundles every function twice and times `runs` imports of each variant; gives the figures and a table.
 * @example const { figures, lines } = await runColdStart({ runs: 15 });
 */
export async function runColdStart(options: { runs: number }) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== nodeRuntime.nodeMajor)
    throw new Error(`cold-start bench: runs on Node ${nodeRuntime.nodeMajor} (the runtime's), not ${major}`);
  await checkStubMatches();
  const root = await mkdtemp(join(tmpdir(), 'cold-start-'));
  try {
    const ids = Object.keys(functions) as FunctionId[];
    const bundles = new Map<string, Awaited<ReturnType<typeof bundle>>>();
    for (const id of ids)
      for (const kind of ['native', 'powertools'] as const)
        bundles.set(`${id}/${kind}`, await bundle(id, kind, join(root, id, kind)));

    const samples = new Map<string, Sample[]>();
    const measure = async (id: FunctionId, variant: (typeof VARIANTS)[number]) => {
      const { path } = bundles.get(`${id}/${variant.bundle}`)!;
      return timedImport(path, { ...lambdaEnvironment(id, dirname(path)), ...variant.env });
    };
    // One import of each first, discarded: it reads the bundle from disk into the page cache.
    for (const id of ids) for (const variant of VARIANTS) await measure(id, variant);
    const empty: Sample[] = [];
    for (let run = 0; run < options.runs; run++) {
      empty.push(await timedImport(undefined, { PATH: process.env.PATH ?? '' }));
      for (const id of ids)
        for (const variant of VARIANTS) {
          const key = `${id}/${variant.name}`;
          samples.set(key, [...(samples.get(key) ?? []), await measure(id, variant)]);
        }
    }
    const median = (values: number[]) =>
      percentile(
        [...values].sort((a, b) => a - b),
        50,
      );
    const emptyProcessMs = median(empty.map((sample) => sample.processMs));
    const emptyProcessCpuMs = median(empty.map((sample) => sample.processCpuMs));
    /**
     * The deployed bundle (with the tracer, tracing on as Lambda runs it) above an empty process: CPU time from the
     * process's start to the import done (the goal's figure: on a shared machine wall time measures the neighbours),
     * and wall time from spawn to exit.
     */
    const initOverEmpty = (id: FunctionId) => {
      const on = samples.get(`${id}/on`)!;
      return {
        cpu: round(median(on.map((sample) => sample.processCpuMs)) - emptyProcessCpuMs),
        wall: round(median(on.map((sample) => sample.processMs)) - emptyProcessMs),
      };
    };

    const stats = (id: FunctionId, variant: Variant, of: keyof Sample) => {
      const sorted = samples
        .get(`${id}/${variant}`)!
        .map((sample) => sample[of])
        .sort((a, b) => a - b);
      return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)) };
    };
    const figures: Record<string, unknown> = {};
    const column = (text: string, width = 12) => text.padEnd(width);
    const lines = [
      `cold start: module init in ms, median / p95 of ${options.runs} fresh Node ${process.versions.node} ` +
        'processes per variant; CPU time (what the budget counts: wall time moves with the load of a shared ' +
        'machine), then wall time; bundle KiB raw / gzip',
      `budget (design figure): CPU init median < ${COLD_START_BUDGET.initMsMedian} ms, tracing adds < ` +
        `${COLD_START_BUDGET.tracingAddsMsMedian} ms, bundle < ${COLD_START_BUDGET.bundleMiB} MiB`,
      column('function', 16) +
        `${column('cpu native')}${column('cpu off')}${column('cpu on')}${column('on-native', 10)}` +
        `${column('wall native')}${column('wall on')}${column('KiB native', 13)}${column('KiB tracer', 13)}` +
        `${column('budget', 8)}${column('kB', 6)}${column('init+', 7)}${column('wall+', 7)}goal`,
    ];
    const breakdown = [
      `what each bundle (with the tracer) holds: output kB per package, the ${TOP_INPUTS} biggest; ` +
        `goals: bundle <= ${SLIM_GOALS.maxBundleKb} kB (1 kB = 1000 bytes), init+ <= ` +
        `${SLIM_GOALS.maxInitMsOverEmpty} ms (the process's CPU ms to the import done, median, minus an empty ` +
        `process's ${round(emptyProcessCpuMs)}); wall+ (spawn to exit, minus the empty ${round(emptyProcessMs)} ms)`,
    ];
    let maxBundleKb = 0;
    let maxInitMsOverEmpty = -Infinity;
    for (const id of ids) {
      const cpu = {
        native: stats(id, 'native', 'cpuMs'),
        off: stats(id, 'off', 'cpuMs'),
        on: stats(id, 'on', 'cpuMs'),
      };
      const wall = { native: stats(id, 'native', 'wallMs'), on: stats(id, 'on', 'wallMs') };
      const plain = bundles.get(`${id}/native`)!;
      const tracer = bundles.get(`${id}/powertools`)!;
      const addedMs = cpu.on.p50 - cpu.native.p50;
      const within =
        cpu.on.p50 < COLD_START_BUDGET.initMsMedian &&
        addedMs < COLD_START_BUDGET.tracingAddsMsMedian &&
        tracer.bytes < COLD_START_BUDGET.bundleMiB * 1024 * 1024;
      figures[`coldstart_${id}`] = {
        cpu_ms: cpu,
        wall_ms: wall,
        tracing_adds_cpu_ms_p50: addedMs,
        bundle_kib_native: { raw: kib(plain.bytes), gzip: kib(plain.gzipBytes) },
        bundle_kib_tracer: { raw: kib(tracer.bytes), gzip: kib(tracer.gzipBytes) },
        within_budget: within,
      };
      const cell = (s: { p50: number; p95: number }) => column(`${s.p50} / ${s.p95}`);
      const size = (b: { bytes: number; gzipBytes: number }) => column(`${kib(b.bytes)} / ${kib(b.gzipBytes)}`, 13);
      const bundleKb = Math.round(tracer.bytes / 1000);
      const initMs = initOverEmpty(id);
      maxBundleKb = Math.max(maxBundleKb, bundleKb);
      maxInitMsOverEmpty = Math.max(maxInitMsOverEmpty, initMs.cpu);
      const slim = bundleKb <= SLIM_GOALS.maxBundleKb && initMs.cpu <= SLIM_GOALS.maxInitMsOverEmpty;
      Object.assign(figures[`coldstart_${id}`] as object, {
        bundle_kb: bundleKb,
        init_ms_over_empty: initMs.cpu,
        init_wall_ms_over_empty: initMs.wall,
      });
      lines.push(
        `${column(id, 16)}${cell(cpu.native)}${cell(cpu.off)}${cell(cpu.on)}${column(`+${addedMs}`, 10)}` +
          `${cell(wall.native)}${cell(wall.on)}${size(plain)}${size(tracer)}${column(within ? 'within' : 'OVER', 8)}` +
          `${column(String(bundleKb), 6)}${column(String(initMs.cpu), 7)}${column(String(initMs.wall), 7)}` +
          (slim ? 'met' : 'MISSED'),
      );
      const top = tracer.inputs
        .slice(0, TOP_INPUTS)
        .map((input) => `${input.name} ${(input.bytes / 1000).toFixed(0)}`)
        .join(', ');
      breakdown.push(`  ${column(id, 16)}${top}`);
    }
    figures.max_bundle_kb = maxBundleKb;
    figures.max_init_ms_over_empty = maxInitMsOverEmpty;
    figures.coldstart_empty_process_ms = { cpu: round(emptyProcessCpuMs), wall: round(emptyProcessMs) };
    figures.coldstart_runs = options.runs;
    return { figures, lines: [...lines, ...breakdown] };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
