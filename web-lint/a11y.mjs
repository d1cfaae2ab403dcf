// Lighthouse (accessibility, best practices, SEO) and axe-core (WCAG 2.1 A and AA) on every
// public page type of a running kotapintar, in Indonesian and in English, as a phone sees it.
//
//   node a11y.mjs BASE_URL [--json FILE]
//
// Run by scripts/a11y-check. Fails (exit 1) when a Lighthouse category scores below 95 or axe
// finds any violation, and prints what failed. Lighthouse's performance category is left out:
// its score moves with the machine's load, so it is measured by the bench, not gated here.
// The browser is Debian's Chromium ($CHROME_BIN, else /usr/bin/chromium); nothing is downloaded.

import lighthouse from 'lighthouse';
import puppeteer from 'puppeteer-core';
import { createRequire } from 'node:module';
import { existsSync, writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const axeSource = require.resolve('axe-core/axe.min.js');

const base = (process.argv[2] || '').replace(/\/$/, '');
if (!base) {
  console.error('usage: node a11y.mjs BASE_URL [--json FILE]');
  process.exit(2);
}
const jsonOut = process.argv.indexOf('--json') > 0 ? process.argv[process.argv.indexOf('--json') + 1] : null;
const MIN = 95;
const CATEGORIES = ['accessibility', 'best-practices', 'seo'];
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** The first link on `list` whose path matches `pattern`: a real item of each page type. */
async function firstLink(list, pattern) {
  const r = await fetch(base + list);
  if (!r.ok) throw new Error(`${list} answered ${r.status}`);
  const html = await r.text();
  const m = html.match(pattern);
  if (!m) throw new Error(`no link like ${pattern} on ${list}: the demo data should have one`);
  return m[0].replace(/&amp;/g, '&');
}

// One page of each public type. The item pages are found through their lists, so the check
// follows the demo data rather than hard-coding it.
// Lighthouse refuses to audit a page that answers 404, so the not-found page gets axe only.
const NOT_FOUND = '/halaman-yang-tidak-ada';
const unitPage = await firstLink('/', /\/unit\/[a-z0-9-]+(?=")/);
const pages = [
  '/',
  '/lapor',
  '/laporan',
  await firstLink('/laporan', /\/laporan\/[A-Z]{2,5}-\d{2}-[0-9A-Z]{5}(?=")/),
  '/kinerja',
  unitPage.replace('/unit/', '/kinerja/'),
  '/layanan',
  '/berita',
  await firstLink('/berita', /\/berita\/[a-z0-9-]+(?=")/),
  '/agenda',
  await firstLink('/agenda', /\/agenda\/[a-z0-9-]+(?=")/),
  '/proyek',
  await firstLink('/proyek', /\/proyek\/[a-z0-9-]+(?=")/),
  unitPage,
  '/data',
  await firstLink('/data', /\/data\/[a-z0-9_-]+(?=")/),
  '/cari?q=jalan',
  '/masterplan',
  '/sertifikat',
  '/langganan',
  '/login',
  NOT_FOUND,
];

const chrome = process.env.CHROME_BIN || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
if (!chrome) {
  console.error('a11y: Chromium is needed (Debian: apt-get install chromium)');
  process.exit(1);
}
const browser = await puppeteer.launch({
  executablePath: chrome,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const port = Number(new URL(browser.wsEndpoint()).port);

const results = [];
let failed = false;
try {
  for (const lang of ['id', 'en']) {
    for (const path of pages) {
      const url = base + path;
      const headers = { 'Accept-Language': lang };
      const scores = {};
      const lost = [];
      let runtimeError = null;
      if (path !== NOT_FOUND) {
        const lh = await lighthouse(url, {
          port,
          output: 'json',
          logLevel: 'error',
          onlyCategories: CATEGORIES,
          formFactor: 'mobile',
          // the network is the loopback: no simulated throttling, so each page takes a second
          throttlingMethod: 'provided',
          extraHeaders: headers,
        });
        for (const c of CATEGORIES) {
          const cat = lh.lhr.categories[c];
          scores[c] = Math.round((cat.score ?? 0) * 100);
          for (const ref of cat.auditRefs) {
            const a = lh.lhr.audits[ref.id];
            if (ref.weight > 0 && a.score !== null && a.score < 1) lost.push(`${c}/${ref.id}: ${JSON.stringify((a.details?.items ?? []).slice(0, 3))}`);
          }
        }
        runtimeError = lh.lhr.runtimeError ?? null;
        if (runtimeError) lost.push(`runtime error: ${runtimeError.message}`);
      }

      // axe on the same page, in a phone-sized window
      const page = await browser.newPage();
      await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
      // axe is injected inline, which the pages' Content-Security-Policy rightly refuses
      await page.setBypassCSP(true);
      await page.setExtraHTTPHeaders(headers);
      await page.goto(url, { waitUntil: 'load' });
      await page.addScriptTag({ path: axeSource });
      const violations = await page.evaluate(async (tags) => {
        const r = await globalThis.axe.run(document, { runOnly: { type: 'tag', values: tags } });
        return r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
        }));
      }, AXE_TAGS);
      await page.close();

      const low = CATEGORIES.filter((c) => c in scores && scores[c] < MIN);
      const ok = low.length === 0 && violations.length === 0 && !runtimeError;
      failed ||= !ok;
      results.push({ lang, path, scores, lost, violations, ok });
      const line = path === NOT_FOUND ? 'axe only' : CATEGORIES.map((c) => `${c} ${scores[c]}`).join(', ');
      console.log(`${ok ? 'ok  ' : 'FAIL'} [${lang}] ${path}: ${line}, axe ${violations.length}`);
      if (!ok || lost.length) {
        for (const l of lost) console.log(`       lighthouse: ${l}`);
        for (const v of violations) console.log(`       axe ${v.id} (${v.impact}): ${v.help} at ${v.nodes.join(' | ')}`);
      }
    }
  }
} finally {
  await browser.close();
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
console.log(`${results.length} pages checked (${pages.length} page types, Indonesian and English)`);
if (failed) {
  console.log(`a11y: below ${MIN} or an axe WCAG 2.1 A/AA violation (above)`);
  process.exit(1);
}
console.log('every accessibility check passed');
