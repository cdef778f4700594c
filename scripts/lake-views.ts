import { buildEventCatalogue } from '../functions/domain/event-catalogue';

/**
 * The lake's SQL views, generated from the event catalogue for Snowflake and for DuckDB (which stands in for
 * Snowflake in the tests). One definition for both dialects, so the views a data team runs are the views the
 * tests load the twin's lake files through, and a field added to the catalogue reaches both.
 *
 * Every view reads the raw table `events_raw (record, file_name, loaded_at)`: one row per NDJSON line.
 */
export type Dialect = 'snowflake' | 'duckdb';

/** The SQL type of a column, by what the catalogue documents for the field. */
export type ColumnKind = 'string' | 'integer' | 'number' | 'boolean' | 'timestamp' | 'semi-structured';

export interface ViewColumn {
  name: string;
  /** Where the value sits in the event, e.g. ['data', 'amountPoints']. */
  path: string[];
  kind: ColumnKind;
  /** True when every event of the type carries the field. */
  required: boolean;
}

export interface TypedView {
  eventType: string;
  name: string;
  columns: ViewColumn[];
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  const?: unknown;
  format?: string;
}

export const SQL_TYPES: Record<Dialect, Record<ColumnKind, string>> = {
  snowflake: {
    string: 'STRING',
    integer: 'NUMBER(38,0)',
    number: 'FLOAT',
    boolean: 'BOOLEAN',
    timestamp: 'TIMESTAMP_TZ',
    'semi-structured': 'VARIANT',
  },
  duckdb: {
    string: 'VARCHAR',
    integer: 'BIGINT',
    number: 'DOUBLE',
    boolean: 'BOOLEAN',
    timestamp: 'TIMESTAMP WITH TIME ZONE',
    'semi-structured': 'JSON',
  },
};

/** Envelope fields get names that say they are the event's (`id` alone would be ambiguous beside `reward_id`). */
const ENVELOPE_NAMES: Record<string, string> = { id: 'event_id', version: 'event_version', type: 'event_type' };

const snakeCase = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** `points.earned` → `events_points_earned`, `audit.api_key.created` → `events_audit_api_key_created`. */
export const viewName = (eventType: string) => `events_${eventType.replaceAll('.', '_')}`;

function kindOf(schema: JsonSchema): ColumnKind {
  const branch = schema.anyOf?.find((option) => option.type !== 'null') ?? schema;
  if (typeof branch.const === 'number') return Number.isInteger(branch.const) ? 'integer' : 'number';
  if (typeof branch.const === 'string') return 'string';
  switch (branch.type) {
    case 'string':
      return branch.format === 'date-time' ? 'timestamp' : 'string';
    case 'integer':
    case 'number':
    case 'boolean':
      return branch.type;
    default:
      return 'semi-structured';
  }
}

/**
 * One column per scalar field; objects with declared properties are flattened with their name as a prefix
 * (`data.balance.availablePoints` → `balance_available_points`), arrays and free-form objects stay semi-structured.
 * The `data.` level adds no prefix: analysts ask for `amount_points`, not `data_amount_points`.
 */
function columnsOf(schema: JsonSchema, path: string[], prefix: string, required: boolean): ViewColumn[] {
  return Object.entries(schema.properties ?? {}).flatMap(([field, child]) => {
    const childPath = [...path, field];
    const childRequired = required && (schema.required ?? []).includes(field);
    const isData = path.length === 0 && field === 'data';
    const name = isData
      ? ''
      : prefix + (path.length === 0 ? (ENVELOPE_NAMES[field] ?? snakeCase(field)) : snakeCase(field));
    if (child.properties && kindOf(child) === 'semi-structured') {
      return columnsOf(child, childPath, isData ? '' : `${name}_`, childRequired);
    }
    return [{ name, path: childPath, kind: kindOf(child), required: childRequired }];
  });
}

/** The typed views, one per event type of the catalogue. */
export function typedViews(catalogue = buildEventCatalogue()): TypedView[] {
  return catalogue.events.map(({ type, schema }) => {
    const columns = columnsOf(schema, [], '', true);
    const names = columns.map((column) => column.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate) throw new Error(`The ${type} view would have two columns named ${duplicate}`);
    return { eventType: type, name: viewName(type), columns };
  });
}

