import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { nodeMajor, nodeRuntime } from '../../functions/declaration/runtime';
import { functionBundling } from '../../lib/constructs/topology-functions';
import { assertTwinNode } from '../../local/node-version';
import { logicalId, removeAssembly, synthesize, type Synthesized } from './synth';

/**
 * One Node.js line everywhere: the functions' Lambda runtime and bundle target, package.json's `engines`, the
 * pinned `node` devDependency that runs the tests and the twin, and the twin's own check all follow
 * `functions/declaration/runtime.ts`. An upgrade that changes one of them and not the others fails here
 * (docs/runbooks/runtime-upgrade.md).
 */

const ROOT = new URL('../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const majorOf = (version: string) => Number(/^v?(\d+)\./.exec(version)?.[1]);
/** Skips bundling the functions: the runtime is in the template; the target is checked on the bundling options. */
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize('test', { context: NO_BUNDLING });
});
afterAll(() => {
  removeAssembly(synth);
});

describe('the Node.js runtime, declared once', () => {
  it('deploys every function on the declared Lambda runtime, one the CDK knows as a Node.js runtime', () => {
    // Prepare
    const known = lambda.Runtime.ALL.find((runtime) => runtime.name === nodeRuntime.lambdaRuntime);

    // Act
    const runtimes = Object.entries(synth.stack.functions).map(([id, fn]) => [
      id,
      synth.resources[logicalId(synth.stack, fn)]?.Properties?.Runtime,
    ]);

    // Assess
    expect(known?.family).toBe(lambda.RuntimeFamily.NODEJS);
    expect(runtimes.length).toBeGreaterThan(0);
    expect(runtimes).toEqual(runtimes.map(([id]) => [id, `nodejs${nodeMajor}.x`]));
  });

  it('bundles the functions for the same Node major', () => {
    expect(functionBundling.target).toBe(`node${nodeMajor}`);
  });

  it("holds package.json's engines, the pinned node and its types to the same major", () => {
    expect(manifest.engines.node).toBe(`>=${nodeMajor} <${nodeMajor + 1}`);
    expect(majorOf(manifest.devDependencies.node ?? '')).toBe(nodeMajor);
    expect(majorOf(manifest.devDependencies['@types/node'] ?? '')).toBe(nodeMajor);
  });

  it('has the pinned node installed, and that node is the one npm scripts (the twin, the tests) run', () => {
    // Prepare
    const installed = JSON.parse(readFileSync(new URL('node_modules/node/package.json', ROOT), 'utf8')) as {
      version: string;
    };

    // Act
    const binaryVersion = execFileSync(fileURLToPath(new URL('node_modules/.bin/node', ROOT)), ['--version'], {
      encoding: 'utf8',
    });

    // Assess
    expect(installed.version).toBe(manifest.devDependencies.node);
    expect(binaryVersion.trim()).toBe(`v${manifest.devDependencies.node}`);
  });

  it('starts the twin, whose worker threads run the functions, only on the declared major', () => {
    expect(() => {
      assertTwinNode(`${nodeMajor}.0.0`);
    }).not.toThrow();
    expect(() => {
      assertTwinNode(`${nodeMajor + 1}.0.0`);
    }).toThrow(`needs Node ${nodeMajor}`);
    expect(() => {
      assertTwinNode(`${nodeMajor - 2}.9.0`);
    }).toThrow(`needs Node ${nodeMajor}`);
    expect(() => {
      assertTwinNode();
    }).not.toThrow();
  });
});
