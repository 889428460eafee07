// Concierge storefront: the one script of our own. Pages work without it.
(function () {
  // Choosing a variant points the "Order on WhatsApp" link at that variant
  // (each radio carries its link in data-chat).
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!t || t.name !== "sku" || !t.dataset || !t.dataset.chat) return;
    var a = document.getElementById("chat");
    if (a) a.href = t.dataset.chat;
  });
  // htmx (hx-boost: smoother navigation) loads once the page has: it is
  // never on the way of the first paint.
  var src = document.currentScript && document.currentScript.dataset.htmx;
  if (!src) return;
  function load() {
    var s = document.createElement("script");
    s.src = src;
    document.head.appendChild(s);
  }
  if (document.readyState === "complete") load();
  else window.addEventListener("load", load);
})();
