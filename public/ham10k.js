// HAM10K Skin Check: Chainlit's upload refusals (react-dropzone's wording, e.g. "File type must be
// image/jpeg,...") rewritten in plain words for patients, in the browser's language. The words come from
// the app's catalogue (/api/v1/ui-texts); none are written here. The server re-checks every file anyway.
(() => {
  const PATTERNS = [
    [/^File type must be/i, "wrong_type"],
    [/^Too many files/i, "too_many"],
    [/^File is larger than/i, "too_large"],
    [/Session not found/i, "connecting"],
  ];
  let texts = {};
  const server = new URL(document.currentScript?.src || "/public/ham10k.js", location.href).origin;
  fetch(`${server}/api/v1/ui-texts?locale=${encodeURIComponent(navigator.language || "en")}`)
    .then((response) => (response.ok ? response.json() : { texts: {} }))
    .then((body) => { texts = body.texts || {}; })
    .catch(() => {});

  function reword(node) {
    for (const title of node.querySelectorAll?.("[data-sonner-toast] [data-title]") ?? []) {
      const text = title.textContent || "";
      const found = PATTERNS.find(([pattern]) => pattern.test(text));
      if (found && texts[found[1]]) title.textContent = texts[found[1]];
    }
  }

  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType === Node.ELEMENT_NODE) reword(node.closest?.("[data-sonner-toaster]") ?? node);
      }
    }
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
