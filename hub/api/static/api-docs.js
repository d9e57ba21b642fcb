// Starts Swagger UI on the hub's OpenAPI document (a file, so the page needs no inline script).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    // The hub's own document only: no box to load another from elsewhere, no online validator.
    layout: "BaseLayout",
    validatorUrl: null
  });
})();
