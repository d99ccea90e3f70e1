/** `1 chunk`, `3 chunks`; `many` for nouns whose plural is not the noun plus `s`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
