// Search page of Cổng TTCP: queries the static index written by portal_search.
// Mirrors portal/search.py: tokens are runs of letters and digits, folded by dropping marks,
// mapping đ→d and lower-casing; shards are chosen by FNV-1a of the folded key. A query fetches
// the manifest once, one shard per word and per pair of adjacent words, and the files holding
// the titles and sapos of the results it shows. See docs/search.md.

const PAGE_SIZE = 10;
const DEBOUNCE_MS = 150;
const MAX_WORDS = 10;  // words of a query used: bounds the shards, so the bytes and time, of a search
const TOKEN = /[\p{L}\p{N}]+/gu;
const MARKS = /\p{Mn}/gu;

export function fold(value) {
  return value.normalize("NFD").replace(MARKS, "").normalize("NFC")
    .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
}

export function tokenize(value) {
  const words = value.normalize("NFC").match(TOKEN) || [];
  return words.map((word) => {
    const exact = word.toLowerCase();
    return { exact, folded: fold(exact) };
  });
}

export function shardOf(key, count) {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash % count;
}

export function decodeIds(encoded) {
  const ids = [];
  if (encoded.startsWith("~")) {
    const bytes = atob(encoded.slice(1));
    for (let i = 0; i < bytes.length; i += 1) {
      const byte = bytes.charCodeAt(i);
      for (let bit = 0; bit < 8; bit += 1) if (byte >> bit & 1) ids.push(i * 8 + bit);
    }
    return ids;
  }
  let current = 0;
  for (const gap of encoded.split(",")) {
    current += parseInt(gap, 36);
    ids.push(current);
  }
  return ids;
}

class SearchIndex {
  constructor(url) {
    this.base = new URL(".", new URL(url, document.baseURI));
    this.manifestUrl = new URL(url, document.baseURI);
    this.files = new Map();
  }

  load(name) {
    const url = name ? new URL(name, this.base) : this.manifestUrl;
    if (!this.files.has(url.href)) {
      const request = fetch(url).then((response) => {
        if (!response.ok) throw new Error(`${url}: ${response.status}`);
        return response.json();
      });
      request.catch(() => this.files.delete(url.href));
      this.files.set(url.href, request);
    }
    return this.files.get(url.href);
  }

  manifest() { return this.load(null); }

  async entry(key) {
    const manifest = await this.manifest();
    const shard = await this.load(manifest.shards[shardOf(key, manifest.shards.length)]);
    return Object.prototype.hasOwnProperty.call(shard, key) ? shard[key] : null;
  }

  // Ranks every document containing all the words: the longest run of the query's adjacent
  // pairs it has (a phrase of the query's words), then how many pairs, then words spelled with
  // the user's diacritics and words in the title, then the newest. Every shard is fetched in one
  // wave; ranking works on typed arrays, one slot per document, without lists of ids.
  async search(query, section, year) {
    const manifest = await this.manifest();
    const all = tokenize(query);
    const cut = all.length > MAX_WORDS;
    const tokens = all.slice(0, MAX_WORDS);
    const words = dedupe(tokens, (word) => word.exact);
    if (!words.length) return { words, ids: [], cut };
    // Pair p (bit p of a document's mask) is words p and p+1 of the query, repeats included, so
    // adjacent bits are overlapping pairs; a repeated pair costs no second request (see load).
    const phrases = tokens.slice(1).map((word, i) => `${tokens[i].folded} ${word.folded}`);
    const entries = await Promise.all([...words.map((w) => w.folded), ...phrases].map((key) => this.entry(key)));
    performance.mark("portal-search:fetched");
    if (entries.slice(0, words.length).some((entry) => entry === null)) return { words, ids: [], cut };
    const n = manifest.count;
    const hits = new Uint8Array(n);
    const points = new Uint8Array(n);
    const seen = new Uint8Array(n);
    words.forEach((word, i) => scoreWord(word, entries[i], hits, points, seen));
    const pairs = new Uint32Array(n);
    entries.slice(words.length).forEach((entry, p) => { if (entry) markIds(entry, pairs, 1 << p); });
    const [first, last] = yearRange(manifest, year);
    const sectionCode = sectionCodeOf(manifest, section);
    // Sort keys pack score and id in one number (ids < 2^21), so the typed array sorts natively.
    const keys = new Float64Array(Math.max(0, last - first + 1));
    let found = 0;
    for (let id = first; id <= last; id += 1) {
      if (hits[id] === words.length && (sectionCode === null || manifest.docSections[id] === sectionCode)) {
        const mask = pairs[id];
        const score = mask ? (longestRun(mask) * 32 + bitCount(mask)) * 256 + points[id] : points[id];
        keys[found] = score * 2097152 + id;
        found += 1;
      }
    }
    const ranked = keys.subarray(0, found).sort().reverse();
    const ids = Array.from(ranked, (key) => key % 2097152);
    return { words, ids, cut };
  }

