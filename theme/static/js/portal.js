// Progressive enhancement for the portal: every page reads fully without this file.
// Behaviour is attached to elements by their data-module attribute (no inline handlers).

const root = document.documentElement;
const FONT_KEY = "portal-font-size";
const CONTRAST_KEY = "portal-contrast";
const FONT_MIN = -1;
const FONT_MAX = 3;

function store(key, value) {
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch (error) {
    // Storage blocked: the change still applies to this page.
  }
}

function fontStep() {
  return Number(root.getAttribute("data-font-size") || "0");
}

function setFontStep(step) {
  const bounded = Math.max(FONT_MIN, Math.min(FONT_MAX, step));
  if (bounded === 0) root.removeAttribute("data-font-size");
  else root.setAttribute("data-font-size", String(bounded));
  store(FONT_KEY, bounded === 0 ? null : String(bounded));
}

function initPrefs(panel) {
  const contrast = panel.querySelector("[data-contrast]");
  const sync = () => contrast.setAttribute("aria-pressed", String(root.classList.contains("portal-contrast")));
  panel.querySelectorAll("[data-font-step]").forEach((button) => {
    button.addEventListener("click", () => {
      const delta = Number(button.getAttribute("data-font-step"));
      setFontStep(delta === 0 ? 0 : fontStep() + delta);
    });
  });
  contrast.addEventListener("click", () => {
    const on = root.classList.toggle("portal-contrast");
    store(CONTRAST_KEY, on ? "high" : null);
    sync();
  });
  sync();
}

function initMenu(nav) {
  const toggle = nav.querySelector(".portal-nav__toggle");
  const setOpen = (open) => {
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("portal-nav--open", open);
  };
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
  setOpen(false);
}

function initPrint(item) {
  item.querySelector("button").addEventListener("click", () => window.print());
  item.hidden = false;
}

function initCopyLink(item) {
  if (!navigator.clipboard) return;
  const status = item.querySelector("[role=status]");
  item.querySelector("button").addEventListener("click", () => {
    navigator.clipboard.writeText(item.getAttribute("data-url")).then(
      () => { status.textContent = "Đã sao chép."; },
      () => { status.textContent = "Không sao chép được, hãy chép địa chỉ trên thanh trình duyệt."; },
    );
  });
  item.hidden = false;
}

const MODULES = { prefs: initPrefs, menu: initMenu, print: initPrint, "copy-link": initCopyLink };

document.querySelectorAll("[data-module]").forEach((element) => {
  const init = MODULES[element.getAttribute("data-module")];
  if (init) init(element);
});
