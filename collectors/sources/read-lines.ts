// Reads a whole file (or stream) once, as lines with the same positions the
// file source gives a file it follows from the start (`0:<byte offset>`), so
// `parse`, `replay` and the live agent derive the same event ids from the
// same log.
import type { Readable } from "node:stream";
import type { SourceLine } from "./types.js";

export async function* readLines(input: Readable, maxLineBytes = 64 * 1024): AsyncGenerator<SourceLine> {
  let carry: Buffer = Buffer.alloc(0);
  let offset = 0;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
      const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      if (end > start)
        yield {
          text: buf.toString("utf8", start, Math.min(end, start + maxLineBytes)),
          position: `0:${offset + start}`,
        };
      start = nl + 1;
    }
    offset += start;
    carry = buf.subarray(start);
  }
  if (carry.length > 0)
    yield { text: carry.toString("utf8", 0, Math.min(carry.length, maxLineBytes)), position: `0:${offset}` };
}
