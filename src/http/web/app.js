// shot's web page: submits jobs and crawls to the /v1 API, follows them over
// server-sent events, shows the pictures and zips them. Plain JS, no library:
// the binary serves this file as is (src/http/web, embedded at build time).

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = 'shot.apiKey';
const TERMINAL = new Set(['succeeded', 'partial', 'failed', 'canceled']);
const PICTURE_LOADS = 4;  // pictures fetched at once
const THUMBNAIL = { width: 400, fit: 'inside', format: 'jpeg', quality: 80 };

let apiKey = localStorage.getItem(KEY_STORAGE) || '';
let current = null;  // the job on show: {id, abort, tiles: Map(index → tile), job}
let jobsCursor = '';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the API

class ApiError extends Error {
  constructor(status, problem) {
    const title = problem.title || `HTTP ${status}`;
    super(problem.detail ? `${title}: ${problem.detail}` : title);
    this.status = status;
    this.title = title;
    this.detail = problem.detail || '';
    this.field = problem.field || '';
  }
}

async function problemOf(res) {
  let problem = {};
  try {
    const type = res.headers.get('content-type') || '';
    if (type.includes('json')) problem = await res.json();
    else problem = { detail: (await res.text()).slice(0, 300) };
  } catch { /* a body that is not JSON: the status says enough */ }
  if (typeof problem !== 'object' || problem === null) problem = {};
  if (res.status === 429 || res.status === 503) {
    const after = res.headers.get('retry-after');
    if (after) problem.detail = `${problem.detail || ''} (try again in ${after} s)`.trim();
  }
  return new ApiError(res.status, problem);
}

// fetch() with the key; the JSON answer, or the Response when `raw`.
async function api(path, { method = 'GET', body, signal, raw = false } = {}) {
  const headers = {};
  if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  for (let attempt = 1; ; ++attempt) {
    let res;
    try {
      res = await fetch(path, {
        method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, { title: 'The server cannot be reached', detail: e.message });
    }
    // A key's rate limit: reads wait as told and try again (a few times);
    // a submission is the user's to repeat.
    const after = Number(res.headers.get('retry-after'));
    if (res.status === 429 && method === 'GET' && attempt < 5 && after > 0 && after <= 30) {
      await sleep(after * 1000);
      continue;
    }
    if (!res.ok) throw await problemOf(res);
    return raw ? res : res.json();
  }
}

// Server-sent events read from a fetch() body: EventSource cannot send the
// Authorization header, fetch can. Yields {event, data}.
async function* serverEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = '';
  let data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        let line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (line === '') {
          if (data.length) yield { event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;  // a keep-alive comment
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
    }
  } finally {
    reader.releaseLock();
  }
}

// ---- errors on the page, with the field at fault marked

const FIELD_INPUTS = {
  urls: 'urls', url: 'urls', start_url: 'start-url', max_pages: 'max-pages',
  max_depth: 'max-depth', strategy: 'strategy', scope: 'scope', 'options.width': 'width',
  'options.height': 'height', 'options.format': 'format', 'options.full_page': 'full-page',
  Authorization: 'api-key',
};

function clearFieldErrors() {
  for (const el of document.querySelectorAll('[aria-invalid="true"]')) {
    el.removeAttribute('aria-invalid');
    el.removeAttribute('aria-describedby');
  }
}

function showError(box, error) {
  box.replaceChildren();
  const message = document.createElement('p');
  if (error instanceof ApiError) {
    const strong = document.createElement('strong');
    strong.textContent = error.title;
    message.append(strong);
    if (error.detail) message.append(`: ${error.detail}`);
  } else {
    message.textContent = error.message || String(error);
  }
  box.append(message);
  const field = error.field || '';
  if (field) {
    const where = document.createElement('p');
    where.className = 'field-name';
    where.textContent = `Field: ${field}`;
    box.append(where);
  }
  box.hidden = false;
  if (error.status === 401) {
    $('key-panel').open = true;
    markField('Authorization', box);
    $('api-key').focus();
    return;
  }
  if (!markField(field, box)) box.focus?.();
}

