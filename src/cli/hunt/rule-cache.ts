/**
 * A cache of loaded Sigma rule sets, so that hunting again with the same rules skips the YAML
 * parsing (2–3 s for the SigmaHQ Windows set; reading the cache back takes about 0.3 s).
 *
 * An entry is keyed by everything the load depends on: the content of every rule file under the
 * given paths (found by the loader's own walk, read and hashed each time), the paths as given,
 * the load options (strict, placeholder values), the mapping files and the code that runs the
 * load (every module of this build). The parsed ATT&CK catalog rides along (api.ts), so a
 * cached hunt parses no YAML at all. Any change to any of them is another key, so an entry is
 * never stale, only unused; the oldest are removed past MAX_ENTRIES. Entries are V8-serialized
 * (the rules are plain data, as the worker threads already receive them) and written whole
 * under a temporary name, then renamed. A missing, unreadable or damaged entry is loaded again
 * and replaced: the cache can only make a load faster, never change its result.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { mappingsDir } from '../../core/mappings-dir.js';
import { defaultAttackDir } from '../../risk/attack.js';

/** Entries kept; each is about 12 MB for the SigmaHQ Windows set. */
export const MAX_ENTRIES = 8;
const FORMAT = 'vigil-rule-cache-1';
const MAX_WALK_FILES = 100_000;

/** `$VIGIL_CACHE_DIR`, else `$XDG_CACHE_HOME/vigil`, else `~/.cache/vigil`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['VIGIL_CACHE_DIR']) return env['VIGIL_CACHE_DIR'];
  if (env['XDG_CACHE_HOME']) return path.join(env['XDG_CACHE_HOME'], 'vigil');
  return path.join(homedir(), '.cache', 'vigil');
}

export type CacheOutcome = 'hit' | 'miss' | 'off';

/** What a load gives: rules and one report per document (plain data). */
export interface LoadedRules {
  readonly rules: readonly unknown[];
  readonly reports: readonly unknown[];
}

export interface CachedLoad<T extends LoadedRules> {
  readonly load: T;
  readonly cache: CacheOutcome;
  /** Why the cache could not be used or written, if it could not (the load itself is unaffected). */
  readonly problem: string | null;
}

/** An entry on disk and the key it must hold: what a hunt worker needs to read the rules itself. */
export interface RuleCacheEntryRef {
  readonly file: string;
  readonly key: string;
}

export interface RuleCacheKeyInput {
  readonly paths: readonly string[];
  /** The rule files the loader will read, in its order (see loader.ts collectRuleFiles). */
  readonly files: readonly string[];
  readonly strict: boolean;
  readonly placeholders: Readonly<Record<string, readonly string[]>> | undefined;
}

/** The entry's key: a hash of everything the load depends on (see the module comment). */
export function ruleCacheKey(input: RuleCacheKeyInput): string {
  const h = createHash('sha256');
  h.update(`${FORMAT}\0${JSON.stringify(input.paths)}\0${input.strict}\0`);
  h.update(JSON.stringify(Object.entries(input.placeholders ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  for (const file of input.files) hashFile(h, file);
  h.update('\0mappings\0');
  // The ATT&CK catalog is kept in the entry too (see api.ts): its folder is keyed even if found elsewhere.
  const mappingRoots = [...new Set([path.dirname(mappingsDir('sigma')), path.dirname(defaultAttackDir())])];
  for (const root of mappingRoots) for (const file of walk(root)) hashFile(h, file);
  h.update(`\0code\0${codeDigest()}`);
  return h.digest('hex');
}

let codeDigestMemo: string | null = null;

/** A hash of every module of this build (read once per process: the build does not change under a run). */
export function codeDigest(): string {
  if (codeDigestMemo !== null) return codeDigestMemo;
  const h = createHash('sha256');
  for (const file of walk(codeDir())) if (/\.[cm]?[jt]s$/.test(file)) hashFile(h, file);
  return (codeDigestMemo = h.digest('hex'));
}

/** The folder of this build's modules (`dist/src`, or `src` when run from source). */
function codeDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** Past this a file is keyed by its size alone: the loader refuses rule files over 8 MB unread, and a huge file must not be read whole here either. */
const MAX_HASHED_BYTES = 8 * 1024 * 1024;

function hashFile(h: ReturnType<typeof createHash>, file: string): void {
  h.update(`\0${file}\0`);
  try {
    const size = statSync(file).size;
    h.update(size > MAX_HASHED_BYTES ? `too large ${size}` : readFileSync(file));
  } catch (e) {
    // An unreadable file is part of the key too: the load reports it, and so would a reload.
    h.update(`unreadable ${(e as NodeJS.ErrnoException).code ?? ''}`);
  }
}

/** Files under `dir`, sorted, bounded (no symbolic links followed). */
function walk(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length > 0 && out.length < MAX_WALK_FILES) {
    const d = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) stack.push(full);
      else if (e.isFile()) out.push(full);
    }
  }
  return out.sort();
}

