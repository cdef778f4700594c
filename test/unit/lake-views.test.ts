import { readFileSync } from 'node:fs';
import { EVENT_TYPES } from '../../functions/domain/events';
import { LAKE_VIEW_FILES, fieldExpression, lakeViewsSql, typedViews } from '../../scripts/lake-views';

/** The Snowflake kit's views: generated from the event catalogue, checked in fresh, one per event type. */

const checkedIn = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('lake views', () => {
  it('are checked in as `npm run catalogue` generates them, for Snowflake and DuckDB', () => {
    expect(checkedIn(LAKE_VIEW_FILES.snowflake)).toBe(lakeViewsSql('snowflake'));
    expect(checkedIn(LAKE_VIEW_FILES.duckdb)).toBe(lakeViewsSql('duckdb'));
  });

  it('has one typed view per event type of the catalogue', () => {
    expect(typedViews().map((view) => view.eventType)).toEqual(EVENT_TYPES);
  });

  it('flattens the data and its objects into snake_case columns of the documented types', () => {
    // Prepare
    const earned = typedViews().find((view) => view.eventType === 'points.earned');

    // Assess
    expect(earned?.columns.map((column) => [column.name, column.kind, column.required])).toEqual(
      expect.arrayContaining([
        ['event_id', 'string', true],
        ['seq', 'integer', true],
        ['occurred_at', 'timestamp', true],
        ['amount_points', 'integer', true],
        ['pending', 'boolean', true],
        ['expires_at', 'timestamp', true],
        ['transaction_id', 'string', false],
        ['balance_available_points', 'integer', true],
      ]),
    );
  });

  it('reads fields with each dialect’s path syntax and casts them', () => {
    expect(fieldExpression('snowflake', ['data', 'amountPoints'], 'integer')).toBe(
      'record:"data":"amountPoints"::NUMBER(38,0)',
    );
    expect(fieldExpression('duckdb', ['data', 'amountPoints'], 'integer')).toBe(
      `CAST(record ->> '$."data"."amountPoints"' AS BIGINT)`,
    );
    expect(fieldExpression('snowflake', ['data', 'lots'], 'semi-structured')).toBe('record:"data":"lots"');
    expect(fieldExpression('duckdb', ['data', 'lots'], 'semi-structured')).toBe(`record -> '$."data"."lots"'`);
  });
});
