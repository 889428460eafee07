// Concierge storefront: the one script of our own. Choosing a variant
// points the "Order on WhatsApp" link at that variant (each radio carries
// its link in data-chat). Pages work without it.
document.addEventListener("change", function (e) {
  var t = e.target;
  if (!t || t.name !== "sku" || !t.dataset || !t.dataset.chat) return;
  var a = document.getElementById("chat");
  if (a) a.href = t.dataset.chat;
});
