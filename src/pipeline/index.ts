/**
 * Sigma logsource resolution (see docs/logsources.md): data files under `mappings/sigma/` and a
 * pure IR pass turning a rule's logsource into detection variants.
 */
import { loadLogsourceMappings, defaultSigmaMappingsDir } from './load-mappings.js';
import { createResolver, type LogsourceResolver } from './resolve.js';

export type { LogsourceInput, LogsourceResolution, LogsourceResolver } from './resolve.js';
export type { LogsourceMappings, CategoryMapping, ServiceMapping, FieldMap, FieldRule } from './mapping-model.js';
export { loadLogsourceMappings, parseLogsourceMappings, defaultSigmaMappingsDir } from './load-mappings.js';
export { applyFieldMap } from './translate-fields.js';
export { createResolver } from './resolve.js';

export interface LogsourceResolverOptions {
  /** Folder holding `windows-services.yml` and `windows-categories.yml` (default: `mappings/sigma`). */
  readonly mappingsDir?: string;
}

/**
 * Loads the mappings (once) and returns a resolver. Throws an AggregateError of LocatedErrors
 * (file:line) when a mapping file is missing or invalid.
 */
export function createLogsourceResolver(options: LogsourceResolverOptions = {}): LogsourceResolver {
  return createResolver(loadLogsourceMappings(options.mappingsDir ?? defaultSigmaMappingsDir()));
}
