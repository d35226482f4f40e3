// The repartition topics between the two detection stages (DESIGN §4). Every
// first-stage instance writes to every partition of them, so a partition has
// several writers, and the second stage must know, per (partition, writer):
//   - what it already took: a writer that restarts from its checkpoint sends
//     again what it released after it. A writer releases in (time, id) order,
//     so a record at or before the writer's last one on the partition is a
//     re-send and is dropped. Events the writer released out of order (late)
//     are marked and always taken.
//   - whether the writer may still send: the second stage's input being read
//     to its end says nothing about the first stage (busy, restarting,
//     waiting for its group), so only the writers' own word ends their input.
//     Control records (empty value, header `ctl`) carry it to every
//     partition: `hello` when a writer is assigned its input (it holds the
//     watermark back from then on, even before its first event), `done` with
//     its frontier once it has released everything it had (its input ended).
// A writer that is gone for good (an instance removed from the deployment
// without a restart on its state directory) holds the watermark back for
// good: instances keep their state directories across restarts.
import type { IHeaders, Message } from "kafkajs";
import type { MailEvent } from "../../events/event.js";

const header = (headers: IHeaders | undefined, name: string): string | undefined => headers?.[name]?.toString();

/** Headers of an event record written by `writer`. */
export function eventHeaders(writer: string, late: boolean): IHeaders {
  return late ? { w: writer, late: "1" } : { w: writer };
}

/** Control records of `writer` for every partition of `topics`. */
export function controlMessages(
  topics: string[],
  partitions: number,
  writer: string,
  ctl: { hello: true } | { done: number },
): { topic: string; messages: Message[] }[] {
  const headers: IHeaders =
    "hello" in ctl ? { w: writer, ctl: "hello" } : { w: writer, ctl: "done", until: String(ctl.done) };
  return topics.map((topic) => ({
    topic,
    messages: Array.from({ length: partitions }, (_, partition) => ({ partition, value: "", headers })),
  }));
}

/** What a control record means to the reader; undefined for an event record. */
export type Control = { lane: string; hello: true } | { lane: string; done: number };

export function controlOf(lane: string, headers: IHeaders | undefined): Control | undefined {
  const writer = header(headers, "w");
  const ctl = header(headers, "ctl");
  if (writer === undefined || ctl === undefined) return undefined;
  const sub = `${lane}/${writer}`;
  return ctl === "hello" ? { lane: sub, hello: true } : { lane: sub, done: Number(header(headers, "until")) };
}

export interface ReaderSnapshot {
  marks: [string, [number, string]][];
  done: [string, boolean][];
}

/** The second stage's view of the writers, per "topic/partition/writer" lane. */
export class RepartitionReader {
  /** Newest (time, id) taken. */
  private readonly marks = new Map<string, [number, string]>();
  /** Writers known, and whether they said they are done. */
  private readonly done = new Map<string, boolean>();

  /** The engine lane of an event record, or undefined for a re-send. */
  laneOf(event: MailEvent, lane: string, headers: IHeaders | undefined): string | undefined {
    const writer = header(headers, "w");
    if (writer === undefined) return lane;
    const sub = `${lane}/${writer}`;
    this.done.set(sub, false);
    if (header(headers, "late") === "1") return sub;
    const t = Date.parse(event.ts);
    const last = this.marks.get(sub);
    if (last && (t < last[0] || (t === last[0] && event.id <= last[1]))) return undefined;
    this.marks.set(sub, [t, event.id]);
    return sub;
  }

  control(c: Control): void {
    this.done.set(c.lane, "done" in c);
  }

  /** Every writer known has released all it had. */
  get allDone(): boolean {
    for (const d of this.done.values()) if (!d) return false;
    return true;
  }

  /** The done writers' lanes of these partition lanes (those may retire when the partition is quiet). */
  doneLanes(lanes: string[]): string[] {
    return [...this.done]
      .filter(([sub, d]) => d && lanes.some((lane) => sub.startsWith(`${lane}/`)))
      .map(([sub]) => sub);
  }

  /** The partitions this instance reads now: the writers' word on the others no longer matters here. */
  keep(lanes: string[]): void {
    for (const sub of [...this.done.keys()]) {
      if (!lanes.some((lane) => sub.startsWith(`${lane}/`))) this.done.delete(sub);
    }
  }

  snapshot(): ReaderSnapshot {
    return { marks: [...this.marks], done: [...this.done] };
  }

  restore(s: ReaderSnapshot | undefined): void {
    this.marks.clear();
    this.done.clear();
    for (const [sub, mark] of s?.marks ?? []) this.marks.set(sub, mark);
    for (const [sub, d] of s?.done ?? []) this.done.set(sub, d);
  }
}
