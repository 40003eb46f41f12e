// Facteur's pages work without JavaScript; this file only adds comfort.
(function () {
  "use strict";
  // Tell the server the local time zone offset (minutes east of UTC) so dates read right.
  var off = -new Date().getTimezoneOffset();
  if (document.cookie.indexOf("facteur_tz=" + off) === -1) {
    document.cookie = "facteur_tz=" + off + "; path=/; max-age=31536000; samesite=lax";
  }
})();
