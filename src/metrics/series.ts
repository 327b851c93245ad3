/**
 * Counters and histograms for the hot paths (every launch hop, every proxied FHIR request), in
 * prom-client's metric shape (`name`, `help`, `type`, `get()`), so one registry formats them with
 * the rest at scrape time.
 *
 * Why not prom-client's own: its labelled `inc`/`observe` validates and hashes the labels on
 * every call, even through a child from `.labels()`. Here the caller holds a {@link Series} per
 * label set, made once; recording is an addition. A series that was never recorded is not
 * exported, as with prom-client.
 *
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import type { Registry } from 'prom-client';

export type Labels = Readonly<Record<string, string>>;

export interface Series {
  readonly labels: Labels;
  count: number;
  sum: number;
  /** Per bucket (not cumulative), histograms only. */
  readonly buckets: Float64Array | null;
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

abstract class FixedMetric {
  readonly aggregator = 'sum';
  abstract readonly type: 'counter' | 'histogram';
  readonly #series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The series of one label set (the same object on every call): hold it and record on it. */
  protected seriesOf(labels: Labels, bucketCount: number): Series {
    const key = this.labelNames.map((name) => labels[name] ?? '').join('\u0000');
    let series = this.#series.get(key);
    if (!series) {
      series = { labels, count: 0, sum: 0, buckets: bucketCount ? new Float64Array(bucketCount) : null };
      this.#series.set(key, series);
    }
    return series;
  }

  protected recorded(): Series[] {
    return [...this.#series.values()].filter((series) => series.count > 0);
  }

  reset(): void {
    for (const series of this.#series.values()) {
      series.count = 0;
      series.sum = 0;
      series.buckets?.fill(0);
    }
  }

  abstract get(): Promise<{
    name: string;
    help: string;
    type: string;
    values: MetricValue[];
    aggregator: string;
  }>;
}

/** A counter: `inc` on a held series. */
export class SeriesCounter extends FixedMetric {
  readonly type = 'counter';

  series(labels: Labels = {}): { inc(by?: number): void } {
    const series = this.seriesOf(labels, 0);
    return {
      inc(by = 1) {
        series.count += by;
      },
    };
  }

  async get() {
    const values = this.recorded().map((series) => ({ labels: { ...series.labels }, value: series.count }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

/** A histogram with fixed upper bounds: `observe` on a held series. */
export class SeriesHistogram extends FixedMetric {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }

  series(labels: Labels = {}): { observe(value: number): void } {
    const series = this.seriesOf(labels, this.upperBounds.length);
    const bounds = this.upperBounds;
    return {
      observe(value) {
        if (!Number.isFinite(value)) return;
        series.count += 1;
        series.sum += value;
        for (let i = 0; i < bounds.length; i++) {
          if (value <= (bounds[i] as number)) {
            (series.buckets as Float64Array)[i] = ((series.buckets as Float64Array)[i] as number) + 1;
            return;
          }
        }
      },
    };
  }

  async get() {
    const values: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const series of this.recorded()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += series.buckets?.[i] ?? 0;
        values.push({ labels: { le, ...series.labels }, value: cumulative, metricName: bucket });
      });
      values.push(
        { labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: bucket },
        { labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` },
        { labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
