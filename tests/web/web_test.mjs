// The web page in a real browser: Debian's Chromium driven by playwright-core
// (tools/node_modules, installed by scripts/deps.sh; no browser is downloaded).
//
//   node tests/web/web_test.mjs BASE_URL PAGE_URL...
//
// BASE_URL is a running `shot serve`; each PAGE_URL is a solid-colour page
// whose last path segment names its colour (red, green, blue) and whose title
// is "<Colour> page". With SHOT_WEB_KEY set the server wants that API key, and
// the test types it into the page. SHOT_WEB_CRAWL_URL names a page linking to
// the three: the test then also crawls from it. Exits non-zero on the first
// failed check.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';

const require = createRequire(new URL('../../tools/node_modules/', import.meta.url));
const { chromium } = require('playwright-core');

const [base, ...pageUrls] = process.argv.slice(2);
const apiKey = process.env.SHOT_WEB_KEY || '';
const crawlUrl = process.env.SHOT_WEB_CRAWL_URL || '';
assert.ok(base && pageUrls.length === 3, 'usage: web_test.mjs BASE_URL PAGE_URL PAGE_URL PAGE_URL');
const COLOURS = { red: [255, 0, 0], green: [0, 255, 0], blue: [0, 0, 255] };
const colourOf = (url) => new URL(url).pathname.split('/').pop();
const titleOf = (url) => `${colourOf(url)[0].toUpperCase()}${colourOf(url).slice(1)} page`;
const WIDTH = 640;
const HEIGHT = 480;
// The page asks for 400 px wide thumbnails (app.js THUMBNAIL) for its gallery.
const THUMB_WIDTH = 400;
const THUMB_HEIGHT = 300;
const TIMEOUT = 90_000;

const step = (text) => console.log(`web test: ${text}`);

