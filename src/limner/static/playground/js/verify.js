// The drop zone: sends the file's bytes to POST /api/v1/verify and shows what the server says.
import { call, ApiError } from "./api.js";
import { plainWords } from "./errors.js";

const $ = (selector) => document.querySelector(selector);

async function verify(file) {
  const out = $("#verify-result");
  out.hidden = false;
  out.className = "verify-result";
  out.textContent = `Checking ${file.name}…`;
  try {
    const result = await call("POST", "/api/v1/verify", {
      body: await file.arrayBuffer(),
      contentType: file.type || "application/octet-stream",
    });
    out.className = `verify-result ${result.from_this_server ? "ok" : "warn"}`;
    const verdict = result.from_this_server
      ? `Made by this server: generation ${result.generation_id}.`
      : result.watermark_found
        ? "A Limner watermark, but not a generation of this server."
        : "No Limner watermark found.";
    const rows = Object.entries(result)
      .map(([name, value]) => `<tr><th>${name.replace(/_/g, " ")}</th><td></td></tr>`)
      .join("");
    out.innerHTML = `<p class="verdict"></p><table>${rows}</table>`;
    out.querySelector(".verdict").textContent = verdict;
    out.querySelectorAll("td").forEach((cell, index) => {
      cell.textContent = String(Object.values(result)[index]);
    });
  } catch (error) {
    const words = error instanceof ApiError ? plainWords(error.status, error.body) : { title: error.message, detail: "" };
    out.className = "verify-result bad";
    out.textContent = `${words.title} ${words.detail}`;
  }
}

export function setUpVerify() {
  const zone = $("#drop-zone");
  const input = $("#verify-file");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const file = event.dataTransfer.files[0];
    if (file) verify(file);
  });
  zone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") input.click();
  });
  input.addEventListener("change", () => {
    if (input.files[0]) verify(input.files[0]);
    input.value = "";
  });
}
