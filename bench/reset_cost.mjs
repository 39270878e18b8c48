#!/usr/bin/env node
// What isolating each capture costs Chromium: CPU per shot of shot's sequence on one reused
// window in its own context, against the raw reused-tab floor, with one step left out at a time.
//
//   node bench/reset_cost.mjs URLS_FILE [N] [VARIANT ...]
//
// URLS_FILE lists loopback URLs (one site); N shots per variant (default 40). Variants:
//   raw            navigate, wait for load, capture: nothing cleared (rawcdp.mjs --mode reuse)
//   shot           what shot does now: one kept session; after each capture sessionStorage
//                  (DOMStorage.clear), about:blank, then cache, cookies, permissions and the
//                  origin's storage cleared in one round trip
//   shot-SKIP...   shot without a step: blank, cache, storage (sessionStorage), origin;
//   shot+attach    with a new session per capture (as before session 4);
//   shot+rendererblank  unloading by location.replace('about:blank') from the page instead
// Default: raw shot shot-blank shot-cache shot-storage shot-origin shot+attach.
// CPU is the Chromium process tree's utime+stime from /proc (10 ms ticks: read means of N).
// Needs ../shared/bench (BENCH_SHARED) for its CDP client; talks to 127.0.0.1 only.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const shared = process.env.BENCH_SHARED || path.join(here, '..', '..', 'shared', 'bench');
const { CdpBrowser } = await import(path.join(shared, 'lib', 'cdp.mjs'));

const urls = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
if (!urls.every(u => /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)[:/]/.test(u))) {
  console.error('loopback URLs only');
  process.exit(2);
}
const N = parseInt(process.argv[3] || '40', 10);
const variants = process.argv.length > 4 ? process.argv.slice(4)
  : ['raw', 'shot', 'shot-blank', 'shot-cache', 'shot-storage', 'shot-origin', 'shot+attach'];
const TIMEOUT = 30000;

function treeCpuMs(root) {
  const procs = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      procs.set(+d, { ppid: +f[1], cpu: +f[11] + +f[12] });
    } catch { /* gone */ }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const p = stack.pop();
    total += procs.get(p)?.cpu || 0;
    for (const [pid, v] of procs) if (v.ppid === p) stack.push(pid);
  }
  return total * 10;  // USER_HZ = 100
}

const metrics = { width: 1280, height: 800, deviceScaleFactor: 1, mobile: false };
for (const variant of variants) {
  const raw = variant === 'raw';
  const skip = new Set(variant.split(/[-+]/).slice(1));
  const b = await CdpBrowser.launch({ extraArgs: ['--disable-features=BackForwardCache'] });
  const { browserContextId } = await b.send('Target.createBrowserContext', { disposeOnDetach: true });
  const { targetId } = await b.send('Target.createTarget', { url: 'about:blank', newWindow: true, browserContextId });
  const control = (await b.send('Target.attachToTarget', { targetId, flatten: true })).sessionId;
  await b.send('Page.enable', {}, control);
  const load = async (session, url) => {
    const loaded = b.waitFor(session, 'Page.loadEventFired', TIMEOUT);
    await b.send('Page.navigate', { url }, session);
    await loaded.promise;
  };
  const attach = async () => {
    const s = (await b.send('Target.attachToTarget', { targetId, flatten: true })).sessionId;
    await Promise.all([b.send('Page.enable', {}, s), b.send('Page.setLifecycleEventsEnabled', { enabled: true }, s),
      b.send('Emulation.setDeviceMetricsOverride', metrics, s), ...(raw ? [] : [b.send('Network.enable', {}, s)])]);
    return s;
  };
  let kept = skip.has('attach') ? null : await attach();
  for (let i = 0; i < 3; i++) await load(control, urls[i]);  // warm-up
  const cpu0 = treeCpuMs(b.pid);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const url = urls[i % urls.length];
    const s = kept || await attach();
    if (!raw) await b.send('Page.resetNavigationHistory', {}, s);
    await load(s, url);
    if (!raw) await b.send('Runtime.evaluate', { expression: '({href: location.href, title: document.title})', returnByValue: true }, s);
    await b.send('Page.captureScreenshot', { format: 'png', optimizeForSpeed: true, captureBeyondViewport: false, fromSurface: true }, s);
    if (raw) continue;
    if (!kept) await b.send('Target.detachFromTarget', { sessionId: s });
    const origin = new URL(url).origin;
    if (!skip.has('storage')) {
      await b.send('DOMStorage.clear', { storageId: { securityOrigin: origin, isLocalStorage: false } }, control);
    }
    if (!skip.has('blank')) {
      const committed = b.waitFor(control, 'Page.frameNavigated', TIMEOUT);
      if (skip.has('rendererblank')) await b.send('Runtime.evaluate', { expression: "location.replace('about:blank')" }, control);
      else await b.send('Page.navigate', { url: 'about:blank' }, control);
      await committed.promise;
    }
    await Promise.all([
      skip.has('cache') ? null : b.send('Network.clearBrowserCache', {}, control),
      b.send('Storage.clearCookies', { browserContextId }),
      b.send('Browser.resetPermissions', { browserContextId }),
      skip.has('origin') ? null : b.send('Storage.clearDataForOrigin', { origin, storageTypes: 'all' }, control)]);
  }
  const wall = performance.now() - t0;
  const cpu = treeCpuMs(b.pid) - cpu0;
  console.log(JSON.stringify({ variant, n: N, wall_ms_per_shot: Math.round(wall / N), cpu_ms_per_shot: Math.round(cpu / N) }));
  await b.close();
}
