import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { errorReport, follow, importApi, ImportApiError, runImport, type ImportView } from './client';
import { generate } from './generate';
import { ProgressBar } from './progress';

/**
 * `npm run import -- --file rows.ndjson [--rate 500] [--api URL] [--key KEY]`: creates an import job, uploads the
 * file with its presigned URL, starts it and draws progress on stderr until it ends, then prints the summary and the
 * first errors of the report. `npm run import -- status|pause|resume|cancel <importId>` acts on a job;
 * `npm run import -- generate --members N --out f.ndjson [--bad] [--members-only] [--seed S]` writes a file.
 * The API and key default to LOYALTY_API_URL / LOYALTY_API_KEY, else the local twin (http://localhost:3000 and the
 * demo tenant's key it keeps in .twin/demo.json): a deployed stage needs only `--api` and `--key`.
 */

const USAGE = `Usage:
  npm run -s import -- --file <rows.ndjson> [--rate <rows/s>] [--api <url>] [--key <api key>]
  npm run -s import -- status|pause|resume|cancel <importId> [--api <url>] [--key <api key>]
  npm run -s import -- generate --members <n> --out <file> [--bad] [--members-only] [--seed <n>] [--tiers a,b]`;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function defaults(api: string | undefined, key: string | undefined): { apiUrl: string; key: string } {
  const apiUrl = api ?? process.env.LOYALTY_API_URL ?? 'http://localhost:3000';
  let found = key ?? process.env.LOYALTY_API_KEY;
  const demoFile = join(ROOT, '.twin', 'demo.json');
  if (!found && existsSync(demoFile))
    found = (JSON.parse(readFileSync(demoFile, 'utf8')) as { apiKey?: string }).apiKey;
  if (!found) throw new Error('give an API key with --key or LOYALTY_API_KEY (the twin keeps one in .twin/demo.json)');
  return { apiUrl, key: found };
}

function printResult(view: ImportView, report: { line: number; code: string; message: string }[]): void {
  const { applied, unchanged, rejected } = view.rowsDone;
  console.log(`${view.importId}: ${view.summary}`);
  console.log(`  applied ${applied}, unchanged ${unchanged}, rejected ${rejected}`);
  if (view.errors.length > 0) console.log(`  errors: ${view.errors.join('; ')}`);
  if (view.errorReport) {
    console.log(`  error report (${report.length} lines): ${view.errorReport.url}`);
    for (const entry of report.slice(0, 10)) console.log(`    line ${entry.line}: ${entry.code} ${entry.message}`);
    if (report.length > 10) console.log(`    … ${report.length - 10} more`);
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      file: { type: 'string' },
      rate: { type: 'string' },
      api: { type: 'string' },
      key: { type: 'string' },
      members: { type: 'string' },
      out: { type: 'string' },
      bad: { type: 'boolean', default: false },
      'members-only': { type: 'boolean', default: false },
      seed: { type: 'string', default: '16' },
      tiers: { type: 'string', default: '' },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, importId] = positionals;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (command === 'generate') {
    if (!values.members || !values.out) throw new UsageError('generate needs --members and --out');
    const result = await generate(values.out, {
      members: Number(values.members),
      seed: Number(values.seed),
      membersOnly: values['members-only'],
      bad: values.bad,
      tiers: values.tiers.split(',').filter(Boolean),
    });
    console.log(`${values.out}: ${result.rows} rows for ${result.members} members`);
    if (values.bad) {
      const expectedFile = `${values.out}.expected-errors.ndjson`;
      writeFileSync(expectedFile, result.expected.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
      console.log(`${expectedFile}: the ${result.expected.length} lines the error report must hold`);
    }
    return 0;
  }
  const { apiUrl, key } = defaults(values.api, values.key);
  const api = importApi(apiUrl, key);
  if (command && ['status', 'pause', 'resume', 'cancel'].includes(command)) {
    if (!importId) throw new UsageError(`${command} needs an import id`);
    const view =
      command === 'status'
        ? await api.call<ImportView>('GET', `/v1/imports/${importId}`)
        : await api.call<ImportView>('POST', `/v1/imports/${importId}/${command}`);
    if (command === 'resume') {
      const done = await follow(api, importId, { bar: new ProgressBar(process.stderr) });
      printResult(done, await errorReport(done));
      return done.status === 'completed' ? 0 : 1;
    }
    console.log(JSON.stringify(view, null, 2));
    return 0;
  }
  if (command !== undefined) throw new UsageError(`unknown command ${command}`);
  if (!values.file) throw new UsageError('give the file with --file');
  const view = await runImport(api, values.file, {
    ...(values.rate ? { rowsPerSecond: Number(values.rate) } : {}),
    progress: process.stderr,
  });
  printResult(view, await errorReport(view));
  return view.status === 'completed' ? 0 : 1;
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    console.error(error instanceof ImportApiError || error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
