/**
 * Safety limits for input discovery and decompression. Streaming keeps memory flat whatever
 * the size, so these guard time and disk against hostile archives (zip bombs, nested
 * compression, symlink loops) rather than memory.
 */
export interface InputLimits {
  /** A compressed stream may expand this many times its compressed size ... */
  readonly maxExpansionRatio: number;
  /** ... but is always allowed at least this many bytes (small archives of sparse EVTX files). */
  readonly minDecompressedAllowance: number;
  /** Absolute cap on one decompressed member or `.gz` stream. */
  readonly maxDecompressedBytes: number;
  /** Largest zip central directory we load into memory. */
  readonly maxCentralDirectoryBytes: number;
  /** Deepest directory nesting walked below a path the user named. */
  readonly maxDirectoryDepth: number;
}

/**
 * Real EVTX files gzip about 10-80x (measured on the shared corpus); a deflate stream alone
 * cannot pass ~1032x, so the ratio mostly bites on nested compression.
 */
export const DEFAULT_INPUT_LIMITS: InputLimits = Object.freeze({
  maxExpansionRatio: 200,
  minDecompressedAllowance: 256 * 1024 * 1024,
  maxDecompressedBytes: 64 * 1024 * 1024 * 1024,
  maxCentralDirectoryBytes: 64 * 1024 * 1024,
  maxDirectoryDepth: 64,
});

export function resolveLimits(partial: Partial<InputLimits> | undefined): InputLimits {
  return partial === undefined ? DEFAULT_INPUT_LIMITS : { ...DEFAULT_INPUT_LIMITS, ...partial };
}

/** Decompressed bytes allowed for a stream whose compressed form is `compressedBytes` long. */
export function decompressedAllowance(limits: InputLimits, compressedBytes: number): number {
  const byRatio = Math.max(limits.minDecompressedAllowance, compressedBytes * limits.maxExpansionRatio);
  return Math.min(limits.maxDecompressedBytes, byRatio);
}
