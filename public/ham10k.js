// HAM10K Skin Check's patch of Chainlit's browser UI. It runs on the chat page (Chainlit's custom_js) and
// inside the clinic's widget (appended to /copilot/index.js by assistant/edges/chat/widget.py), where it
// works in the widget's shadow root. It:
// 1. rewrites Chainlit's upload refusals (react-dropzone's "File type must be image/jpeg,...") in plain
//    words, from the app's catalogue (/api/v1/ui-texts, messages.toml [browser]);
// 2. gives Chainlit's icon-only controls an accessible name, in the words of Chainlit's own translation
//    files (.chainlit/translations/<tag>.json: Chainlit's keys where it has one, our "a11y" keys elsewhere);
// 3. sets the language of the page (<html lang>) or of the widget's root to the conversation's, and follows
//    a language the patient switches to later (the server posts it: assistant/edges/chat/app.py);
// 4. closes the widget's panel with Escape;
// 5. announces finished report sections and answers in a polite live region (never token by token).
//    The result's card, heat-map and chart are not announced: they are read where they are;
// 6. words the widget's layout menu ("Floating", "Sidebar", English in Chainlit) from the catalogue.
// No words are written here. The server re-checks every file anyway. Tests: tests/browser/test_accessibility.py.
(() => {
  const script = document.currentScript;
  const server = new URL(script?.src || "/public/ham10k.js", location.href).origin;
  const inWidget = /\/copilot\//.test(script?.src || "");
  const language = navigator.language || "en-US";

  const REFUSALS = [
    [/^File type must be/i, "wrong_type"],
    [/^Too many files/i, "too_many"],
    [/^File is larger than/i, "too_large"],
    [/Session not found/i, "connecting"],
  ];
  // Chainlit's controls without a name: selector, then the translation key of their name.
  const NAMES = [
    ["#new-chat-button", "navigation.newChat.button"],
    ["#upload-button", "chat.input.actions.attachFiles"],
    ["#chat-submit", "chat.input.actions.send"],
    ["#stop-button", "chat.input.actions.stop"],
    ["#chat-settings-open-modal", "a11y.settings"],
    ["#theme-toggle", "a11y.theme"],
    ["#display-mode-button", "a11y.windowLayout"],
    ["button:has(svg.lucide-maximize)", "a11y.enlarge"],
    ["button:has(svg.lucide-minimize)", "a11y.shrink"],
    ["button:has(svg.lucide-copy)", "chat.messages.actions.copy.button"],
    ["button:has(svg.lucide-arrow-down)", "a11y.latest"],
  ];
  // Chainlit's layout menu items, by their English text, then the catalogue's code for their words.
  const LAYOUTS = [["Floating", "layout_floating"], ["Sidebar", "layout_sidebar"]];
  const ASSISTANT = '[data-step-type="assistant_message"]';
  // Messages that show a result (card, heat-map, chart, PDF) are read where they are, not announced.
  const SHOWN = ".ham-result-card, .ham-chart-table, .js-plotly-plot, img.inline-image, a[download]";
  const HIDDEN = "position:absolute;width:1px;height:1px;margin:-1px;padding:0;border:0;overflow:hidden;" +
    "clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap;";

  let texts = {};  // the catalogue's words for this browser (/api/v1/ui-texts)
  let words = null;  // Chainlit's translation for this browser
  let locale = null;  // the conversation's locale, as the server decides it from the browser's languages
  const announced = new WeakMap();  // assistant message -> how many of its parts were announced

  let asked = 0;
  function loadTexts(tag) {
    const ask = ++asked;  // only the latest answer counts: a switch may come before the first one
    fetch(`${server}/api/v1/ui-texts?locale=${encodeURIComponent(tag)}`)
      .then((response) => (response.ok ? response.json() : {}))
      .then((body) => {
        if (ask !== asked) return;
        texts = body.texts || {};
        locale = body.locale || locale;
        schedule();
      })
      .catch(() => {});
  }
  loadTexts(language);
  // Chainlit's translation (the server maps any tag to the chat's locale: de-AT -> de-DE), asked again when
  // the conversation's language changes, so the names given below follow it.
  let wordsTag = null;
  function loadWords(tag) {
    if (tag === wordsTag) return;
    wordsTag = tag;
    fetch(`${server}/project/translations?language=${encodeURIComponent(tag)}`)
      .then((response) => (response.ok ? response.json() : {}))
      .then((body) => { if (tag === wordsTag) { words = body.translation || null; schedule(); } })
      .catch(() => {});
  }
  loadWords(language);

  function word(key) {
    let node = words;
    for (const part of key.split(".")) node = node && typeof node === "object" ? node[part] : undefined;
    return typeof node === "string" && node ? node : null;
  }

  function widgetRoot() {
    const host = document.getElementById("chainlit-copilot");
    return host && host.shadowRoot ? host.shadowRoot : null;
  }

  function setAttribute(element, name, value) {
    if (value && element.getAttribute(name) !== value) element.setAttribute(name, value);
  }

  function reword(root) {
    for (const title of root.querySelectorAll("[data-sonner-toast] [data-title]")) {
      const text = title.textContent || "";
      const found = REFUSALS.find(([pattern]) => pattern.test(text));
      if (found && texts[found[1]]) title.textContent = texts[found[1]];
    }
  }

  function name(root) {
    if (!words) return;
    for (const [selector, key] of NAMES) {
      for (const element of root.querySelectorAll(selector)) setAttribute(element, "aria-label", word(key));
    }
    // The paperclip is a real <button>, but react-dropzone gives it role="presentation", which forbids a name.
    for (const button of root.querySelectorAll('button#upload-button[role="presentation"]')) button.removeAttribute("role");
    const toggle = root.querySelector("#chainlit-copilot-button");
    if (toggle) {
      const open = toggle.getAttribute("aria-expanded") === "true";
      setAttribute(toggle, "aria-label", word(open ? "a11y.closeChat" : "a11y.openChat"));
    }
    // The patient's own photos: "Your photo", not the file's name.
    for (const image of root.querySelectorAll('[data-step-type="user_message"] img')) {
      setAttribute(image, "alt", word("a11y.yourPhoto"));
    }
    // The chat profile's icon on the welcome screen sits next to the product's name: decorative.
    for (const image of root.querySelectorAll("#welcome-screen img:not([alt])")) image.setAttribute("alt", "");
    // Chainlit's avatar beside each answer ("Avatar for ...", in English whatever the language): decorative.
    for (const image of root.querySelectorAll('img[alt^="Avatar for "]')) image.setAttribute("alt", "");
  }

  // Only the item's text changes (Radix keeps its check mark beside it); the item remembers which it is,
  // so that a later language switch words it again.
  function layoutMenu(root) {
    for (const item of root.querySelectorAll('[role="menuitemradio"]')) {
      const text = [...item.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.data.trim());
      if (!text) continue;
      if (!item.dataset.hamLayout) {
        const found = LAYOUTS.find(([english]) => text.data.trim() === english);
        if (!found) continue;
        item.dataset.hamLayout = found[1];
      }
      const wording = texts[item.dataset.hamLayout];
      if (wording && text.data !== wording) text.data = wording;
    }
  }

  function speak(root) {
    let region = root.querySelector("#ham-live");
    if (!region) {
      region = document.createElement("div");
      region.id = "ham-live";
      region.setAttribute("aria-live", "polite");
      region.setAttribute("role", "status");
      region.style.cssText = HIDDEN;
      (root === document ? document.body : root).appendChild(region);
    }
    return region;
  }

  // A report's parts: each h2 with what follows it up to the next h2 (what comes before the first h2 is a
  // part of its own). A message without h2 is one part.
  function parts(message) {
    const content = message.querySelector(".message-content") || message;
    const headings = [...content.querySelectorAll("h2")];
    if (!headings.length) return [content.innerText.trim()];
    const found = [];
    const parent = headings[0].parentElement;
    let current = [];
    for (const child of parent.children) {
      if (child.tagName === "H2" && current.length) { found.push(current.join("\n")); current = []; }
      const text = child.innerText.trim();
      if (text) current.push(text);
    }
    if (current.length) found.push(current.join("\n"));
    return found;
  }

  function announce(root) {
    if (!document.body) return;
    const running = !!root.querySelector("#stop-button, #upload-button-loading");
    for (const message of root.querySelectorAll(ASSISTANT)) {
      if (!message.querySelector("h2") && message.querySelector(SHOWN)) continue;
      const all = parts(message).filter(Boolean);
      // While the reply streams, a part is finished once the next one has begun; at its end, all are.
      const finished = running ? all.length - 1 : all.length;
      const done = announced.get(message) || 0;
      if (finished <= done) continue;
      const region = speak(root);
      for (const text of all.slice(done, finished)) {
        const line = document.createElement("p");
        line.textContent = text;
        region.appendChild(line);
      }
      while (region.childElementCount > 30) region.firstElementChild.remove();
      announced.set(message, finished);
    }
  }

  function language_(root) {
    if (!locale) return;
    if (root === document) setAttribute(document.documentElement, "lang", locale);
    else setAttribute(root.host, "lang", locale);  // the widget's root: the clinic's page keeps its own
  }

  function apply() {
    const roots = inWidget ? [widgetRoot()].filter(Boolean) : [document];
    if (!inWidget) roots.push(...[widgetRoot()].filter(Boolean));
    for (const root of roots) {
      reword(root);
      name(root);
      layoutMenu(root);
      language_(root);
      announce(root);
    }
  }

  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; apply(); });
  }

  const observed = new WeakSet();
  const observer = new MutationObserver(() => {
    const root = widgetRoot();
    if (root && !observed.has(root)) { observed.add(root); watch(root); }
    schedule();
  });
  function watch(root) {
    observer.observe(root, { childList: true, subtree: true, characterData: true, attributes: true,
                             attributeFilter: ["aria-expanded", "id", "disabled", "role"] });
  }
  watch(document.documentElement);

  // The conversation's new language (the chat's settings, or the patient's own words), posted by the server
  // through Chainlit's window message; only this window's own messages count, and only a locale code.
  window.addEventListener("message", (event) => {
    const next = event.source === window && event.data ? event.data.ham10k_locale : null;
    if (typeof next !== "string" || !/^[a-z]{2}$/.test(next) || next === locale) return;
    locale = next;
    loadTexts(next);
    loadWords(next);
    schedule();
  });

  // Escape closes the widget's panel (unless a menu or dialog of its own is open: Escape closes that first).
  document.addEventListener("keydown", (event) => {
    const root = widgetRoot();
    if (event.key !== "Escape" || !root) return;
    const toggle = root.querySelector("#chainlit-copilot-button");
    if (!toggle || toggle.getAttribute("aria-expanded") !== "true") return;
    if (root.querySelector('[role="menu"], [role="listbox"], [role="alertdialog"], [role="dialog"] [role="dialog"]')) return;
    setTimeout(() => {  // after the panel's own handlers: it may already have closed itself
      if (toggle.getAttribute("aria-expanded") !== "true") return toggle.focus();
      if (typeof window.toggleChainlitCopilot === "function") window.toggleChainlitCopilot();
      else toggle.click();
      toggle.focus();
    }, 0);
  }, true);
})();
