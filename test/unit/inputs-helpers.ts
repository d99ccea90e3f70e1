/** Shared fixture plumbing for the inputs tests (not a test file itself). */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Diagnostic } from '../../src/core/diagnostics.js';
import { type OpenOptions, openInputs, readInput } from '../../src/sources/read.js';
import type { InputFile, ReadOptions, SourceItem } from '../../src/sources/source.js';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-inputs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Opened {
  readonly inputs: InputFile[];
  readonly errors: Diagnostic[];
}

export async function openAll(paths: string[], options?: OpenOptions): Promise<Opened> {
  const inputs: InputFile[] = [];
  const errors: Diagnostic[] = [];
  for await (const o of openInputs(paths, options)) {
    if ('error' in o) errors.push(o.error);
    else inputs.push(o);
  }
  return { inputs, errors };
}

export async function readAll(input: InputFile, options: ReadOptions = {}): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const batch of readInput(input, options)) items.push(...batch);
  return items;
}

export async function bytesOf(input: InputFile): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of input.stream()) parts.push(c);
  return Buffer.concat(parts);
}

export function events(items: readonly SourceItem[]) {
  return items.flatMap((i) => (i.kind === 'event' ? [i.event] : []));
}

export function problems(items: readonly SourceItem[], kind: 'record-error' | 'warning' | 'fatal'): Diagnostic[] {
  return items.flatMap((i) => (i.kind === kind ? [i.diagnostic] : []));
}
