/**
 * Routing index: which compiled variants an event can meet, keyed by (event id, channel,
 * provider). Scopes list channels, providers and event ids (empty = any); channel and provider
 * names compare case-insensitively, as Windows treats them. The candidate list for a key is
 * computed on first sight and cached (bounded), so each event costs one Map lookup; variants
 * with open scopes are in every list whose key they admit (the residual set). Keys with the same
 * candidates share what `derive` made for them: most event ids of a busy channel meet only the
 * rules written for the whole channel, and their gate indexes need building (and holding) once.
 */
import type { Scope } from '../ir/nodes.js';

export interface Routable {
  readonly scope: Scope;
}

const MAX_CACHED_KEYS = 65_536;

interface ScopeTest {
  readonly channels: ReadonlySet<string> | null;
  readonly providers: ReadonlySet<string> | null;
  readonly eventIds: ReadonlySet<number> | null;
}

function scopeTest(scope: Scope): ScopeTest {
  const set = <T>(xs: readonly T[], f: (x: T) => T): ReadonlySet<T> | null => (xs.length === 0 ? null : new Set(xs.map(f)));
  return {
    channels: set(scope.channels, (c) => c.toLowerCase()),
    providers: set(scope.providers, (p) => p.toLowerCase()),
    eventIds: set(scope.eventIds, (n) => n),
  };
}

export class RoutingIndex<T extends Routable, R> {
  private readonly byEventId = new Map<number, { item: T; test: ScopeTest }[]>();
  private readonly anyEventId: { item: T; test: ScopeTest }[] = [];
  /** event id → channel → provider → derived candidates ('' stands for null). */
  private readonly cache = new Map<number | null, Map<string | null, Map<string | null, R>>>();
  private cached = 0;
  private readonly order = new Map<T, number>();
  /** What `derive` made, by candidate list (the candidates' positions, joined). */
  private readonly derivedByList = new Map<string, R>();

  /** `derive` turns a candidate list into what the engine keeps for it (cached with it). */
  constructor(
    items: readonly T[],
    private readonly derive: (candidates: readonly T[]) => R,
  ) {
    items.forEach((item, i) => {
      this.order.set(item, i);
      const test = scopeTest(item.scope);
      if (test.eventIds === null) this.anyEventId.push({ item, test });
      else {
        for (const id of test.eventIds) {
          let list = this.byEventId.get(id);
          if (list === undefined) this.byEventId.set(id, (list = []));
          list.push({ item, test });
        }
      }
    });
  }

  route(eventId: number | null, channel: string | null, provider: string | null): R {
    const hit = this.cache.get(eventId)?.get(channel)?.get(provider);
    if (hit !== undefined) return hit;
    const ch = channel === null ? null : channel.toLowerCase();
    const pr = provider === null ? null : provider.toLowerCase();
    const admits = (t: ScopeTest): boolean =>
      (t.channels === null || (ch !== null && t.channels.has(ch))) && (t.providers === null || (pr !== null && t.providers.has(pr)));
    const found: T[] = [];
    const pool = eventId === null ? this.anyEventId : [...(this.byEventId.get(eventId) ?? []), ...this.anyEventId];
    for (const { item, test } of pool) if (admits(test)) found.push(item);
    // Keep rule order stable (findings come out in rule order).
    found.sort((a, b) => this.order.get(a)! - this.order.get(b)!);
    const list = found.map((item) => this.order.get(item)!).join(',');
    let derived = this.derivedByList.get(list);
    if (derived === undefined) {
      derived = this.derive(found);
      if (this.derivedByList.size < MAX_CACHED_KEYS) this.derivedByList.set(list, derived);
    }
    if (this.cached < MAX_CACHED_KEYS) {
      let byChannel = this.cache.get(eventId);
      if (byChannel === undefined) this.cache.set(eventId, (byChannel = new Map()));
      let byProvider = byChannel.get(channel);
      if (byProvider === undefined) byChannel.set(channel, (byProvider = new Map()));
      byProvider.set(provider, derived);
      this.cached++;
    }
    return derived;
  }
}
