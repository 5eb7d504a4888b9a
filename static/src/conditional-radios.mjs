// Radios that reveal the fields going with a choice (the GOV.UK conditional reveal), without
// aria-expanded. GOV.UK Frontend's own radios script marks each radio input aria-expanded,
// which ARIA does not allow on a radio (axe: aria-allowed-attr, critical; govuk-frontend
// issue #979, kept there on purpose). Here each input carries only aria-controls, promoted
// from data-aria-controls as GOV.UK Frontend does, and the revealed fields follow it in the
// page order. Without JavaScript every choice's fields show, as before.
//
// Markup: <div class="govuk-radios" data-module="app-conditional-radios">, the inputs with
// data-aria-controls="<id>" and the fields in <div class="govuk-radios__conditional
// govuk-radios__conditional--hidden" id="<id>">.

function sync(input) {
  const target = document.getElementById(input.getAttribute("aria-controls") || "");
  if (target && target.classList.contains("govuk-radios__conditional")) {
    target.classList.toggle("govuk-radios__conditional--hidden", !input.checked);
  }
}

export function initConditionalRadios(root = document) {
  root.querySelectorAll('[data-module="app-conditional-radios"]').forEach((module) => {
    const inputs = [...module.querySelectorAll('input[type="radio"]')];
    for (const input of inputs) {
      const id = input.getAttribute("data-aria-controls");
      if (id && document.getElementById(id)) {
        input.setAttribute("aria-controls", id);
        input.removeAttribute("data-aria-controls");
      }
    }
    const syncAll = () => inputs.forEach(sync);
    // A page restored from the back-forward cache keeps the choice: show its fields again.
    window.addEventListener("pageshow", syncAll);
    module.addEventListener("change", syncAll);
    syncAll();
  });
}
