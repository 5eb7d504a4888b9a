// Starts the GOV.UK and MoJ Frontend components on every page.
import { initAll as initGovuk } from "./govuk-frontend.min.js";
import { initAll as initMoj } from "./moj-frontend.min.js";

initGovuk();
initMoj();
import "./timeout-warning.mjs";