// A stored ZIP read by the book (APPNOTE 6.3): the end record, the central
// directory, each local header; CRCs checked with zlib's own crc32.
function readZip(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length - 22;
  assert.equal(view.getUint32(end, true), 0x06054b50, 'zip: end of central directory');
  const count = view.getUint16(end + 10, true);
  const centralSize = view.getUint32(end + 12, true);
  let at = view.getUint32(end + 16, true);
  assert.equal(at + centralSize, end, 'zip: the central directory ends where the end record starts');
  const entries = [];
  for (let i = 0; i < count; ++i) {
    assert.equal(view.getUint32(at, true), 0x02014b50, 'zip: central directory entry');
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extra = view.getUint16(at + 30, true);
    const comment = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    assert.equal(view.getUint32(local, true), 0x04034b50, `zip: local header of ${name}`);
    assert.equal(view.getUint32(local + 14, true), crc, `zip: local CRC of ${name}`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const data = bytes.subarray(start, start + size);
    assert.equal(method, 0, `zip: ${name} is stored`);
    assert.equal(zlib.crc32(data), crc, `zip: CRC of ${name}`);
    entries.push({ name, data });
    at += 46 + nameLength + extra + comment;
  }
  return entries;
}

function pngSize(data) {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  assert.deepEqual([...data.subarray(0, 8)], signature, 'a PNG signature');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', '--disable-quic',
  ],
});
const downloads = mkdtempSync(join(tmpdir(), 'shot-web-test-'));
const problems = [];
try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    const text = m.text();
    // Chromium logs each failed fetch: the deliberate bad option (400) and URL (403),
    // with keys, the calls before the key is typed in (401) are expected.
    const expected = /Failed to load resource: .* status of (400|401|403)/.exec(text);
    if (m.type() === 'error' && !(expected && (expected[1] !== '401' || apiKey)))
      problems.push(`console: ${text}`);
  });
  const assets = new Map();
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (path === '/' || path.startsWith('/ui/')) assets.set(path, r.headers());
  });

  step('open the page');
  await page.goto(`${base}/`);
  await page.locator('#jobs-list').waitFor({ state: 'attached' });
  const html = assets.get('/');
  assert.match(html['content-type'], /^text\/html; charset=utf-8/);
  assert.match(html['content-security-policy'], /default-src 'none'/);
  assert.match(html['content-security-policy'], /script-src 'self'/);
  assert.equal(html['cache-control'], 'no-cache');
  assert.equal(html['x-content-type-options'], 'nosniff');
  await page.waitForFunction(() => document.readyState === 'complete');
  assert.match(assets.get('/ui/app.js')['content-type'], /^text\/javascript/);
  assert.match(assets.get('/ui/style.css')['content-type'], /^text\/css/);
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label')).map((el) => el.id));
  assert.deepEqual(unlabelled, [], 'every form control has a label');

  if (apiKey) {
    step('without a key the server says 401, and the page asks for one');
    const jobsError = page.locator('#jobs-error');
    await jobsError.waitFor({ state: 'visible' });
    assert.match(await jobsError.innerText(), /Unauthorized/);
    assert.match(await jobsError.innerText(), /Field: Authorization/);
    assert.equal(await page.locator('#key-panel').getAttribute('open'), '');
    await page.fill('#api-key', apiKey);
    await page.click('#key-form button[type="submit"]');
    await jobsError.waitFor({ state: 'hidden' });
    assert.equal(await page.locator('#key-state').innerText(), 'saved in this browser');
  } else {
    await page.locator('#jobs-list li').first().waitFor();
  }

  step('a bad option comes back as the server\'s problem, with the field marked');
  await page.fill('#urls', pageUrls.join('\n'));
  await page.fill('#width', '0');
  await page.click('#submit-button');
  const formError = page.locator('#form-error');
  await formError.waitFor({ state: 'visible' });
  assert.match(await formError.innerText(), /Field: options\.width/);
  assert.equal(await page.locator('#width').getAttribute('aria-invalid'), 'true');
  assert.ok(await page.locator('#width').evaluate((el) => el === document.activeElement),
    'the field at fault has the focus');

  step('a refused URL is selected in the list');
  await page.fill('#width', String(WIDTH));
  await page.fill('#urls', `${pageUrls.join('\n')}\n\nhttp://10.0.0.1/private\n`);
  await page.click('#submit-button');
  await page.waitForFunction(() => /Field: urls\[3\]/.test(document.getElementById('form-error').innerText));
  const selected = await page.locator('#urls').evaluate(
    (t) => t.value.slice(t.selectionStart, t.selectionEnd));
  assert.equal(selected, 'http://10.0.0.1/private');
  assert.equal(await page.locator('#urls').getAttribute('aria-invalid'), 'true');
  await page.fill('#urls', pageUrls.join('\n'));

  step('submit three URLs');
  await page.fill('#width', String(WIDTH));
  await page.fill('#height', String(HEIGHT));
  await page.selectOption('#format', 'png');
  await page.click('#submit-button');
  await page.waitForFunction(() => document.getElementById('job-id').textContent !== '');
  assert.equal(await formError.isHidden(), true);
  assert.equal(await page.locator('#width').getAttribute('aria-invalid'), null);
  const jobId = (await page.locator('#job-id').innerText()).trim();
  assert.ok(jobId, 'the job is on show');
  assert.equal(new URL(page.url()).hash, `#job=${jobId}`);

  step('three thumbnails appear');
  await page.waitForFunction(
    () => document.querySelectorAll('#gallery .tile[data-ready="true"]').length === 3);
  await page.waitForFunction(() => /^succeeded: 3 of 3 done/.test(
    document.getElementById('job-status').textContent));
  const tiles = await page.locator('#gallery .tile').evaluateAll((lis) => lis.map((li) => {
    const img = li.querySelector('img');
    const canvas = document.createElement('canvas');
    canvas.width = 1;
    canvas.height = 1;
    const g = canvas.getContext('2d');
    g.drawImage(img, img.naturalWidth / 2, img.naturalHeight / 2, 1, 1, 0, 0, 1, 1);
    return {
      url: li.querySelector('.caption').title,
      width: img.naturalWidth,
      height: img.naturalHeight,
      shown: img.getBoundingClientRect().width,
      pixel: [...g.getImageData(0, 0, 1, 1).data.slice(0, 3)],
    };
  }));
  assert.deepEqual(tiles.map((t) => t.url), pageUrls, 'one tile per URL, in order');
  for (const t of tiles) {
    assert.equal(t.width, THUMB_WIDTH, `${t.url}: the server's thumbnail, not the picture`);
    assert.equal(t.height, THUMB_HEIGHT, `${t.url}: thumbnail height`);
    assert.ok(t.shown > 50 && t.shown <= THUMB_WIDTH, `${t.url}: shown ${t.shown} px wide`);
    // A JPEG thumbnail: within a few levels of the page's colour.
    const want = COLOURS[colourOf(t.url)];
    assert.ok(t.pixel.every((v, i) => Math.abs(v - want[i]) <= 8),
      `${t.url}: the thumbnail's colour ${t.pixel} is ${want}`);
  }
  assert.equal(await page.locator('#download-zip').isEnabled(), true);

  step('open one: the full picture and its page facts');
  await page.locator('#gallery .thumb').nth(1).click();
  const viewer = page.locator('#viewer');
  await viewer.waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.getElementById('viewer-img').naturalWidth > 0);
  const facts = Object.fromEntries(await page.locator('#viewer-facts dt').evaluateAll(
    (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
  assert.equal(facts['Final URL'], pageUrls[1]);
  assert.equal(facts['HTTP status'], '200');
  assert.equal(facts.Title, titleOf(pageUrls[1]));
  assert.equal(facts.Size, `${WIDTH} × ${HEIGHT} px`);
  assert.match(facts.Timings, /navigate \d+ ms/);
  assert.equal(await page.locator('#viewer-title').innerText(), titleOf(pageUrls[1]));
  assert.equal(await page.locator('#viewer-img').evaluate((img) => img.naturalWidth), WIDTH);
  assert.equal(await page.locator('#viewer-position').innerText(), '2 of 3');

  step('the arrow keys go to the next picture');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((title) => document.getElementById('viewer-title').textContent === title &&
    document.getElementById('viewer-img').naturalWidth > 0, titleOf(pageUrls[2]));
  assert.equal(await page.locator('#viewer-next').isDisabled(), true);
  await page.keyboard.press('Escape');
  await viewer.waitFor({ state: 'hidden' });

  step('download all as a zip');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-zip')]);
  assert.equal(download.suggestedFilename(), `shot-${jobId}.zip`);
  const zipPath = join(downloads, 'all.zip');
  await download.saveAs(zipPath);
  const entries = readZip(new Uint8Array(readFileSync(zipPath)));
  assert.equal(entries.length, 3, 'three files in the zip');
  entries.forEach((entry, i) => {
    assert.match(entry.name, new RegExp(`^00${i + 1}-.*${colourOf(pageUrls[i])}\\.png$`));
    assert.deepEqual(pngSize(entry.data), { width: WIDTH, height: HEIGHT });
  });
  // A second opinion from another ZIP reader.
  const python = spawnSync('python3', ['-c',
    'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\n' +
    'print(len(z.namelist()))', zipPath], { encoding: 'utf8' });
  assert.equal(python.status, 0, `python's zipfile: ${python.stderr}`);
  assert.equal(python.stdout.trim(), '3');

  step('the job is in the recent jobs');
  await page.click('#refresh-jobs');
  await page.locator(`#jobs-list [data-id="${jobId}"]`).waitFor();
  assert.match(await page.locator(`#jobs-list [data-id="${jobId}"]`).innerText(), /succeeded/);

  step('a reload keeps the job on show (and the key: it was entered once)');
  await page.reload();
  await page.locator(`#jobs-list [data-id="${jobId}"]`).waitFor();
  await page.waitForFunction(
    () => document.querySelectorAll('#gallery .tile[data-ready="true"]').length === 3);
  assert.equal(await page.locator('#jobs-error').isHidden(), true);

  if (crawlUrl) {
    step('crawl from a page that links to the three');
    await page.check('input[name="mode"][value="crawl"]');
    await page.fill('#start-url', crawlUrl);
    await page.fill('#max-pages', '4');
    await page.fill('#max-depth', '1');
    await page.click('#submit-button');
    await page.waitForFunction((before) => {
      const id = document.getElementById('job-id').textContent;
      return id !== '' && id !== before;
    }, jobId);
    await page.waitForFunction(() => /^succeeded: 4 of 4 done/.test(
      document.getElementById('job-status').textContent));
    await page.waitForFunction(
      () => document.querySelectorAll('#gallery .tile[data-ready="true"]').length === 4);
    const found = await page.locator('#gallery .caption').evaluateAll(
      (captions) => captions.map((c) => c.title));
    assert.deepEqual(found, [crawlUrl, ...pageUrls], 'the start page, then its links in order');
  }

  assert.deepEqual(problems, [], 'no script errors, no blocked resources');
  step('ok');
} catch (error) {
  console.error(`web test failed: ${error.stack || error}`);
  if (problems.length) console.error(problems.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
  rmSync(downloads, { recursive: true, force: true });
}