// Marks the input behind `field` invalid and focuses it; false when none.
// `urls[3]` is the fourth URL: its line is selected.
function markField(field, box) {
  const line = /^urls\[(\d+)\]$/.exec(field);
  const id = line ? 'urls' : FIELD_INPUTS[field] || FIELD_INPUTS[field.replace(/^options\./, '')];
  const input = id && $(id);
  if (!input) return false;
  if (input.closest('[hidden]')) return false;
  input.setAttribute('aria-invalid', 'true');
  if (box.id) input.setAttribute('aria-describedby', box.id);
  input.focus();
  if (line) selectUrlLine(input, Number(line[1]));
  return true;
}

// Selects the n-th non-blank line of the URL list (the n-th URL sent).
function selectUrlLine(textarea, n) {
  let at = 0;
  for (const text of textarea.value.split('\n')) {
    if (text.trim() !== '' && n-- === 0) {
      textarea.setSelectionRange(at, at + text.length);
      return;
    }
    at += text.length + 1;
  }
}

function hideError(box) {
  box.hidden = true;
  box.replaceChildren();
}

// ---- the API key

function showKeyState() {
  $('key-state').textContent = apiKey ? 'saved in this browser' : 'none';
  $('api-key').value = apiKey;
}

$('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  apiKey = $('api-key').value.trim();
  if (apiKey) localStorage.setItem(KEY_STORAGE, apiKey);
  else localStorage.removeItem(KEY_STORAGE);
  clearFieldErrors();
  showKeyState();
  $('key-panel').open = false;
  hideError($('form-error'));
  loadJobs();
  if (current && !current.following) follow(current);
});

$('key-forget').addEventListener('click', () => {
  apiKey = '';
  localStorage.removeItem(KEY_STORAGE);
  showKeyState();
});

// ---- the form

function mode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

function showMode() {
  const crawl = mode() === 'crawl';
  $('urls-fields').hidden = crawl;
  $('crawl-fields').hidden = !crawl;
  $('submit-button').textContent = crawl ? 'Start the crawl' : 'Take screenshots';
}

for (const radio of document.querySelectorAll('input[name="mode"]'))
  radio.addEventListener('change', showMode);