  async documents(ids) {
    const manifest = await this.manifest();
    const size = manifest.chunkSize;
    const chunks = await Promise.all(ids.map((id) => this.load(manifest.chunks[Math.floor(id / size)])));
    return ids.map((id, i) => {
      const [url, title, section, date, summary] = chunks[i][id % size];
      return { url, title, section: (manifest.sections[section] || [])[1] || "", date, summary };
    });
  }
}

function dedupe(values, key) {
  const seen = new Set();
  return values.filter((value) => !seen.has(key(value)) && seen.add(key(value)));
}

// Sets ``bit`` in ``target[id]`` for every id of an encoded list (see ``decodeIds``), without
// building the list: a bitmap is read byte by byte, gaps digit by digit.
export function markIds(encoded, target, bit) {
  if (encoded.charCodeAt(0) === 126) {  // "~": base64 bitmap
    const bytes = atob(encoded.slice(1));
    for (let i = 0; i < bytes.length; i += 1) {
      for (let byte = bytes.charCodeAt(i), id = i * 8; byte; byte >>= 1, id += 1) {
        if (byte & 1) target[id] |= bit;
      }
    }
    return;
  }
  let current = 0;
  let gap = 0;
  for (let i = 0; i <= encoded.length; i += 1) {
    const code = i < encoded.length ? encoded.charCodeAt(i) : 44;
    if (code === 44) {  // ","
      current += gap;
      target[current] |= bit;
      gap = 0;
    } else {
      gap = gap * 36 + (code <= 57 ? code - 48 : code - 87);
    }
  }
}

// Counts the word in ``hits`` for each document having it in any spelling, and adds to
// ``points``: 3 when the document has the spelling typed (only for words typed with marks),
// 2 when its title has the word.
function scoreWord(word, entry, hits, points, seen) {
  const [variants, titles] = entry;
  const marked = word.exact !== word.folded;
  seen.fill(0);
  for (const [exact, encoded] of Object.entries(variants)) markIds(encoded, seen, marked && exact === word.exact ? 3 : 1);
  if (titles) markIds(titles, seen, 4);
  for (let id = 0; id < seen.length; id += 1) {
    const flags = seen[id];
    if (flags) {
      hits[id] += 1;
      points[id] += (flags & 2 ? 3 : 0) + (flags & 4 ? 2 : 0);
    }
  }
}

function bitCount(mask) {
  let count = 0;
  for (let m = mask; m; m &= m - 1) count += 1;
  return count;
}

// The longest run of set bits: adjacent pairs of query words, i.e. the longest phrase.
function longestRun(mask) {
  let run = 0;
  for (let m = mask; m; m &= m << 1) run += 1;
  return run;
}

// 9466 → "9.466", as vi-VN writes it (Intl's first call costs tens of milliseconds).
function formatCount(count) {
  return String(count).replace(/\B(?=(\d{3})+$)/g, ".");
}

function yearRange(manifest, year) {
  const found = manifest.years.find(([y]) => String(y) === year);
  if (year && !found) return [0, -1];
  return found ? [found[1], found[2]] : [0, manifest.count - 1];
}

function sectionCodeOf(manifest, slug) {
  if (!slug) return null;
  const position = manifest.sections.findIndex(([s]) => s === slug);
  return position < 0 ? "" : position.toString(36);
}

const FOLDED = new Map();

function foldCached(word) {
  if (!FOLDED.has(word)) FOLDED.set(word, fold(word));
  return FOLDED.get(word);
}

// Text with the words of the query wrapped in <mark>, as DOM nodes (never innerHTML).
function highlight(value, folded) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of value.matchAll(TOKEN)) {
    if (!folded.has(foldCached(match[0]))) continue;
    fragment.append(value.slice(last, match.index));
    const mark = document.createElement("mark");
    mark.textContent = match[0];
    fragment.append(mark);
    last = match.index + match[0].length;
  }
  fragment.append(value.slice(last));
  return fragment;
}

function element(tag, className, ...children) {
  const node = document.createElement(tag);
  node.className = className;
  node.append(...children);
  return node;
}

