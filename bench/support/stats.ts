/** Small helpers the benchmarks share: percentiles, slopes, and the order of alternating rounds. */

/** Nearest-rank percentile (`q` in 0…1) of an ascending list; NaN when it is empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** Least-squares slope of y over x. */
export function slope(points: Array<{ x: number; y: number }>): number {
  if (points.length < 2) return Number.NaN;
  const mx = points.reduce((sum, p) => sum + p.x, 0) / points.length;
  const my = points.reduce((sum, p) => sum + p.y, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return num / den;
}

/**
 * The lowest point of each `window` of x (0 < x ≤ window, window < x ≤ 2 window, …): what
 * resident memory comes back to between collections, so a leak shows as a rising floor and the
 * garbage collector's sawtooth does not.
 */
export function lowerEnvelope(
  points: ReadonlyArray<{ x: number; y: number }>,
  window: number,
): Array<{ x: number; y: number }> {
  const lowest = new Map<number, { x: number; y: number }>();
  for (const point of points) {
    const slot = Math.ceil(point.x / window);
    const low = lowest.get(slot);
    if (!low || point.y < low.y) lowest.set(slot, point);
  }
  return [...lowest.entries()].sort(([a], [b]) => a - b).map(([, point]) => ({ x: point.x, y: point.y }));
}

/** `items` rotated by `by`: in round r each subject leads in turn, so none always runs right after another's load. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const start = by % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}
