// HAM10K Skin Check: Chainlit's upload refusals (react-dropzone's wording, e.g. "File type must be
// image/jpeg,...") rewritten in plain words for patients. The server re-checks every file anyway.
(() => {
  const ACCEPTED = "a photo (JPEG, PNG, WebP or HEIC)";
  const REWRITES = [
    [/^File type must be/i, () => `This file can't be used here. Please attach ${ACCEPTED} of the skin spot.`],
    [/^Too many files/i, () => "Please attach one photo per message. You can send the next one afterwards."],
    [/^File is larger than (\d+) ?MB/i, (m) => `This photo is larger than ${m[1]} MB. Please attach a smaller photo.`],
    [/Session not found/i, () => "The chat is still connecting. Please attach the photo again in a moment."],
  ];

  function reword(node) {
    for (const title of node.querySelectorAll?.("[data-sonner-toast] [data-title]") ?? []) {
      const text = title.textContent || "";
      for (const [pattern, message] of REWRITES) {
        const match = text.match(pattern);
        if (match) {
          title.textContent = message(match);
          break;
        }
      }
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
