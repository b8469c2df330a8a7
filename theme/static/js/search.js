// Search page of Cổng TTCP: queries the static index written by portal_search.
// Mirrors portal/search.py: tokens are runs of letters and digits, folded by dropping marks,
// mapping đ→d and lower-casing; shards are chosen by FNV-1a of the folded key. A query fetches
// the manifest once, one shard per word and per pair of adjacent words, and the files holding
// the titles and sapos of the results it shows. See docs/search.md.

const PAGE_SIZE = 10;
const DEBOUNCE_MS = 150;
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

  // Ranks every document containing all the words: phrases (adjacent words) first, then words
  // spelled with the user's diacritics, then words in the title, then the newest.
  async search(query, section, year) {
    const manifest = await this.manifest();
    const words = dedupe(tokenize(query));
    if (!words.length) return { words, ids: [] };
    const phrases = [];
    for (let i = 1; i < words.length; i += 1) phrases.push(`${words[i - 1].folded} ${words[i].folded}`);
    const [entries, phraseEntries] = await Promise.all([
      Promise.all(words.map((word) => this.entry(word.folded))),
      Promise.all(phrases.map((phrase) => this.entry(phrase))),
    ]);
    performance.mark("portal-search:fetched");
    if (entries.some((entry) => entry === null)) return { words, ids: [] };
    const n = manifest.count;
    const hits = new Uint16Array(n);
    const score = new Float64Array(n);
    words.forEach((word, i) => scoreWord(word, entries[i], hits, score));
    for (const entry of phraseEntries) if (entry) for (const id of decodeIds(entry)) score[id] += 10;
    const [first, last] = yearRange(manifest, year);
    const sectionCode = sectionCodeOf(manifest, section);
    // Sort keys pack score and id in one number (ids < 2^21), so the typed array sorts natively.
    const keys = new Float64Array(Math.max(0, last - first + 1));
    let found = 0;
    for (let id = first; id <= last; id += 1) {
      if (hits[id] === words.length && (sectionCode === null || manifest.docSections[id] === sectionCode)) {
        keys[found] = score[id] * 2097152 + id;
        found += 1;
      }
    }
    const ranked = keys.subarray(0, found).sort().reverse();
    const ids = Array.from(ranked, (key) => key % 2097152);
    return { words, ids };
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

function dedupe(words) {
  const seen = new Set();
  return words.filter((word) => !seen.has(word.exact) && seen.add(word.exact));
}

function scoreWord(word, entry, hits, score) {
  const [variants, titles] = entry;
  const marked = word.exact !== word.folded;
  const seen = new Uint8Array(hits.length);
  for (const [exact, encoded] of Object.entries(variants)) {
    const bonus = marked && exact === word.exact ? 3 : 0;
    for (const id of decodeIds(encoded)) {
      if (!seen[id]) { seen[id] = 1; hits[id] += 1; }
      if (bonus && seen[id] === 1) { seen[id] = 2; score[id] += bonus; }
    }
  }
  if (titles) for (const id of decodeIds(titles)) score[id] += 2;
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

// Text with the words of the query wrapped in <mark>, as DOM nodes (never innerHTML).
function highlight(value, folded) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of value.matchAll(TOKEN)) {
    if (!folded.has(fold(match[0]))) continue;
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
      this.say(this.summary(query, found.ids.length));
      performance.mark("portal-search:shown");
    } catch {
      if (generation === this.generation) this.say("Không tải được chỉ mục tìm kiếm. Vui lòng thử lại.");
    } finally {
      if (generation === this.generation) this.form.removeAttribute("aria-busy");
    }
  }

  summary(query, count) {
    if (count) return `Tìm thấy ${count.toLocaleString("vi-VN")} kết quả cho “${query}”.`;
    const filtered = this.section.value || this.year.value;
    return `Không tìm thấy kết quả nào cho “${query}”. ${
      filtered ? "Hãy bỏ bộ lọc chuyên mục, năm hoặc thử từ khóa khác." : "Hãy thử từ khóa khác hoặc ít từ hơn."}`;
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