class SearchPage {
  constructor(form) {
    this.form = form;
    this.index = new SearchIndex(form.dataset.index);
    this.root = new URL(form.dataset.root || "/", document.baseURI);
    this.input = form.querySelector("[name=q]");
    this.section = form.querySelector("[name=section]");
    this.year = form.querySelector("[name=year]");
    this.status = document.getElementById("tim-kiem-trang-thai");
    this.list = document.getElementById("ket-qua-tim-kiem");
    this.more = document.getElementById("xem-them-ket-qua");
    this.generation = 0;
    this.timer = 0;
  }

  async start() {
    const params = new URLSearchParams(window.location.search);
    this.input.value = params.get("q") || "";
    this.section.value = params.get("section") || "";
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.run(); });
    this.input.addEventListener("input", () => this.later());
    this.section.addEventListener("change", () => this.run());
    this.year.addEventListener("change", () => this.run());
    this.more.addEventListener("click", () => this.showMore());
    try {
      await this.fillYears(params.get("year") || "");
    } catch {
      this.say("Không tải được chỉ mục tìm kiếm. Vui lòng tải lại trang.");
      return;
    }
    if (this.input.value.trim()) this.run();
  }

  async fillYears(selected) {
    const manifest = await this.index.manifest();
    for (const [year] of [...manifest.years].reverse()) {
      const option = new Option(String(year), String(year));
      this.year.append(option);
    }
    this.year.value = selected;
  }

  later() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), DEBOUNCE_MS);
  }

  say(message) { this.status.textContent = message; }

  keepInUrl(query) {
    const params = new URLSearchParams();
    if (query) params.set("q", query);
    if (this.section.value) params.set("section", this.section.value);
    if (this.year.value) params.set("year", this.year.value);
    const search = params.toString();
    window.history.replaceState(null, "", search ? `?${search}` : window.location.pathname);
  }

  async run() {
    clearTimeout(this.timer);
    const generation = ++this.generation;
    const query = this.input.value.trim();
    this.keepInUrl(query);
    if (!query) {
      this.list.replaceChildren();
      this.more.hidden = true;
      this.say("");
      return;
    }
    this.form.setAttribute("aria-busy", "true");
    performance.mark("portal-search:start");  // the marks let bench/search_bench.py split the time
    try {
      const found = await this.index.search(query, this.section.value, this.year.value);
      performance.mark("portal-search:ranked");
      if (generation !== this.generation) return;
      this.found = found;
      this.folded = new Set(found.words.map((word) => word.folded));
      this.shown = 0;
      this.list.replaceChildren();
      await this.showMore(false);
      if (generation !== this.generation) return;
      this.say(this.summary(query, found.ids.length, found.cut));
      performance.mark("portal-search:shown");
    } catch {
      if (generation === this.generation) this.say("Không tải được chỉ mục tìm kiếm. Vui lòng thử lại.");
    } finally {
      if (generation === this.generation) this.form.removeAttribute("aria-busy");
    }
  }

  summary(query, count, cut) {
    const words = cut ? ` Chỉ ${MAX_WORDS} từ đầu được dùng để tìm.` : "";
    if (count) return `Tìm thấy ${formatCount(count)} kết quả cho “${query}”.${words}`;
    const filtered = this.section.value || this.year.value;
    return `Không tìm thấy kết quả nào cho “${query}”. ${
      filtered ? "Hãy bỏ bộ lọc chuyên mục, năm hoặc thử từ khóa khác." : "Hãy thử từ khóa khác hoặc ít từ hơn."}${words}`;
  }

  async showMore(moveFocus = true) {
    const generation = this.generation;
    const ids = this.found.ids.slice(this.shown, this.shown + PAGE_SIZE);
    const documents = await this.index.documents(ids);
    if (generation !== this.generation) return;
    const items = documents.map((doc) => this.result(doc));
    this.list.append(...items);
    this.shown += ids.length;
    this.more.hidden = this.shown >= this.found.ids.length;
    if (moveFocus && items.length) items[0].querySelector("a").focus();
  }

  result(doc) {
    const link = element("a", "portal-search-page__link", highlight(doc.title, this.folded));
    link.href = new URL(doc.url, this.root).href;
    const meta = element("p", "portal-search-page__meta", [doc.section, doc.date].filter(Boolean).join(" · "));
    const snippet = element("p", "portal-search-page__snippet", highlight(doc.summary, this.folded));
    return element("li", "portal-search-page__result", element("h2", "portal-search-page__title", link), meta, snippet);
  }
}

// Node imports this module in the tests, where there is no document.
const form = typeof document === "undefined" ? null : document.querySelector("[data-module=portal-search]");
if (form) new SearchPage(form).start();
