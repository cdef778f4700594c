/**
 * Lambda event filtering (the subset the topology uses, with AWS semantics): a pattern object
 * mirrors the record; an array lists accepted values or rules ({ prefix }, { exists },
 * { "anything-but" }); every key of the pattern must match. Several patterns are OR-ed.
 */
type Pattern = Record<string, unknown>;

function matchValue(rules: unknown[], value: unknown, present: boolean): boolean {
  return rules.some((rule) => {
    if (rule !== null && typeof rule === 'object') {
      const r = rule as Record<string, unknown>;
      if ('exists' in r) return r.exists === present;
      if (!present) return false;
      if ('prefix' in r) return typeof value === 'string' && value.startsWith(String(r.prefix));
      if ('anything-but' in r) {
        const excluded = Array.isArray(r['anything-but']) ? r['anything-but'] : [r['anything-but']];
        return !excluded.includes(value);
      }
      return false;
    }
    return present && rule === value;
  });
}

function matchesPattern(pattern: Pattern, record: unknown): boolean {
  const obj = (record ?? {}) as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    const present = obj[key] !== undefined;
    if (Array.isArray(expected)) return matchValue(expected, obj[key], present);
    if (expected !== null && typeof expected === 'object')
      return present && matchesPattern(expected as Pattern, obj[key]);
    return false;
  });
}

export function matchesAny(patterns: Pattern[], record: unknown): boolean {
  return patterns.length === 0 || patterns.some((pattern) => matchesPattern(pattern, record));
}
