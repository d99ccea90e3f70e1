/** Public types of the Sigma front end. */
import type { Diagnostic } from '../core/diagnostics.js';
import type { DetectionVariant, Expr, Rule } from '../ir/nodes.js';
import type { ParsedDoc } from './document.js';

/**
 * `not-applicable`: the rule is well formed but its log source is not a Windows event log
 * (linux, cloud, network devices...), so Vigil never runs it; reported, not counted as an error.
 */
export type RuleStatus = 'loaded' | 'loaded-with-warnings' | 'not-applicable' | 'not-loaded';

/** Problem code that marks a rule as `not-applicable`. */
export const NOT_WINDOWS_CODE = 'sigma.logsource.not-windows';
export type RuleKind = 'detection' | 'correlation' | 'filter' | 'unknown';

/** One YAML document's fate: every document gets exactly one report. */
export interface RuleReport {
  readonly file: string;
  readonly line?: number;
  readonly id?: string;
  readonly title?: string;
  readonly status: RuleStatus;
  readonly kind: RuleKind;
  readonly problems: Diagnostic[];
}

export interface RuleSetLoad {
  readonly rules: Rule[];
  readonly reports: RuleReport[];
}

/** Logsource resolution (implemented by src/pipeline, helper "logsource"). */
export interface LogsourceResolver {
  resolve(
    logsource: Readonly<Record<string, string>>,
    condition: Expr,
  ): { variants: DetectionVariant[]; warnings: string[] } | { error: string; notWindows?: true };
}

export interface SigmaLoadOptions {
  /** Duplicate keys (in selections and at top level) become errors instead of warnings. */
  readonly strict?: boolean;
  /** Values for `|expand` placeholders, by name without the `%`. */
  readonly placeholders?: Record<string, string[]>;
  /** Path of a placeholder config (`placeholders: {Name: [values]}`); merged under `placeholders`. */
  readonly placeholderConfig?: string;
  readonly logsources?: LogsourceResolver;
  /** Each path's files as `collectRuleFiles` found them, in `paths` order, when the caller walked them already. */
  readonly walks?: readonly RuleFileWalk[];
  /**
   * Documents parsed by an earlier load with the same options (strict, placeholders): a file
   * whose text is there is not parsed again (the rule cache's per-file part, see
   * src/cli/hunt/document-cache.ts). Filters, logsources and correlations are resolved anew.
   */
  readonly documents?: ParsedDocumentStore;
}

/**
 * A file's parsed documents by its path and text. `get` returns objects of the caller's own (the
 * loader's cross-document passes change them); `put` must keep the documents as they are when
 * given, before those passes.
 */
export interface ParsedDocumentStore {
  get(file: string, text: string): readonly ParsedDoc[] | undefined;
  put(file: string, text: string, docs: readonly ParsedDoc[]): void;
}

/** The rule files under one path, or why there are none. */
export type RuleFileWalk = { readonly files: readonly string[] } | { readonly error: string };
