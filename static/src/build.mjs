// Builds static/dist from the npm packages: compiled CSS (Arial, no GDS Transport),
// the GOV.UK / MoJ / htmx scripts and the design-system images. Run by `make static`.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dist = join(root, "static", "dist");
const modules = join(root, "node_modules");

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "assets"), { recursive: true });

const css = sass.compile(join(root, "static", "src", "resettle.scss"), {
  loadPaths: [root],
  style: "compressed",
  quietDeps: true,
  // The design-system packages warn about their own deprecated mixins; those are not ours to fix.
  logger: { warn(message) { if (!message.includes("is deprecated")) console.warn(message); } },
});
writeFileSync(join(dist, "resettle.css"), css.css);

const copies = [
  ["govuk-frontend/dist/govuk/govuk-frontend.min.js", "govuk-frontend.min.js"],
  ["@ministryofjustice/frontend/moj/moj-frontend.min.js", "moj-frontend.min.js"],
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["govuk-frontend/dist/govuk/assets/images", "assets/images"],
  ["govuk-frontend/dist/govuk/assets/manifest.json", "assets/manifest.json"],
  ["@ministryofjustice/frontend/moj/assets/images", "assets/images"],
];
for (const [from, to] of copies) {
  cpSync(join(modules, from), join(dist, to), { recursive: true });
}
for (const file of ["init.js", "app.mjs", "timeout-warning.mjs", "conditional-radios.mjs"]) {
  cpSync(join(root, "static", "src", file), join(dist, file));
}
console.log(`static/dist built (${css.css.length} bytes of CSS)`);
