// Wires the playground together: the key, the account, a generation's life, cancel, the gallery.
import { ApiError, call, events, onResponse, storeKey, storedKey } from "./api.js";
import { plainWords } from "./errors.js";
import { adultWithPicture, loadCharacters, requestBody, setBusy, setUpForm } from "./form.js";
import { loadGallery, setUpGallery } from "./gallery.js";
import { setUpMask } from "./mask.js";
import { clearResult, renderResult, showResultCard } from "./result.js";
import { setUpVerify } from "./verify.js";
import { setUpViewer } from "./viewer.js";

const $ = (selector) => document.querySelector(selector);
let current = null; // {id, abort} of the generation being followed

function showHeaders(headers, status) {
  const info = $("#response-info");
  const reset = headers.get("X-RateLimit-Reset");
  const rows = [
    ["last answer", String(status)],
    ["requests left", headers.get("X-RateLimit-Remaining") && `${headers.get("X-RateLimit-Remaining")} of ${headers.get("X-RateLimit-Limit")}`],
    ["limit resets", reset && new Date(Number(reset) * 1000).toLocaleTimeString()],
    ["request id", headers.get("X-Request-Id")],
  ].filter(([, value]) => value);
  info.replaceChildren(
    ...rows.flatMap(([name, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = name;
      const dd = document.createElement("dd");
      dd.textContent = value;
      dd.dataset.name = name;
      return [dt, dd];
    }),
  );
  info.hidden = false;
}

function showError(error) {
  const box = $("#error");
  const words = error instanceof ApiError ? plainWords(error.status, error.body) : { code: "error", title: String(error.message || error), detail: "" };
  box.replaceChildren();
  const title = document.createElement("strong");
  title.textContent = words.title;
  const detail = document.createElement("p");
  detail.textContent = words.detail;
  const code = document.createElement("code");
  code.textContent = words.code;
  box.append(title, detail, code);
  box.dataset.code = words.code;
  box.hidden = false;
}

function setStatus(text, kind) {
  const status = $("#job-status");
  status.textContent = text;
  status.className = `status status-${kind}`;
}

async function refreshAccount() {
  if (!storedKey()) {
    $("#account").hidden = true;
    return;
  }
  try {
    const account = await call("GET", "/api/v1/account");
    $("#account-prefix").textContent = account.key_prefix;
    $("#account-credits").textContent = String(account.credits_available);
    $("#account-plan").textContent = `${account.plan} plan`;
    // a test key (`livemode: false`) gets placeholder images and is never charged
    $("#account-test").hidden = account.livemode !== false;
    $("#account").hidden = false;
  } catch (error) {
    $("#account").hidden = true;
    showError(error);
  }
}

function renderImages(generation) {
  renderResult(generation);
  setStatus(`completed · ${generation.credits_used} credit${generation.credits_used === 1 ? "" : "s"}`, "completed");
  showResultCard();
}

function showProgress(fraction, text) {
  $("#progress").hidden = false;
  $("#progress-fill").style.width = `${Math.round(fraction * 100)}%`;
  $("#progress-text").textContent = text;
}

// a rough picture of the image so far, where the model has a tiny decoder to make one
function showPreview(dataUrl) {
  let img = $("#preview");
  if (!img) {
    img = document.createElement("img");
    img.id = "preview";
    img.alt = "preview of the image so far";
    img.className = "preview";
    $("#images").replaceChildren(img);
  }
  img.src = dataUrl;
}

async function follow(generation) {
  const abort = new AbortController();
  current = { id: generation.id, abort };
  $("#cancel").disabled = false;
  showProgress(0, `queued${generation.queue_position ? ` #${generation.queue_position}` : ""}`);
  setStatus("queued", "queued");
  try {
    for await (const { event, data } of events(generation.id, abort.signal)) {
      if (event === "queued") {
        showProgress(0, `queued #${data.queue_position ?? "?"}`);
      } else if (event === "running") {
        setStatus("running", "running");
        showProgress(0.02, "starting");
      } else if (event === "progress") {
        const done = (data.image - 1 + (data.total ? data.step / data.total : 0)) / data.images;
        showProgress(done, `image ${data.image} of ${data.images} · step ${data.step} of ${data.total}`);
        if (data.preview) showPreview(data.preview);
      } else if (event === "completed") {
        showProgress(1, "done");
        renderImages(data);
      } else if (event === "failed") {
        setStatus("failed", "failed");
        clearResult("No image: see why above.");
        showError(new ApiError(503, data, new Headers()));
        showResultCard();
      } else if (event === "canceled") {
        setStatus("canceled · not charged", "canceled");
        clearResult("Canceled: nothing was made or charged.");
        $("#progress-text").textContent = "canceled";
      }
    }
  } catch (error) {
    if (error.name !== "AbortError") showError(error);
  } finally {
    $("#cancel").disabled = true;
    current = null;
    setBusy(false);
    refreshAccount();
    loadGallery(true);
  }
}

async function generate(event) {
  event.preventDefault();
  $("#error").hidden = true;
  if (!storedKey()) {
    showError(new ApiError(401, { error: "missing_api_key", message: "Paste an API key first." }, new Headers()));
    return;
  }
  if (adultWithPicture()) return; // the form says why; the server would refuse it
  setBusy(true);
  setStatus("submitting", "running");
  clearResult("Working…");
  $("#progress").hidden = true;
  showResultCard();
  try {
    const generation = await call("POST", "/api/v1/generate", { json: { ...(await requestBody()), async: true } });
    $("#images").replaceChildren();
    await follow(generation);
  } catch (error) {
    setStatus("refused", "failed");
    $("#progress").hidden = true;
    clearResult("No image: see why above.");
    showError(error);
    showResultCard();
    setBusy(false);
    refreshAccount();
  }
}

async function cancel() {
  if (!current) return;
  $("#cancel").disabled = true;
  try {
    await call("POST", `/api/v1/generations/${encodeURIComponent(current.id)}/cancel`);
  } catch (error) {
    showError(error);
  }
}

function useKey(event) {
  event.preventDefault();
  const key = $("#api-key").value.trim();
  storeKey(key);
  $("#api-key").value = "";
  keyChanged();
}

function keyChanged() {
  const has = Boolean(storedKey());
  $("#api-key").placeholder = has ? "Key in use (paste another to switch)" : "Paste an API key (lmn_…)";
  $("#key-forget").hidden = !has;
  $("#error").hidden = true;
  // another key's result, progress and headers are not this key's: start clean
  clearResult();
  setStatus("idle", "idle");
  $("#progress").hidden = true;
  $("#response-info").hidden = true;
  refreshAccount();
  loadCharacters();
  if (has) loadGallery(true);
  else $("#gallery-grid").replaceChildren();
}

onResponse(showHeaders);
setUpForm();
setUpMask();
setUpViewer();
setUpGallery();
setUpVerify();
$("#key-form").addEventListener("submit", useKey);
$("#key-forget").addEventListener("click", () => {
  storeKey("");
  keyChanged();
});
$("#generate-form").addEventListener("submit", generate);
$("#cancel").addEventListener("click", cancel);
keyChanged();
