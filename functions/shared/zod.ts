/**
 * zod for the functions: `zod/mini`, the functional build of the same core, re-exported with its English messages
 * configured. The classic `zod` attaches every method to the schemas' prototypes, so a bundle holds all of zod
 * (443 KB minified) whatever it uses; here each function's bundle holds only the schemas and checks it calls, and
 * nothing of zod when it validates nothing. Import it as `import * as z from '../shared/zod'` (a namespace import
 * keeps the tree-shaking), never `zod` itself. The locale is set here because `zod/mini`, unlike `zod`, sets none:
 * without it every issue would read "Invalid input", and the API's problem details quote the messages.
 */
import { config, type util, type ZodMiniLiteral } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';

/** The value of a single-value literal schema: classic zod's `literal.value`, which `zod/mini` leaves out. */
export function literalValue<T extends util.Literal>(schema: ZodMiniLiteral<T>): T {
  const [value, ...more] = schema.def.values;
  if (value === undefined || more.length) throw new Error('literalValue: a literal of exactly one value');
  return value;
}
