import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { platformMetrics, type PlatformMetricName } from '../../functions/declaration/metrics';
import { functions as functionSpecs, type FunctionId } from '../../functions/declaration/topology';

/**
 * The declared platform metrics and the code that records them agree: every declared metric is recorded (a literal
 * `recordMetric('<Name>'` call) in code its emitting functions actually load, and nothing records, or reads from log
 * text, a metric that is not declared.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const sourceFiles = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const recordedIn = (source: string) =>
  [...source.matchAll(/recordMetric\(\s*'(\w+)'/g)].map((match) => match[1] as PlatformMetricName);
const declared = Object.keys(platformMetrics) as PlatformMetricName[];

/** The files a handler loads: its relative imports, followed (type-only imports bring no code). */
function loadedBy(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const imports = read(file).matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+'(\.{1,2}\/[^']+)'/gms);
    for (const [, specifier] of imports) visit(relative(root, resolve(root, dirname(file), `${specifier}.ts`)));
  };
  visit(entry);
  return seen;
}

describe('platform metrics drift', () => {
  const files = sourceFiles('functions');

  it('records every declared metric somewhere in the functions, and only declared ones', () => {
    // Prepare
    const recorded = new Set(files.flatMap((file) => recordedIn(read(file))));

    // Assess
    expect([...recorded].sort()).toEqual([...declared].sort());
  });

  it.each(Object.keys(functionSpecs) as FunctionId[])('%s loads the code recording the metrics it emits', (id) => {
    // Prepare
    const emits = declared.filter((name) => (platformMetrics[name].emittedBy as readonly string[]).includes(id));
    const recorded = new Set([...loadedBy(functionSpecs[id].entry)].flatMap((file) => recordedIn(read(file))));

    // Assess
    for (const name of emits) expect([name, recorded.has(name)]).toEqual([name, true]);
  });

  it('derives no metric from log text', () => {
    const offenders = [...files, ...sourceFiles('lib')].filter((file) => /MetricFilter|FilterPattern/.test(read(file)));
    expect(offenders).toEqual([]);
  });
});
