import { mkdirSync, writeFileSync } from 'node:fs';
import { buildEventCatalogue, renderEventCatalogue } from '../functions/domain/event-catalogue';
import { LAKE_VIEW_FILES, lakeViewsSql } from './lake-views';

/**
 * Regenerates everything derived from the event schemas: docs/events/ (JSON Schema and Markdown) and the lake's
 * SQL views for Snowflake and DuckDB (snowflake/). CI fails when any of them is stale.
 */
mkdirSync(new URL('../docs/events/', import.meta.url), { recursive: true });
const catalogue = buildEventCatalogue();
writeFileSync(new URL('../docs/events/catalogue.json', import.meta.url), JSON.stringify(catalogue, null, 2) + '\n');
writeFileSync(new URL('../docs/events/README.md', import.meta.url), renderEventCatalogue(catalogue));
console.log(`docs/events written: ${catalogue.events.length} event types`);
for (const [dialect, path] of Object.entries(LAKE_VIEW_FILES)) {
  writeFileSync(
    new URL(`../${path}`, import.meta.url),
    lakeViewsSql(dialect as keyof typeof LAKE_VIEW_FILES, catalogue),
  );
  console.log(`${path} written`);
}
