// The full-size viewer: a result or gallery image at its own pixel size, never cropped.
const $ = (selector) => document.querySelector(selector);

export function openViewer(url) {
  const img = $("#viewer-image");
  img.onload = () => {
    $("#viewer-size").textContent = `${img.naturalWidth} × ${img.naturalHeight} px`;
  };
  $("#viewer-size").textContent = "";
  img.src = url;
  $("#viewer-open").href = url;
  $("#viewer").showModal();
}

export function setUpViewer() {
  const dialog = $("#viewer");
  $("#viewer-close").addEventListener("click", () => dialog.close());
  // a click on the backdrop (the dialog itself, outside its content) closes it too
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
}
