// Copies the front-end libraries that npm installed into the folder the Go
// binary embeds. Nothing here is committed: the build makes it each time.
import { copyFileSync, mkdirSync, cpSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "internal/web/static/vendor");
mkdirSync(out, { recursive: true });
const files = {
  "htmx.org/dist/htmx.min.js": "htmx.min.js",
  "echarts/dist/echarts.min.js": "echarts.min.js",
  "leaflet/dist/leaflet.js": "leaflet.js",
  "leaflet/dist/leaflet.css": "leaflet.css",
};
for (const [from, to] of Object.entries(files)) {
  copyFileSync(join(root, "node_modules", from), join(out, to));
}
cpSync(join(root, "node_modules/leaflet/dist/images"), join(out, "images"), { recursive: true });
console.log("vendor assets copied to", out);
