// Starts Swagger UI on /api/docs. A static file rather than an inline script, so the page works
// under the Content-Security-Policy (script-src 'self'). Options from OPENAPI_SWAGGER_UI_CONFIG
// arrive in the #swagger-ui-config JSON block and override the defaults below.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var configured = JSON.parse(document.getElementById("swagger-ui-config").textContent || "{}");
  var options = Object.assign(
    {
      url: root.getAttribute("data-spec-url"),
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null, // the public validator badge would be a third-party request
      presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIStandalonePreset],
      layout: "BaseLayout",
    },
    configured
  );
  window.ui = window.SwaggerUIBundle(options);
})();
