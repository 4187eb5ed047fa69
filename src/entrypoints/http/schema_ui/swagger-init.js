// Starts Swagger UI on the schema page. A file of its own, not an inline script, so that the
// page runs under `script-src 'self'`; the page names the document to show in data-spec-url.
"use strict";

const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.specUrl,
  domNode: root,
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  // The default sends the document to validator.swagger.io for a badge: nothing leaves here.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
