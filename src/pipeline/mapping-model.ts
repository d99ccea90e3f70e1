/**
 * The compiled logsource mappings (loaded from `mappings/sigma/*.yml`, see docs/logsources.md).
 * Plain immutable data: the loader validates, the resolver reads.
 */
import type { SourceRef } from '../ir/nodes.js';

export interface ServiceMapping {
  readonly name: string;
  readonly channels: readonly string[];
  readonly providers: readonly string[];
  /** Where the row comes from (`spec`, `thor`, ...), for docs and tests. */
  readonly from: readonly string[];
  readonly warning: string | null;
  readonly source: SourceRef;
}

/** A lookup table: source value (as written; rule values are matched against it) → target values. */
export type LookupTable = ReadonlyMap<string, readonly string[]>;

/** The fields an account (`DOMAIN\user`) is split over. */
export interface AccountFields {
  readonly user: string;
  readonly domain: string;
  readonly sid: string | null;
}

/** How one Sigma field reads in the variant's events. */
export type FieldRule =
  /** Same values, another name. */
  | { readonly kind: 'rename'; readonly to: string }
  /** Decimal or hex number in the rule, compared numerically (4688 writes `0x1a2b`). */
  | { readonly kind: 'number'; readonly to: string }
  /** Rule values looked up in a table; the original value is kept as an alternative. */
  | { readonly kind: 'lookup'; readonly to: string; readonly table: LookupTable; readonly tableName: string }
  /** `DOMAIN\user` split over a user and a domain field (and a well-known SID). */
  | {
      readonly kind: 'account';
      readonly fields: AccountFields;
      /** Fields preferred when set (4688 Target* for a process created for another account). */
      readonly override: (AccountFields & { readonly unset: readonly string[] }) | null;
      readonly wellKnown: LookupTable | null;
    }
  /** Sysmon registry path (`HKLM\...\Value`) → kernel path in `to` plus a value-name field. */
  | {
      readonly kind: 'registry-key';
      readonly to: string;
      readonly valueName: string | null;
      /** Leading text (case-insensitive) → replacement glob (`*` and `?` are wildcards). */
      readonly prefixes: readonly (readonly [string, string])[];
      /** Inner text (case-insensitive) → replacement glob. */
      readonly replace: readonly (readonly [string, string])[];
    }
  /** Drive-letter paths (`C:\...`) → device paths (`\device\harddiskvolume?\...`). */
  | { readonly kind: 'device-path'; readonly to: string };

export interface FieldMap {
  readonly name: string;
  readonly description: string;
  readonly fields: ReadonlyMap<string, FieldRule>;
  /** Fields the variant's events never carry. */
  readonly unavailable: ReadonlySet<string>;
  readonly source: SourceRef;
}

export interface CategoryVariantSpec {
  readonly label: string;
  readonly channels: readonly string[];
  readonly providers: readonly string[];
  readonly eventIds: readonly number[];
  /** Field → accepted values (exact, case-insensitive): the scope's `extra` precondition. */
  readonly where: readonly (readonly [string, readonly string[]])[];
  readonly fieldMap: FieldMap | null;
  readonly source: SourceRef;
}

export interface CategoryMapping {
  readonly name: string;
  readonly variants: readonly CategoryVariantSpec[];
  /** SigmaHQ writes this category without `product` (antivirus). */
  readonly withoutProduct: boolean;
  readonly warning: string | null;
  readonly source: SourceRef;
}

export interface LogsourceMappings {
  readonly services: ReadonlyMap<string, ServiceMapping>;
  readonly serviceAliases: ReadonlyMap<string, string>;
  readonly categories: ReadonlyMap<string, CategoryMapping>;
  readonly fieldMaps: ReadonlyMap<string, FieldMap>;
  readonly dir: string;
}
