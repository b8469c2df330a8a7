// Preview only (invoke serve): reloads the page after each rebuild and shows content errors
// in an overlay. Never shipped by a publish build.
const STATE_URL = "/__preview/state.json";
let seen = null;

function overlay(state) {
  let box = document.getElementById("portal-preview-overlay");
  const problems = state.findings.filter((f) => f.severity === "error");
  if (state.ok && problems.length === 0) {
    if (box) box.remove();
    return;
  }
  if (!box) {
    box = document.createElement("section");
    box.id = "portal-preview-overlay";
    box.className = "portal-preview-overlay";
    box.setAttribute("role", "alert");
    document.body.prepend(box);
  }
  box.replaceChildren();
  const title = document.createElement("h2");
  title.textContent = state.ok ? "Nội dung có lỗi cần sửa" : "Bản dựng thất bại";
  box.append(title);
  const list = document.createElement("ul");
  for (const finding of problems) {
    const item = document.createElement("li");
    item.textContent = finding.text;
    list.append(item);
  }
  box.append(list);
  if (!state.ok && state.log) {
    const log = document.createElement("pre");
    log.textContent = state.log;
    box.append(log);
  }
}

async function poll() {
  try {
    const response = await fetch(STATE_URL, { cache: "no-store" });
    const state = await response.json();
    if (seen !== null && state.build !== seen) {
      window.location.reload();
      return;
    }
    seen = state.build;
    overlay(state);
  } catch (error) {
    // The preview server is restarting: try again on the next tick.
  }
  window.setTimeout(poll, 500);
}

poll();
