import { nodeRuntime } from '../functions/declaration/runtime';

/**
 * The twin runs every function in a worker thread of its own process, so its Node is the functions' Node: on
 * another major than the Lambda runtime's it would test code Lambda never runs. `npm start` uses the pinned `node`
 * devDependency, which the runtime drift test keeps on the declared major.
 */
export function assertTwinNode(version: string = process.versions.node): void {
  const major = Number(version.split('.')[0]);
  if (major !== nodeRuntime.nodeMajor) {
    throw new Error(
      `The twin runs the functions as Lambda's ${nodeRuntime.lambdaRuntime} does and needs Node ` +
        `${nodeRuntime.nodeMajor}, not ${version}: start it with 'npm start' (the pinned Node).`,
    );
  }
}