/**
 * The rule set for `key`: read back from `dir` when an entry is there and sound, else `load()`
 * written there for next time, unless `keyNow()` (the key computed again after the load) says
 * that a rule file changed while it loaded: that load may belong to neither version.
 */
export async function cachedRuleLoad<T extends LoadedRules>(
  dir: string,
  key: string,
  load: () => Promise<T>,
  keyNow?: () => string,
  onEntry?: (entry: RuleCacheEntryRef) => void,
): Promise<CachedLoad<T>> {
  const file = path.join(dir, `sigma-${key.slice(0, 40)}.v8`);
  let problem: string | null = null;
  // Told before this thread reads it, so that hunt workers read it at the same time.
  if (onEntry !== undefined && existsSync(file)) onEntry({ file, key });
  try {
    const found = readRuleCacheEntry<T>(file, key);
    // Used now: the pruning keeps the entries used last.
    const now = new Date();
    utimesSync(file, now, now);
    return { load: found, cache: 'hit', problem: null };
  } catch (e) {
    // No entry yet (or no folder): an ordinary miss. Anything else is worth a line.
    if (!isAbsent(e)) problem = `rule cache entry ${file} unusable (${(e as Error).message}); rules loaded again`;
  }
  const loaded = await load();
  if (keyNow !== undefined && keyNow() !== key) return { load: loaded, cache: 'miss', problem };
  try {
    writeCacheFile(file, { format: FORMAT, key, load: loaded }, 'sigma-', MAX_ENTRIES);
  } catch (e) {
    problem ??= `rule cache not written in ${dir}: ${(e as Error).message}`;
  }
  return { load: loaded, cache: 'miss', problem };
}

/** The load an entry holds; throws when the file is missing, damaged or holds another key. */
export function readRuleCacheEntry<T extends LoadedRules>(file: string, key: string): T {
  const entry = deserialize(readFileSync(file)) as { format?: unknown; key?: unknown; load?: { rules?: unknown; reports?: unknown } } | null;
  if (entry === null || typeof entry !== 'object' || entry.format !== FORMAT || entry.key !== key) throw new Error('not an entry for these rules');
  const load = entry.load;
  if (load === undefined || !Array.isArray(load.rules) || !Array.isArray(load.reports)) throw new Error('damaged entry');
  return load as T;
}

/** Whether reading a cache file failed only because there is none yet (or no cache folder). */
export function isAbsent(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Writes `value` V8-serialized to `file` (the folder made private to this user if new; written
 * aside and renamed, so a reader never sees half a file), then keeps the `keep` files named
 * `prefix`… used last. Throws what the file system says.
 */
export function writeCacheFile(file: string, value: unknown, prefix: string, keep: number): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, serialize(value), { mode: 0o600 });
  renameSync(tmp, file);
  pruneEntries(dir, prefix, keep);
}

/** Removes all but the `keep` entries named `prefix`… used last (and temporary files left by a crash). */
function pruneEntries(dir: string, prefix: string, keep: number): void {
  const entries = readdirSync(dir)
    .filter((n) => n.startsWith(prefix))
    .map((n) => {
      const full = path.join(dir, n);
      try {
        return { full, tmp: n.endsWith('.tmp'), used: statSync(full).mtimeMs };
      } catch {
        return null;
      }
    })
    .filter((e): e is { full: string; tmp: boolean; used: number } => e !== null)
    .sort((a, b) => b.used - a.used);
  const hour = 3600_000;
  let kept = 0;
  for (const e of entries) {
    const stale = e.tmp ? Date.now() - e.used > hour : ++kept > keep;
    if (stale) rmSync(e.full, { force: true });
  }
}
