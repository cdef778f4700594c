import { mkdirSync, writeFileSync } from 'node:fs';
import { buildEventCatalogue, renderEventCatalogue } from '../functions/domain/event-catalogue';

/** Regenerates docs/events/ (JSON Schema and Markdown) from the event schemas; CI fails when stale. */
mkdirSync(new URL('../docs/events/', import.meta.url), { recursive: true });
const catalogue = buildEventCatalogue();
writeFileSync(new URL('../docs/events/catalogue.json', import.meta.url), JSON.stringify(catalogue, null, 2) + '\n');
writeFileSync(new URL('../docs/events/README.md', import.meta.url), renderEventCatalogue(catalogue));
console.log(`docs/events written: ${catalogue.events.length} event types`);
