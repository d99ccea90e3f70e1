/** Where each page lives in the site, relative to the site root (pages sit at depth 0 or 1). */
export const href = {
  home: 'index.html',
  search: 'search.html',
  stories: 'stories/index.html',
  story: (slug: string): string => `stories/${slug}.html`,
  detections: 'detections/index.html',
  detection: (slug: string): string => `detections/${slug}.html`,
  sigmaIndex: 'sigma/index.html',
  sigma: (slug: string): string => `sigma/${slug}.html`,
  matrix: 'attack/index.html',
  technique: (id: string): string => `attack/${id}.html`,
} as const;
