// The product page's picture upload: a preview of the chosen file before
// it is sent, and the size limit said at once (the server checks both
// again: the type by the file's bytes). Without JavaScript the form works
// the same, without the preview.
(function () {
  "use strict";
  var input = document.getElementById("file");
  var preview = document.getElementById("file-preview");
  var tooLarge = document.getElementById("file-size-err");
  if (!input || !preview || !tooLarge || !window.FileReader) {
    return;
  }
  var max = parseInt(input.getAttribute("data-max-bytes"), 10) || 0;
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    preview.hidden = true;
    preview.removeAttribute("src");
    tooLarge.hidden = true;
    tooLarge.textContent = "";
    if (!file) {
      return;
    }
    if (max && file.size > max) {
      tooLarge.textContent = tooLarge.getAttribute("data-text");
      tooLarge.hidden = false;
      return;
    }
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) {
      return;
    }
    var reader = new FileReader();
    reader.onload = function () {
      preview.src = reader.result; // a data: URL (the page's CSP allows data: pictures)
      preview.hidden = false;
    };
    reader.readAsDataURL(file);
  });
})();
