/**
 * A cheap test on an event's Splunk metadata (source, sourcetype, host) derived from a head's
 * search, so the runner can skip building the full Splunk row for events a head cannot match:
 * a head without an EventCode (the Get-WebGlobalModule inventory search, `sourcetype=...`) would
 * otherwise cost a row for every event of the input.
 *
 * Conservative by construction: the pre-test is true whenever the full search could be true. AND
 * keeps the constraints its operands give; OR needs one from every operand; NOT and anything
 * else give none.
 */
import type { SearchExpr, SearchValue } from '../../spl/ast.js';
import { wildcardMatcher } from '../../spl/exec/wildcard.js';
import { assertNever } from '../../core/xml-tree.js';

export interface EventMetadata {
  readonly source: string | null;
  readonly sourcetype: string | null;
  readonly host: string | null;
}

export type MetadataTest = (meta: EventMetadata) => boolean;

const METADATA_FIELDS = new Set<keyof EventMetadata>(['source', 'sourcetype', 'host']);

function isMetadataField(name: string): name is keyof EventMetadata {
  return METADATA_FIELDS.has(name as keyof EventMetadata);
}

/** Search values compare as text here; numbers and functions (TERM(), CASE()) give no constraint. */
function valueMatcher(value: SearchValue): ((text: string) => boolean) | null {
  switch (value.kind) {
    case 'string':
    case 'wildcard':
      return wildcardMatcher(value.text, false);
    case 'number':
    case 'function':
      return null;
    default:
      return assertNever(value, 'search value');
  }
}

function fieldTest(field: keyof EventMetadata, matchers: readonly ((text: string) => boolean)[]): MetadataTest {
  return (meta) => {
    const v = meta[field];
    return v !== null && matchers.some((m) => m(v));
  };
}

export function metadataPrefilter(expr: SearchExpr | null): MetadataTest | null {
  if (expr === null) return null;
  switch (expr.kind) {
    case 'search-compare': {
      if (expr.op !== '=' || !isMetadataField(expr.field.name)) return null;
      const m = valueMatcher(expr.value);
      return m === null ? null : fieldTest(expr.field.name, [m]);
    }
    case 'search-in': {
      if (!isMetadataField(expr.field.name)) return null;
      const ms = expr.values.map(valueMatcher);
      if (ms.some((m) => m === null)) return null;
      return fieldTest(expr.field.name, ms as ((text: string) => boolean)[]);
    }
    case 'search-group':
      return metadataPrefilter(expr.inner);
    case 'search-and': {
      const tests = expr.operands.map(metadataPrefilter).filter((t): t is MetadataTest => t !== null);
      if (tests.length === 0) return null;
      return (meta) => tests.every((t) => t(meta));
    }
    case 'search-or': {
      const tests = expr.operands.map(metadataPrefilter);
      if (tests.some((t) => t === null)) return null;
      return (meta) => (tests as MetadataTest[]).some((t) => t(meta));
    }
    case 'search-term':
    case 'search-not':
    case 'search-subsearch':
    case 'macro':
      return null;
    default:
      return assertNever(expr, 'search expression');
  }
}