// A number when the input holds one; otherwise the text as typed, so the
// server's answer names the field (an empty input is left out).
function numberOrText(id) {
  const text = $(id).value.trim();
  if (text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

function captureOptions() {
  const options = {};
  const width = numberOrText('width');
  const height = numberOrText('height');
  if (width !== undefined) options.width = width;
  if (height !== undefined) options.height = height;
  options.format = $('format').value;
  if ($('full-page').checked) options.full_page = true;
  // A small picture for the gallery, so a big batch does not fetch every full
  // picture to show it (a PDF has none).
  if (options.format !== 'pdf') options.thumbnail = THUMBNAIL;
  return options;
}

$('job-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const box = $('form-error');
  hideError(box);
  clearFieldErrors();
  const button = $('submit-button');
  let path;
  let body;
  if (mode() === 'crawl') {
    path = '/v1/crawls';
    body = {
      start_url: $('start-url').value.trim(),
      strategy: $('strategy').value,
      scope: $('scope').value,
      options: captureOptions(),
    };
    const maxPages = numberOrText('max-pages');
    const maxDepth = numberOrText('max-depth');
    if (maxPages !== undefined) body.max_pages = maxPages;
    if (maxDepth !== undefined) body.max_depth = maxDepth;
  } else {
    const urls = $('urls').value.split('\n').map((u) => u.trim()).filter((u) => u !== '');
    if (!urls.length) {
      showError(box, { message: 'Paste at least one URL, one a line.', field: 'urls' });
      return;
    }
    path = '/v1/jobs';
    body = { urls, options: captureOptions() };
  }
  button.disabled = true;
  try {
    const accepted = await api(path, { method: 'POST', body });
    openJob(accepted.id);
    loadJobs();
  } catch (error) {
    showError(box, error);
  } finally {
    button.disabled = false;
  }
});

// ---- the job on show

function describe(job) {
  const p = job.progress || { total: 0, succeeded: 0, failed: 0 };
  const done = p.succeeded + p.failed;
  let text = `${job.state}: ${done} of ${p.total} done`;
  if (p.failed) text += `, ${p.failed} failed`;
  return text;
}

function openJob(id) {
  if (current) closeJob();
  current = {
    id, abort: new AbortController(), tiles: new Map(), job: null, queue: [], active: 0, urls: [],
  };
  $('job').hidden = false;
  $('job-id').textContent = id;
  $('job-status').textContent = 'Waiting for the server…';
  $('job-progress').value = 0;
  $('job-progress').max = 1;
  $('gallery').replaceChildren();
  hideError($('job-error'));
  $('download-zip').disabled = true;
  $('cancel-job').hidden = false;
  if (location.hash !== `#job=${id}`) history.replaceState(null, '', `#job=${id}`);
  follow(current);
}

function closeJob() {
  current.abort.abort();
  for (const url of current.urls) URL.revokeObjectURL(url);
  current = null;
}

// Follows the job's events until it finishes; reconnects (a bounded number of
// times) when the stream breaks before the end.
async function follow(view) {
  view.following = true;
  const signal = view.abort.signal;
  try {
    for (let attempt = 0; attempt < 30 && !signal.aborted; ++attempt) {
      try {
        const res = await api(`/v1/jobs/${encodeURIComponent(view.id)}/events`, { raw: true, signal });
        for await (const ev of serverEvents(res.body)) {
          attempt = 0;
          if (ev.event !== 'progress' && ev.event !== 'done') continue;
          render(view, JSON.parse(ev.data));
        }
        if (view.job && TERMINAL.has(view.job.state)) return;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.status >= 400 && error.status < 500 &&
            error.status !== 429) {
          showError($('job-error'), error);
          return;
        }
      }
      await sleep(Math.min(500 * 2 ** attempt, 8000));
    }
  } finally {
    view.following = false;
  }
}

function render(view, job) {
  if (view !== current) return;
  view.job = job;
  const p = job.progress || { total: 0, succeeded: 0, failed: 0 };
  $('job-status').textContent = describe(job);
  $('job-progress').max = Math.max(1, p.total);
  $('job-progress').value = p.succeeded + p.failed;
  for (const item of job.items || []) renderItem(view, item);
  const finished = TERMINAL.has(job.state);
  $('cancel-job').hidden = finished;
  $('download-zip').disabled = !finished || !p.succeeded;
  document.title = finished ? `${job.state} · shot` : `${p.succeeded + p.failed}/${p.total} · shot`;
  if (finished) loadJobs();
}

function shortUrl(url) {
  try {
    const u = new URL(url);
    return u.host + (u.pathname === '/' ? '' : u.pathname) + u.search;
  } catch {
    return url;
  }
}

function renderItem(view, item) {
  let tile = view.tiles.get(item.index);
  if (!tile) {
    const li = document.createElement('li');
    li.className = 'tile';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'thumb';
    button.setAttribute('aria-label', `Open the picture of ${item.url}`);
    const img = document.createElement('img');
    img.alt = '';
    img.decoding = 'async';
    const badge = document.createElement('span');
    badge.className = 'badge';
    button.append(img, badge);
    const caption = document.createElement('p');
    caption.className = 'caption';
    caption.textContent = shortUrl(item.url);
    caption.title = item.url;
    li.append(button, caption);
    $('gallery').append(li);
    tile = { li, img, badge, button, item, shown: false, full: null };
    button.addEventListener('click', () => openViewer(view, tile));
    view.tiles.set(item.index, tile);
  }
  tile.item = item;
  tile.li.dataset.state = item.state;
  tile.button.disabled = !viewable(tile);
  if (item.state === 'failed') {
    tile.badge.textContent = item.error ? `failed: ${item.error.code}` : 'failed';
    tile.li.title = item.error ? item.error.message : '';
  } else if (item.state !== 'succeeded') {
    tile.badge.textContent = item.state;
  } else if (!tile.shown) {
    tile.shown = true;
    tile.badge.textContent = 'loading';
    showThumbnail(view, tile);
  }
}

