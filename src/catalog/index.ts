/**
 * The detection catalog site (`vigil catalog build|serve`):
 *   const result = await buildCatalog({ out, rules: [...], detections: [...] });
 *   const server = await startCatalogServer(out, 8080);
 */
export { buildCatalog, CatalogError, displayPath, documentAt, SITE_MARKER, type CatalogBuildOptions, type CatalogBuildResult } from './build.js';
export { bridgeFromModule, loadExplainBridge, unavailableBridge, type ExplainBridge } from './explain.js';
export { escapeHtml, h, Html } from './html.js';
export { buildSiteModel, coverageCount, type CatalogDetection, type CatalogSigmaRule, type CatalogStory, type SiteModel } from './model.js';
export { contentTypeOf, resolveInside, SERVE_HOST, startCatalogServer, type CatalogServer } from './serve.js';
export { parseTestResults, readTestResults, resultsFor, type TestCaseResult, type TestResults } from './test-results.js';
export { searchEntries, searchIndexScript, type SearchEntry } from './search-index.js';
