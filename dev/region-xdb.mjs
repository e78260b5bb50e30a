// The dev region file for tmsdk-server's TMSDK_IP2REGION: an ip2region xdb (format 2, the layout
// server/src/region.rs reads) that places loopback clients (127.0.0.0/16) in 广东省 广州市, so `npm start` and
// the scenarios show what a server with a real ip2region file fills in login_province / login_city.
import { writeFileSync } from "node:fs";

const HEADER = 256;
const VECTOR = 256 * 256 * 8;
const SEGMENT = 14;

/** The segments: [first, last, "country|area|province|city|isp"], each inside one /16 block. */
export const DEV_REGIONS = [[0x7f000000, 0x7f00ffff, "中国|0|广东省|广州市|0"]];

/** Builds the xdb bytes for `segments`. */
export function buildXdb(segments) {
  const regions = segments.map(([, , region]) => Buffer.from(region, "utf8"));
  const regionsAt = HEADER + VECTOR;
  const segmentsAt = regionsAt + regions.reduce((n, r) => n + r.length, 0);
  const data = Buffer.alloc(segmentsAt + segments.length * SEGMENT);
  data.writeUInt16LE(2, 0);
  let pointer = regionsAt;
  segments.forEach(([first, last], i) => {
    regions[i].copy(data, pointer);
    const at = segmentsAt + i * SEGMENT;
    data.writeUInt32LE(first, at);
    data.writeUInt32LE(last, at + 4);
    data.writeUInt16LE(regions[i].length, at + 8);
    data.writeUInt32LE(pointer, at + 10);
    pointer += regions[i].length;
    const entry = HEADER + ((first >>> 24) * 256 + ((first >>> 16) & 0xff)) * 8;
    if (data.readUInt32LE(entry) === 0) data.writeUInt32LE(at, entry);
    data.writeUInt32LE(at, entry + 4);
  });
  return data;
}

/** Writes the dev region file to `path`. */
export function writeDevRegions(path) {
  writeFileSync(path, buildXdb(DEV_REGIONS));
}