const viewable = (tile) => tile.item.state === 'succeeded' || tile.item.state === 'failed';
const isImage = (item) => (item.content_type || '').startsWith('image/');

// What a tile says over its picture: nothing, unless the page answered with an error.
function statusBadge(item) {
  return item.http_status >= 400 ? `HTTP ${item.http_status}` : '';
}

function noRedirect(url) {
  const u = new URL(url, location.href);
  u.searchParams.set('redirect', 'false');
  return u.pathname + u.search;
}

// The bytes at `url`, fetched with the key (an <img src> could not send it),
// at most PICTURE_LOADS at a time.
function fetchBlob(view, url) {
  return new Promise((resolve, reject) => {
    view.queue.push(async () => {
      try {
        // redirect=false: a redirect to the blob store (S3) would leave this
        // origin, which the page's Content-Security-Policy does not allow.
        const res = await api(noRedirect(url), { raw: true, signal: view.abort.signal });
        resolve(await res.blob());
      } catch (error) {
        reject(error);
      }
    });
    pump(view);
  });
}

function objectUrl(view, blob) {
  const url = URL.createObjectURL(blob);
  view.urls.push(url);
  return url;
}

// The full picture, {blob, url}, fetched once (for the viewer and the zip).
function fullPicture(view, tile) {
  if (!tile.full) {
    const full = fetchBlob(view, tile.item.result_url)
      .then((blob) => ({ blob, url: objectUrl(view, blob) }));
    full.catch(() => { if (tile.full === full) tile.full = null; });  // the next use tries again
    tile.full = full;
  }
  return tile.full;
}

// The tile's picture: the item's thumbnail when the server made one (the
// page asks for it), else the full picture, scaled by CSS.
async function showThumbnail(view, tile) {
  const item = tile.item;
  try {
    if (isImage(item)) {
      tile.img.src = item.thumbnail_url
        ? objectUrl(view, await fetchBlob(view, item.thumbnail_url))
        : (await fullPicture(view, tile)).url;
      await tile.img.decode().catch(() => {});
      tile.badge.textContent = statusBadge(item);
    } else {
      tile.badge.textContent = (item.content_type || 'file').split('/').pop().toUpperCase();
    }
    tile.li.dataset.ready = 'true';
  } catch (error) {
    if (view.abort.signal.aborted) return;
    tile.badge.textContent = 'not loaded';
    tile.li.title = error.message;
    tile.shown = false;  // the next event tries again
  }
}

function pump(view) {
  while (view.active < PICTURE_LOADS && view.queue.length) {
    const next = view.queue.shift();
    ++view.active;
    next().finally(() => {
      --view.active;
      pump(view);
    });
  }
}

$('cancel-job').addEventListener('click', async () => {
  if (!current) return;
  try {
    render(current, await api(`/v1/jobs/${encodeURIComponent(current.id)}`, { method: 'DELETE' }));
  } catch (error) {
    showError($('job-error'), error);
  }
});

// ---- the picture and its facts

function fact(list, name, value) {
  if (value === undefined || value === null || value === '') return;
  const dt = document.createElement('dt');
  dt.textContent = name;
  const dd = document.createElement('dd');
  if (value instanceof Node) dd.append(value);
  else dd.textContent = String(value);
  list.append(dt, dd);
}

function timingsText(timings) {
  if (!timings || typeof timings !== 'object') return '';
  return Object.entries(timings)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `${k.replace(/_ms$/, '')} ${Math.round(v)} ms`)
    .join(', ');
}

function fileName(item, index) {
  const ext = { 'image/jpeg': 'jpg', 'application/pdf': 'pdf', 'image/webp': 'webp' }[
    item.content_type] || (item.content_type || 'image/png').split('/').pop();
  const slug = shortUrl(item.url).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '')
    .slice(0, 80) || 'page';
  return `${String(index + 1).padStart(3, '0')}-${slug}.${ext}`;
}