/** The SQL expression reading one field of `record`, cast to its documented type. */
export function fieldExpression(dialect: Dialect, path: string[], kind: ColumnKind): string {
  if (dialect === 'snowflake') {
    const access = `record:${path.map((key) => `"${key}"`).join(':')}`;
    return kind === 'semi-structured' ? access : `${access}::${SQL_TYPES.snowflake[kind]}`;
  }
  const jsonPath = `'$.${path.map((key) => `"${key}"`).join('.')}'`;
  if (kind === 'semi-structured') return `record -> ${jsonPath}`;
  // `->>` reads the value as text already; every other type is cast, and a value of another type fails the query.
  return kind === 'string' ? `record ->> ${jsonPath}` : `CAST(record ->> ${jsonPath} AS ${SQL_TYPES.duckdb[kind]})`;
}

const DIALECT_NAMES: Record<Dialect, string> = { snowflake: 'Snowflake', duckdb: 'DuckDB' };

const GENERATED = (dialect: Dialect) =>
  [
    `-- Generated from the event catalogue (functions/domain/events.ts) for ${DIALECT_NAMES[dialect]}`,
    '-- by `npm run catalogue`: do not edit by hand.',
  ].join('\n');

/**
 * `events`: one row per event id. Firehose delivers at least once and a backfill re-sends events with their ids,
 * so the same event may sit in several files; the first loaded copy wins (they are identical).
 */
function dedupView(dialect: Dialect): string {
  const envelope = (name: string, field: string, kind: ColumnKind) =>
    `  ${fieldExpression(dialect, [field], kind)} AS ${name},`;
  return [
    'CREATE OR REPLACE VIEW events AS',
    'SELECT',
    envelope('event_id', 'id', 'string'),
    envelope('event_type', 'type', 'string'),
    envelope('event_version', 'version', 'integer'),
    envelope('tenant_id', 'tenantId', 'string'),
    envelope('member_id', 'memberId', 'string'),
    envelope('seq', 'seq', 'integer'),
    envelope('occurred_at', 'occurredAt', 'timestamp'),
    '  record,',
    '  file_name,',
    '  loaded_at',
    'FROM events_raw',
    `QUALIFY ROW_NUMBER() OVER (PARTITION BY ${fieldExpression(dialect, ['id'], 'string')} ` +
      'ORDER BY loaded_at, file_name) = 1;',
  ].join('\n');
}

function typedViewSql(dialect: Dialect, view: TypedView): string {
  const columns = view.columns.map(
    (column) => `  ${fieldExpression(dialect, column.path, column.kind)} AS ${column.name}`,
  );
  return [
    `CREATE OR REPLACE VIEW ${view.name} AS`,
    'SELECT',
    columns.join(',\n'),
    'FROM events',
    `WHERE event_type = '${view.eventType}';`,
  ].join('\n');
}

/** Each member's balance right after each of its events (every member event carries the snapshot). */
function balanceSnapshotsView(dialect: Dialect): string {
  const balance = (field: string, kind: ColumnKind) => fieldExpression(dialect, ['data', 'balance', field], kind);
  return [
    'CREATE OR REPLACE VIEW member_balance_snapshots AS',
    'SELECT',
    '  tenant_id,',
    '  member_id,',
    '  seq,',
    '  occurred_at,',
    `  ${balance('availablePoints', 'integer')} AS available_points,`,
    `  ${balance('pendingPoints', 'integer')} AS pending_points,`,
    `  ${balance('lifetimePoints', 'integer')} AS lifetime_points,`,
    `  ${balance('tier', 'string')} AS tier`,
    'FROM events',
    'WHERE member_id IS NOT NULL;',
  ].join('\n');
}

/** The views of one dialect: deduplication first, then the typed views that read it. */
export function lakeViewsSql(dialect: Dialect, catalogue = buildEventCatalogue()): string {
  return (
    [
      GENERATED(dialect),
      dedupView(dialect),
      balanceSnapshotsView(dialect),
      ...typedViews(catalogue).map((view) => `-- ${view.eventType}\n${typedViewSql(dialect, view)}`),
    ].join('\n\n') + '\n'
  );
}

/** Where each dialect's generated views live, from the repository root. */
export const LAKE_VIEW_FILES: Record<Dialect, string> = {
  snowflake: 'snowflake/02-views.sql',
  duckdb: 'snowflake/duckdb/02-views.sql',
};
