import { writeFileSync } from 'node:fs';
import { buildOpenApi } from '../functions/api/openapi';

/** Regenerates docs/openapi.json from the zod schemas; CI fails when it is stale. */
writeFileSync(new URL('../docs/openapi.json', import.meta.url), JSON.stringify(buildOpenApi(), null, 2) + '\n');
console.log('docs/openapi.json written');
