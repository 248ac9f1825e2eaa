/* Admin annotation form: the paragraph list follows the chosen article, and
   is searchable (select2, which the admin already ships). */
window.addEventListener("load", function () {
  "use strict";
  var $ = window.django && window.django.jQuery;
  var article = document.getElementById("id_article");
  var block = document.getElementById("id_block");
  if (!article || !block) return;
  if ($ && $.fn.select2) $(block).select2({ width: "60em" });
  article.addEventListener("change", function () {
    // reload the form with the paragraphs of the chosen article
    var url = new URL(window.location.href);
    url.searchParams.set("article", article.value);
    window.location.href = url.toString();
  });
});
