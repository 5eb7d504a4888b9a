// Starts the GOV.UK and MoJ Frontend components on every page.
import { initAll as initGovuk } from "./govuk-frontend.min.js";
import { initAll as initMoj } from "./moj-frontend.min.js";
import { initConditionalRadios } from "./conditional-radios.mjs";

initGovuk();
initMoj();
initConditionalRadios();
import "./timeout-warning.mjs";
