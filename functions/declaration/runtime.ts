/**
 * The Node.js major everything runs on, declared once. The Lambda runtime and esbuild's target derive from it;
 * package.json's `engines` and the pinned `node` devDependency (which runs the tests and the twin) must name the
 * same major, and `test/infra/runtime-drift.test.ts` proves they do. Upgrading: docs/runbooks/runtime-upgrade.md.
 * Renovate reads the number below (its custom manager), so keep it a plain literal.
 */
export const nodeMajor = 24;

export const nodeRuntime = {
  nodeMajor,
  /** The Lambda runtime identifier every function is deployed with. */
  lambdaRuntime: `nodejs${nodeMajor}.x`,
  /** esbuild's `target` for the function bundles: the syntax the runtime understands as is. */
  esbuildTarget: `node${nodeMajor}`,
} as const;
