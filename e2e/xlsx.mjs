// Just enough of the .xlsx format for the browser tests: read the parts of a
// downloaded workbook (a zip of XML files) and fill a downloaded template's
// first sheet with rows, the way a clerk fills it in Excel. No dependencies:
// node's zlib inflates and deflates, and computes the CRC-32.
import { inflateRawSync, deflateRawSync, crc32 } from "node:zlib";

// readZip returns a Map of entry name → contents (Buffer), from the central
// directory (Go's archive/zip leaves sizes out of the local headers).
export function readZip(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error("not a zip file: no end of central directory");
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error("bad central directory entry");
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28), extraLen = buf.readUInt16LE(p + 30), commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    out.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

// writeZip deflates a Map of entry name → contents into a zip file.
export function writeZip(entries) {
  const locals = [], centrals = [];
  let offset = 0;
  for (const [name, content] of entries) {
    const nameBuf = Buffer.from(name, "utf8");
    const data = deflateRawSync(content);
    const crc = crc32(content) >>> 0;
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(0x0800, 6); // UTF-8 names
    head.writeUInt16LE(8, 8);
    head.writeUInt32LE(crc, 14);
    head.writeUInt32LE(data.length, 18);
    head.writeUInt32LE(content.length, 22);
    head.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(content.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(head, nameBuf, data);
    centrals.push(central, nameBuf);
    offset += head.length + nameBuf.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.size, 8);
  end.writeUInt16LE(entries.size, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

const unescapeXML = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
const escapeXML = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

// firstSheetPath is the path of the workbook's first worksheet (or its
// n-th, counting from 0).
function firstSheetPath(parts, n = 0) {
  const wb = parts.get("xl/workbook.xml").toString();
  const rid = [...wb.matchAll(/<sheet\b[^>]*\br:id="([^"]+)"/g)][n][1];
  const rels = parts.get("xl/_rels/workbook.xml.rels").toString();
  const target = rels.match(new RegExp(`<Relationship\\b[^>]*Id="${rid}"[^>]*Target="([^"]+)"`))?.[1] ??
    rels.match(new RegExp(`<Relationship\\b[^>]*Target="([^"]+)"[^>]*Id="${rid}"`))[1];
  return target.startsWith("/") ? target.slice(1) : "xl/" + target;
}

// sheetRows reads the first worksheet of a workbook (or its n-th, from 0)
// as rows of cell texts (shared and inline strings, and numbers).
export function sheetRows(buf, n = 0) {
  const parts = readZip(buf);
  const shared = [];
  const sst = parts.get("xl/sharedStrings.xml")?.toString() ?? "";
  for (const si of sst.matchAll(/<si>([\s\S]*?)<\/si>/g)) {
    shared.push(unescapeXML([...si[1].matchAll(/<t[^>]*>([\s\S]*?)<\/t>/g)].map((m) => m[1]).join("")));
  }
  const xml = parts.get(firstSheetPath(parts, n)).toString();
  const rows = [];
  for (const row of xml.matchAll(/<row\b[^>]*>([\s\S]*?)<\/row>/g)) {
    const cells = [];
    for (const c of row[1].matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const col = c[1].match(/\br="([A-Z]+)\d+"/)[1];
      const idx = [...col].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;
      const type = c[1].match(/\bt="([^"]+)"/)?.[1];
      const body = c[2] ?? "";
      let v = "";
      if (type === "s") v = shared[Number(body.match(/<v>([^<]*)<\/v>/)[1])];
      else if (type === "inlineStr") v = unescapeXML([...body.matchAll(/<t[^>]*>([\s\S]*?)<\/t>/g)].map((m) => m[1]).join(""));
      else v = unescapeXML(body.match(/<v>([^<]*)<\/v>/)?.[1] ?? "");
      cells[idx] = v;
    }
    rows.push(Array.from(cells, (v) => v ?? ""));
  }
  return rows;
}

// fillTemplate returns a copy of a template workbook whose first sheet (or
// n-th, from 0) keeps its header row and gets the given rows below it
// (objects keyed by header).
export function fillTemplate(template, rows, n = 0) {
  const parts = readZip(template);
  const headers = sheetRows(template, n)[0];
  const path = firstSheetPath(parts, n);
  let xml = parts.get(path).toString();
  const colName = (i) => (i >= 26 ? String.fromCharCode(64 + Math.floor(i / 26)) : "") + String.fromCharCode(65 + (i % 26));
  const body = rows.map((r, n) => {
    const unknown = Object.keys(r).filter((k) => !headers.includes(k));
    if (unknown.length) throw new Error("the template has no column " + unknown.join(", "));
    const cells = headers.map((h, i) => (r[h] ? `<c r="${colName(i)}${n + 2}" t="inlineStr"><is><t>${escapeXML(r[h])}</t></is></c>` : "")).join("");
    return `<row r="${n + 2}">${cells}</row>`;
  }).join("");
  // Drop any row after the header (a template holds none) and append ours.
  xml = xml.replace(/(<sheetData>[\s\S]*?<row\b[^>]*\br="1"[^>]*>[\s\S]*?<\/row>)[\s\S]*?(<\/sheetData>)/, `$1${body}$2`);
  xml = xml.replace(/<dimension ref="[^"]*"\/>/, "");
  parts.set(path, Buffer.from(xml));
  return writeZip(parts);
}
