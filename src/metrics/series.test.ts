import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from './series.ts';

/** The same observations through prom-client's own metric and through ours: the same text. */
describe('hot-path series', () => {
  it('a histogram exports exactly what prom-client exports for the same observations', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const buckets = [0.005, 0.01, 0.1, 1];
    const reference = new Histogram({
      name: 'h_seconds',
      help: 'Help.',
      labelNames: ['hop', 'share'],
      buckets,
      registers: [theirs],
    });
    const series = new SeriesHistogram('h_seconds', 'Help.', ['hop', 'share'], buckets, ours);
    const launch = series.series({ hop: 'launch', share: 'gateway' });
    const ehr = series.series({ hop: 'callback', share: 'ehr' });
    series.series({ hop: 'never', share: 'observed' });
    for (const value of [0.001, 0.005, 0.0051, 0.5, 3, 0]) {
      reference.observe({ hop: 'launch', share: 'gateway' }, value);
      launch.observe(value);
    }
    reference.observe({ hop: 'callback', share: 'ehr' }, 0.02);
    ehr.observe(0.02);
    assert.equal(await ours.metrics(), await theirs.metrics());
  });

  it('a counter exports what prom-client exports, and a series never counted is left out', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Counter({
      name: 'c_total',
      help: 'Help.',
      labelNames: ['vendor'],
      registers: [theirs],
    });
    const counter = new SeriesCounter('c_total', 'Help.', ['vendor'], ours);
    const cerner = counter.series({ vendor: 'cerner' });
    counter.series({ vendor: 'epic' });
    cerner.inc();
    cerner.inc(2);
    reference.inc({ vendor: 'cerner' });
    reference.inc({ vendor: 'cerner' }, 2);
    assert.equal(await ours.metrics(), await theirs.metrics());
    assert.doesNotMatch(await ours.metrics(), /epic/);
  });

  it('the same label set is one series however often it is asked for; reset empties it', async () => {
    const registry = new Registry();
    const counter = new SeriesCounter('c_total', 'Help.', ['vendor'], registry);
    counter.series({ vendor: 'cerner' }).inc();
    counter.series({ vendor: 'cerner' }).inc();
    assert.match(await registry.metrics(), /^c_total\{vendor="cerner"\} 2$/m);
    registry.resetMetrics();
    assert.doesNotMatch(await registry.metrics(), /cerner/);
  });

  it('a value that is not a finite number is not recorded', async () => {
    const registry = new Registry();
    const histogram = new SeriesHistogram('h_seconds', 'Help.', [], [1], registry).series();
    histogram.observe(Number.NaN);
    histogram.observe(Number.POSITIVE_INFINITY);
    histogram.observe(0.5);
    assert.match(await registry.metrics(), /^h_seconds_count 1$/m);
    assert.match(await registry.metrics(), /^h_seconds_sum 0.5$/m);
  });
});
