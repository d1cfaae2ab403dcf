// Lighthouse's performance score of each public page type of a running kotapintar, as a
// phone on a slow mobile connection sees it (Lighthouse's default mobile emulation and
// simulated throttling), in Indonesian. Each page is measured RUNS times (3 unless given)
// and the median is reported, because one run moves with the machine's load.
//
//   node perf.mjs BASE_URL [--runs N] [--json FILE]
//
// Run by scripts/bench-lighthouse. It gates nothing: BENCHMARKS.md records the figures and
// the target (95). Debian's Chromium ($CHROME_BIN, else /usr/bin/chromium); nothing is
// downloaded.

import lighthouse from 'lighthouse';
import puppeteer from 'puppeteer-core';
import { existsSync, writeFileSync } from 'node:fs';

const arg = (name) => (process.argv.indexOf(name) > 0 ? process.argv[process.argv.indexOf(name) + 1] : null);
const base = (process.argv[2] || '').replace(/\/$/, '');
if (!base || base.startsWith('--')) {
  console.error('usage: node perf.mjs BASE_URL [--runs N] [--json FILE]');
  process.exit(2);
}
const runs = Number(arg('--runs') ?? 3);
const jsonOut = arg('--json');
const TARGET = 95;

async function firstLink(list, pattern) {
  const r = await fetch(base + list);
  if (!r.ok) throw new Error(`${list} answered ${r.status}`);
  const m = (await r.text()).match(pattern);
  if (!m) throw new Error(`no link like ${pattern} on ${list}`);
  return m[0].replace(/&amp;/g, '&');
}

const pages = [
  '/',
  '/lapor',
  '/laporan',
  await firstLink('/laporan', /\/laporan\/[A-Z]{2,5}-\d{2}-[0-9A-Z]{5}(?=")/),
  '/kinerja',
  '/berita',
  await firstLink('/berita', /\/berita\/[a-z0-9-]+(?=")/),
  '/proyek',
  '/data',
  '/cari?q=jalan',
];

const chrome = process.env.CHROME_BIN || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
if (!chrome) {
  console.error('perf: Chromium is needed (Debian: apt-get install chromium)');
  process.exit(1);
}
const browser = await puppeteer.launch({
  executablePath: chrome,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const port = Number(new URL(browser.wsEndpoint()).port);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const METRICS = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift'];

const results = [];
try {
  for (const path of pages) {
    const scores = [];
    const metrics = Object.fromEntries(METRICS.map((m) => [m, []]));
    for (let i = 0; i < runs; i++) {
      const lh = await lighthouse(base + path, {
        port,
        output: 'json',
        logLevel: 'error',
        onlyCategories: ['performance'],
        formFactor: 'mobile',
        extraHeaders: { 'Accept-Language': 'id' },
      });
      scores.push(Math.round((lh.lhr.categories.performance.score ?? 0) * 100));
      for (const m of METRICS) metrics[m].push(lh.lhr.audits[m].numericValue ?? NaN);
    }
    const r = {
      path,
      scores,
      median: median(scores),
      fcp_ms: Math.round(median(metrics['first-contentful-paint'])),
      lcp_ms: Math.round(median(metrics['largest-contentful-paint'])),
      tbt_ms: Math.round(median(metrics['total-blocking-time'])),
      cls: Number(median(metrics['cumulative-layout-shift']).toFixed(3)),
    };
    results.push(r);
    console.log(`${r.median >= TARGET ? 'ok  ' : 'LOW '} ${path}: median ${r.median} (runs ${scores.join(', ')}), FCP ${r.fcp_ms} ms, LCP ${r.lcp_ms} ms, TBT ${r.tbt_ms} ms, CLS ${r.cls}`);
  }
} finally {
  await browser.close();
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
console.log('\n| page | median | runs | FCP ms | LCP ms | TBT ms | CLS |\n|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| \`${r.path}\` | **${r.median}** | ${r.scores.join(', ')} | ${r.fcp_ms} | ${r.lcp_ms} | ${r.tbt_ms} | ${r.cls} |`);
}
const low = results.filter((r) => r.median < TARGET).length;
console.log(`\n${results.length} pages, ${runs} runs each: ${results.length - low} at or above ${TARGET}, ${low} below`);
