/**
 * The rule cache's per-file part: each rule file's parsed documents, keyed by the file's path and
 * text, so that a rule set changed in a few files (a rule being written, a SigmaHQ update) has
 * only those parsed again, not the whole set. Parsing is most of a load (SigmaHQ's Windows
 * rules: about 0.9 s of 1.0 s); the cross-document passes (filters, log sources, correlation
 * references) always run anew, so their result is the same as a load from scratch.
 *
 * One store per scope: the options a document's parse depends on (strict, placeholder values)
 * and the build. It is read only when the whole-set entry (rule-cache.ts) misses, and written
 * after such a load with this load's files first, then the files of earlier loads while the caps
 * allow. Documents are V8-serialized when given, before the loader's passes change them, and
 * read back as new objects. A missing store is an empty one; a damaged one is reported and
 * replaced; neither changes a load's result.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { ParsedDocumentStore } from '../../sigma/index.js';
import type { ParsedDoc } from '../../sigma/document.js';
import { codeDigest, isAbsent, writeCacheFile } from './rule-cache.js';

const FORMAT = 'vigil-rule-documents-1';
/** Stores kept (one per scope: strict or not, placeholder values, build). */
export const MAX_STORES = 4;
/** Files and bytes a store keeps; this load's files always fit first. */
export const MAX_STORED_FILES = 40_000;
export const MAX_STORED_BYTES = 256 * 1024 * 1024;

export interface DocumentScope {
  readonly strict: boolean;
  readonly placeholders: Readonly<Record<string, readonly string[]>> | undefined;
}

export class DocumentCache implements ParsedDocumentStore {
  /** Files whose documents were read back, and files parsed, in this load. */
  reused = 0;
  parsed = 0;
  /** This load's files, in the order met. */
  private readonly current = new Map<string, Uint8Array>();
  /** The loader asks `get` and then, on a miss, `put` for the same text: hashed once. */
  private last: { readonly file: string; readonly text: string; readonly key: string } | null = null;

  private constructor(
    private readonly file: string,
    private readonly scope: string,
    private readonly earlier: ReadonlyMap<string, Uint8Array>,
    /** Why the store on disk could not be read (it is then replaced). */
    readonly problem: string | null,
  ) {}

  /** The store of `scope` under `dir` (empty when there is none yet or it is unusable). */
  static open(dir: string, scope: DocumentScope): DocumentCache {
    const key = scopeKey(scope);
    const file = path.join(dir, `documents-${key.slice(0, 40)}.v8`);
    try {
      return new DocumentCache(file, key, readStore(file, key), null);
    } catch (e) {
      const problem = isAbsent(e) ? null : `rule document cache ${file} unusable (${(e as Error).message}); rules parsed again`;
      return new DocumentCache(file, key, new Map(), problem);
    }
  }

  get(file: string, text: string): readonly ParsedDoc[] | undefined {
    const key = this.keyOf(file, text);
    // Only earlier loads' files: the loader asks once per file, and parses those it is not given.
    const bytes = this.earlier.get(key);
    if (bytes === undefined) return undefined;
    let docs: unknown;
    try {
      docs = deserialize(bytes);
    } catch {
      return undefined;
    }
    if (!Array.isArray(docs)) return undefined;
    this.current.set(key, bytes);
    this.reused++;
    return docs as ParsedDoc[];
  }

  put(file: string, text: string, docs: readonly ParsedDoc[]): void {
    this.parsed++;
    let bytes: Uint8Array;
    try {
      bytes = serialize(docs);
    } catch {
      return; // not kept: the file is parsed again next time, which is all a cache may cost
    }
    this.current.set(this.keyOf(file, text), bytes);
  }

  private keyOf(file: string, text: string): string {
    const last = this.last;
    if (last !== null && last.file === file && last.text === text) return last.key;
    const key = createHash('sha256').update(file).update('\0').update(text).digest('base64');
    this.last = { file, text, key };
    return key;
  }

  /** Writes the store: this load's files, then earlier ones within the caps. Returns why it could not. */
  save(): string | null {
    const kept = new Map(this.current);
    let bytes = 0;
    for (const b of kept.values()) bytes += b.byteLength;
    for (const [key, b] of this.earlier) {
      if (kept.size >= MAX_STORED_FILES || bytes + b.byteLength > MAX_STORED_BYTES) break;
      if (kept.has(key)) continue;
      kept.set(key, b);
      bytes += b.byteLength;
    }
    try {
      writeCacheFile(this.file, { format: FORMAT, scope: this.scope, entries: kept }, 'documents-', MAX_STORES);
      return null;
    } catch (e) {
      return `rule document cache not written in ${path.dirname(this.file)}: ${(e as Error).message}`;
    }
  }
}

function scopeKey(scope: DocumentScope): string {
  const h = createHash('sha256');
  const placeholders = Object.entries(scope.placeholders ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  h.update(`${FORMAT}\0${scope.strict}\0${scope.placeholders === undefined ? 'none' : JSON.stringify(placeholders)}\0${codeDigest()}`);
  return h.digest('hex');
}

function readStore(file: string, scope: string): ReadonlyMap<string, Uint8Array> {
  const store = deserialize(readFileSync(file)) as { format?: unknown; scope?: unknown; entries?: unknown } | null;
  if (store === null || typeof store !== 'object' || store.format !== FORMAT || store.scope !== scope) throw new Error('not a store for these options');
  if (!(store.entries instanceof Map)) throw new Error('damaged store');
  return store.entries as ReadonlyMap<string, Uint8Array>;
}
