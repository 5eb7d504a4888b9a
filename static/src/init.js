// Marks the page as JavaScript-enabled before it renders, as GOV.UK Frontend expects.
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