let viewerTile = null;

async function openViewer(view, tile) {
  viewerTile = tile;
  const item = tile.item;
  const dialog = $('viewer');
  $('viewer-title').textContent = item.title || shortUrl(item.url);
  const facts = $('viewer-facts');
  facts.replaceChildren();
  fact(facts, 'URL', item.url);
  fact(facts, 'Final URL', item.final_url);
  fact(facts, 'HTTP status', item.http_status);
  fact(facts, 'Title', item.title);
  if (item.width) fact(facts, 'Size', `${item.width} × ${item.height} px`);
  fact(facts, 'Format', item.content_type);
  if (item.bytes) fact(facts, 'Bytes', item.bytes.toLocaleString());
  fact(facts, 'Timings', timingsText(item.timings));
  if (item.cached) fact(facts, 'Cached', 'yes');
  if (item.truncated) fact(facts, 'Truncated', 'yes (taller than the height limit)');
  if (item.error) fact(facts, 'Error', `${item.error.code}: ${item.error.message}`);
  const tiles = [...view.tiles.values()].filter(viewable);
  const at = tiles.indexOf(tile);
  $('viewer-prev').disabled = at <= 0;
  $('viewer-next').disabled = at < 0 || at >= tiles.length - 1;
  $('viewer-position').textContent = at >= 0 ? `${at + 1} of ${tiles.length}` : '';
  const img = $('viewer-img');
  const download = $('viewer-download');
  img.removeAttribute('src');
  img.alt = '';
  download.hidden = true;
  $('viewer-nopreview').hidden = true;
  if (!dialog.open) dialog.showModal();
  if (item.state !== 'succeeded') return;
  let full;
  try {
    full = await fullPicture(view, tile);
  } catch (error) {
    if (viewerTile === tile) fact(facts, 'Picture', `not loaded: ${error.message}`);
    return;
  }
  if (viewerTile !== tile) return;  // the user moved on meanwhile
  if (isImage(item)) {
    img.src = full.url;
    img.alt = `The page ${item.url}`;
  } else {
    $('viewer-nopreview').hidden = false;
  }
  download.href = full.url;
  download.download = fileName(item, item.index);
  download.hidden = false;
}

// The previous (-1) or next (+1) picture of the job on show.
function stepViewer(by) {
  if (!current || !viewerTile) return;
  const tiles = [...current.tiles.values()].filter(viewable);
  const next = tiles[tiles.indexOf(viewerTile) + by];
  if (next) openViewer(current, next);
}

$('viewer-prev').addEventListener('click', () => stepViewer(-1));
$('viewer-next').addEventListener('click', () => stepViewer(1));
$('viewer').addEventListener('keydown', (e) => {
  if (e.key === 'ArrowLeft') stepViewer(-1);
  else if (e.key === 'ArrowRight') stepViewer(1);
});
$('viewer').addEventListener('close', () => {
  if (viewerTile) viewerTile.button.focus();
  viewerTile = null;
});
$('viewer-close').addEventListener('click', () => $('viewer').close());
$('viewer').addEventListener('click', (e) => {
  if (e.target === e.currentTarget) e.currentTarget.close();  // a click on the backdrop
});

// ---- all pictures as one zip, written here (stored, no compression: the
// pictures are compressed already)

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; ++n) {
    let c = n;
    for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; ++i) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// files: [{name, bytes: Uint8Array}] → a Blob of a ZIP archive (APPNOTE 6.3, stored).
