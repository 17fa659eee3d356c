// django-celery-beat's periodic-task form: the chosen crontab in words under its field. The
// package ships this as an inline script, which the content security policy refuses.
(function () {
  "use strict";
  const jq = window.django && window.django.jQuery;
  const data = document.getElementById("readable-crontabs");
  if (!jq || !data) return;
  const readable = JSON.parse(data.textContent);
  const help = jq(".field-crontab .help");
  const original = help.html();
  jq(".field-crontab_translation").hide();
  jq(".field-crontab").change(function () {
    const words = jq("<div>").text(readable[jq("#id_crontab").val()] || "").html();
    help.html(original + "<br/>Translation: " + words);
  });
})();
