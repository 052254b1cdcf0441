// Mounts the HAM10K widget. The server is the address the copilot script came from; ?server= overrides it
// (the tests use that). ?token= passes an access token minted by the clinic's backend (`ham10k token`).
(function () {
  const params = new URLSearchParams(location.search);
  const tag = document.querySelector("script[data-ham10k]");
  const server = (params.get("server") || (tag ? new URL(tag.src).origin : "http://127.0.0.1:8000")).replace(/\/$/, "");
  const status = document.getElementById("chat-status");
  const button = document.getElementById("check-spot");
  let ready = false;

  function unavailable(sentence) {
    status.hidden = false;
    status.textContent = sentence;
  }

  // A page whose origin the server does not allow gets a CORS failure ("TypeError: Failed to fetch")
  // inside the widget: probe first, and show a plain sentence instead of mounting a broken chat.
  function widgetScript() {
    if (window.mountChainlitWidget) return Promise.resolve();
    return new Promise(function (resolve, reject) {  // ?server= pointed elsewhere than the tag's src
      const s = document.createElement("script");
      s.src = server + "/copilot/index.js";
      s.onload = resolve;
      s.onerror = reject;
      document.body.appendChild(s);
    });
  }

  fetch(server + "/project/settings", { credentials: "include" }).then(function (r) {
    if (!r.ok && r.status !== 401) throw new Error("status " + r.status);
    return widgetScript();
  }).then(function () {
    window.mountChainlitWidget({
      chainlitServer: server,
      accessToken: params.get("token") || undefined,
      theme: "light",
      button: { style: { bgcolor: "hsl(175 77% 26%)", color: "#fff", bgcolorHover: "hsl(175 77% 20%)" } },
      customCssUrl: server + "/public/widget.css",
    });
    ready = true;
  }).catch(function () {
    unavailable("The skin check chat is not available on this page right now. Please call the clinic or try again later.");
  });

  button.addEventListener("click", function () {
    if (ready && window.toggleChainlitCopilot) window.toggleChainlitCopilot();
    else unavailable("The skin check chat is not available on this page right now. Please call the clinic or try again later.");
  });
})();