function zipBlob(files, date = new Date()) {
  const dosTime = (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1);
  const dosDate = ((date.getFullYear() - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate();
  const encoder = new TextEncoder();
  const parts = [];
  const central = [];
  let offset = 0;
  if (files.length > 0xffff) throw new Error('too many files for one zip');
  for (const file of files) {
    const name = encoder.encode(file.name);
    const crc = crc32(file.bytes);
    const size = file.bytes.length;
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);          // version needed: 2.0
    local.setUint16(6, 0x0800, true);      // names are UTF-8
    local.setUint16(8, 0, true);           // stored
    local.setUint16(10, dosTime, true);
    local.setUint16(12, dosDate, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, size, true);
    local.setUint32(22, size, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, 0, true);
    const entry = new DataView(new ArrayBuffer(46));
    entry.setUint32(0, 0x02014b50, true);
    entry.setUint16(4, 20, true);          // made by: 2.0, MS-DOS attributes
    entry.setUint16(6, 20, true);
    entry.setUint16(8, 0x0800, true);
    entry.setUint16(10, 0, true);
    entry.setUint16(12, dosTime, true);
    entry.setUint16(14, dosDate, true);
    entry.setUint32(16, crc, true);
    entry.setUint32(20, size, true);
    entry.setUint32(24, size, true);
    entry.setUint16(28, name.length, true);
    // extra, comment, disk, internal and external attributes: all zero
    entry.setUint32(42, offset, true);
    parts.push(local, name, file.bytes);
    central.push(entry, name);
    offset += 30 + name.length + size;
    if (offset > 0xffffffff) throw new Error('the pictures are too big for one zip (4 GB)');
  }
  const centralSize = central.reduce((n, part) => n + part.byteLength, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, files.length, true);
  end.setUint16(10, files.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  return new Blob([...parts, ...central, end], { type: 'application/zip' });
}

$('download-zip').addEventListener('click', async () => {
  const view = current;
  if (!view || !view.job) return;
  const button = $('download-zip');
  button.disabled = true;
  hideError($('job-error'));
  try {
    const tiles = [...view.tiles.values()].filter((t) => t.item.state === 'succeeded');
    const files = await Promise.all(tiles.map(async (t) => ({
      name: fileName(t.item, t.item.index),
      bytes: new Uint8Array(await (await fullPicture(view, t)).blob.arrayBuffer()),
    })));
    const url = URL.createObjectURL(zipBlob(files));
    const a = document.createElement('a');
    a.href = url;
    a.download = `shot-${view.id}.zip`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (error) {
    showError($('job-error'), error);
  } finally {
    button.disabled = view !== current || !TERMINAL.has(view.job.state);
  }
});

// ---- recent jobs

function jobRow(job) {
  const li = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'job-row';
  button.dataset.id = job.id;
  const id = document.createElement('code');
  id.textContent = job.id;
  const state = document.createElement('span');
  state.className = `state state-${job.state}`;
  state.textContent = job.state;
  const detail = document.createElement('span');
  const p = job.progress || { total: 0, succeeded: 0 };
  const when = job.created_ms ? new Date(job.created_ms).toLocaleString() : '';
  detail.textContent = `${job.kind || 'capture'} · ${p.succeeded}/${p.total} pictures · ${when}`;
  button.append(id, state, detail);
  if (current && current.id === job.id) button.setAttribute('aria-current', 'true');
  button.addEventListener('click', () => {
    openJob(job.id);
    $('job').scrollIntoView({ behavior: 'smooth', block: 'start' });
  });
  li.append(button);
  return li;
}

async function loadJobs(more = false) {
  const box = $('jobs-error');
  const query = new URLSearchParams({ limit: '20' });
  if (more && jobsCursor) query.set('cursor', jobsCursor);
  try {
    const page = await api(`/v1/jobs?${query}`);
    hideError(box);
    const rows = (page.jobs || []).map(jobRow);
    if (more) $('jobs-list').append(...rows);
    else $('jobs-list').replaceChildren(...rows);
    if (!more && !rows.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'No jobs yet.';
      $('jobs-list').append(li);
    }
    jobsCursor = page.next_cursor || '';
    $('more-jobs').hidden = !jobsCursor;
  } catch (error) {
    showError(box, error);
  }
}

$('refresh-jobs').addEventListener('click', () => loadJobs());
$('more-jobs').addEventListener('click', () => loadJobs(true));

// ---- start

showKeyState();
showMode();
loadJobs();
const fromHash = /^#job=([^&]+)$/.exec(location.hash);
if (fromHash) openJob(decodeURIComponent(fromHash[1]));
